// The bearer token check: only the exact token passes, and every check — absent header, other
// scheme, short or long guess — ends in one crypto.timingSafeEqual over two fixed-size digests,
// so neither the token's content nor its length shows in the time a refusal takes.
import * as crypto from 'node:crypto';
import fc from 'fast-check';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { bearerTokenChecker } from '../../../collector/http/bearerAuth.js';

vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});
const timingSafeEqual = vi.mocked(crypto.timingSafeEqual);

/** Tokens as the configuration allows them: printable ASCII, inner spaces, none at the ends. */
const token = fc.stringMatching(/^[!-~]([ -~]{0,40}[!-~])?$/);

/** Wrong guesses built from the token: its prefixes, extensions, one changed character, another case. */
const guessesFor = (t: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.nat({ max: t.length - 1 }).map((n) => t.slice(0, n)),
    fc.string({ minLength: 1, maxLength: 8 }).map((extra) => t + extra),
    fc
      .tuple(fc.nat({ max: t.length - 1 }), fc.integer({ min: 0x21, max: 0x7e }))
      .map(([at, code]) => t.slice(0, at) + String.fromCharCode(code) + t.slice(at + 1)),
    fc.constant(t.toUpperCase()),
    fc.constant(t.toLowerCase()),
    fc.string({ maxLength: 300 }),
  );

beforeEach(() => {
  timingSafeEqual.mockClear();
});

describe('bearerTokenChecker', () => {
  it('accepts only the exact token, with the scheme in any case', () => {
    fc.assert(
      fc.property(
        token.chain((t) => fc.tuple(fc.constant(t), guessesFor(t))),
        ([t, guess]) => {
          const authorized = bearerTokenChecker(t);
          expect(authorized(`Bearer ${t}`)).toBe(true);
          expect(authorized(`bEaReR\t${t}`)).toBe(true);
          if (guess.trim() !== t) expect(authorized(`Bearer ${guess}`)).toBe(false);
          expect(authorized(t)).toBe(false);
          expect(authorized(`Basic ${t}`)).toBe(false);
          expect(authorized(undefined)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('compares two 32-byte digests with crypto.timingSafeEqual on every check, whatever was presented', () => {
    const authorized = bearerTokenChecker('s3cret token');
    const presented = [
      undefined,
      '',
      'Bearer',
      'Bearer s',
      'Bearer s3cret token',
      `Bearer ${'x'.repeat(10_000)}`,
      'Basic czNjcmV0',
      's3cret token',
    ];
    for (const header of presented) authorized(header);
    expect(timingSafeEqual).toHaveBeenCalledTimes(presented.length);
    for (const [a, b] of timingSafeEqual.mock.calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });

  it('accepts everything when no token is configured', () => {
    const authorized = bearerTokenChecker('');
    expect(authorized(undefined)).toBe(true);
    expect(authorized('Bearer anything')).toBe(true);
  });
});
