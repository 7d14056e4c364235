// The structural digest's in-chunk fast paths (filter/assembly/digest/jsonStructuralDigest.ts):
// a string value, a key or a number that ends in the chunk it starts in is read and hashed in
// one pass over the chunk (StreamingHash#prefixed); anything else (escapes, a chunk boundary
// inside it, exponents, malformed input) goes byte by byte. Whatever path a value takes, its
// leaf hash, path and subtree hashes must be those of the byte-by-byte reading, which a body
// sent one byte per chunk always takes.
import { describe, expect, it } from 'vitest';
import type { IngestedRecord } from '../../collector/types.js';
import { digestOf, loadHost, observerConfig, splitAt } from './harness.js';

const encoder = new TextEncoder();

async function observer(digest: Record<string, unknown> = {}) {
  const host = await loadHost();
  const plugin = host.startPlugin(observerConfig(digest));
  return (body: string | Uint8Array, chunks?: Uint8Array[]): IngestedRecord =>
    digestOf(host, plugin, body, chunks === undefined ? {} : { chunks });
}

/** What a digest says about the body's content, without the record's timing and identity. */
function content(record: IngestedRecord) {
  return { json: record.json, fields: record.fields, subtrees: record.subtrees, bodyHash: record.bodyHash };
}

/** Every byte in a chunk of its own: no fast path applies. */
function bytewise(bytes: Uint8Array): Uint8Array[] {
  return splitAt(
    bytes,
    Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
  );
}

/** The digest of the body whole, one byte per chunk, and split at every point: all must agree. */
function expectSplitInvariant(digest: ReturnType<typeof observer> extends Promise<infer D> ? D : never, text: string): IngestedRecord {
  const bytes = encoder.encode(text);
  const whole = digest(bytes);
  expect(content(digest(bytes, bytewise(bytes))), `${text} byte by byte`).toEqual(content(whole));
  for (let at = 1; at < bytes.length; at++) {
    expect(content(digest(bytes, splitAt(bytes, [at]))), `${text} split at ${at}`).toEqual(content(whole));
  }
  return whole;
}

describe('structural digest fast paths', () => {
  it('hashes a string value with an escape at each position of an 8-byte word as its decoded text, however the body splits', async () => {
    const digest = await observer();
    const escapes: Array<[string, string]> = [
      ['\\"', '"'],
      ['\\\\', '\\'],
      ['\\n', '\n'],
      ['\\u00e9', 'é'],
      ['\\ud83d\\ude00', '😀'],
    ];
    for (const [escaped, decoded] of escapes) {
      for (let before = 0; before <= 17; before++) {
        const prefix = 'x'.repeat(before);
        const text = `{"s":"${prefix}${escaped}y","t":"${prefix}"}`;
        const record = expectSplitInvariant(digest, text);
        expect(record.json).toBe('ok');
        // the same value written without the escape (JSON.stringify escapes only what it must)
        expect(digest(JSON.stringify({ s: `${prefix}${decoded}y`, t: prefix })).fields).toEqual(record.fields);
      }
    }
  });

  it('hashes string values of every length from 0 to 70 alike whether read in one pass or byte by byte', async () => {
    const digest = await observer({ maxFields: 4 });
    const values = Array.from({ length: 71 }, (_, n) => 'abcdefghij'.repeat(8).slice(0, n));
    const text = JSON.stringify({ v: values, w: values.map((value) => ({ [value || 'empty']: value })) });
    const bytes = encoder.encode(text);
    const whole = digest(bytes);
    expect(whole.fieldsTruncated).toBe(true);
    expect(Object.keys(whole.subtrees ?? {}).length).toBeGreaterThan(1);
    expect(content(digest(bytes, bytewise(bytes)))).toEqual(content(whole));
  });

  it('rejects a control byte at each position of an 8-byte word, in a value and in a key, however the body splits', async () => {
    const digest = await observer();
    for (let before = 0; before <= 17; before++) {
      for (const control of ['\u0000', '\u0001', '\n', '\u001f']) {
        const prefix = 'x'.repeat(before);
        for (const text of [`{"s":"${prefix}${control}y"}`, `{"${prefix}${control}k":1}`]) {
          const bytes = encoder.encode(text);
          for (const chunks of [undefined, bytewise(bytes), splitAt(bytes, [Math.min(bytes.length - 1, before + 6)])]) {
            const record = digest(bytes, chunks);
            expect({ text, json: record.json, fields: record.fields }).toEqual({ text, json: 'malformed', fields: {} });
          }
        }
      }
    }
  });

  it('names keys with an escape or a quote at each position of an 8-byte word as their decoded text, within and beyond the leaf budget', async () => {
    for (const digestOptions of [{}, { maxFields: 2 }]) {
      const digest = await observer(digestOptions);
      for (let before = 0; before <= 17; before++) {
        const prefix = 'k'.repeat(before);
        const text = `{"${prefix}\\"q":{"${prefix}\\u0041":[1,{"${prefix}":true}]},"${prefix}z":"v","${prefix}\\\\":[]}`;
        const record = expectSplitInvariant(digest, text);
        expect(record.json).toBe('ok');
        const plain = JSON.stringify({
          [`${prefix}"q`]: { [`${prefix}A`]: [1, { [prefix]: true }] },
          [`${prefix}z`]: 'v',
          [`${prefix}\\`]: [],
        });
        expect(content(digest(plain)).fields).toEqual(record.fields);
        expect(content(digest(plain)).subtrees).toEqual(record.subtrees);
      }
    }
  });

  it('gives member keys of every length the same subtree hashes whether their hash was remembered or not, beside keys one byte apart', async () => {
    // filter/assembly/digest/memberKeyHash.ts remembers short keys' hashes per worker
    const keys = Array.from({ length: 40 }, (_, i) =>
      Array.from({ length: i + 1 }, (_, j) => String.fromCharCode(0x61 + ((i + j) % 26))).join(''),
    );
    // each key with one byte changed, at every position: a key would share a slot with one of these only if a byte were left out
    const nearKeys = keys.flatMap((key) =>
      Array.from(key, (char, j) => `${key.slice(0, j)}${char === 'z' ? 'y' : 'z'}${key.slice(j + 1)}`),
    );
    const documentOf = (names: string[]) => JSON.stringify({ items: [Object.fromEntries(names.map((name, i) => [name, i]))] });
    // a fresh worker reads each key once: every hash computed, none remembered
    const expected = content((await observer({ maxFields: 4 }))(documentOf(keys)));
    expect(Object.keys(expected.subtrees ?? {}).length).toBeGreaterThan(1);
    const warmed = await observer({ maxFields: 4 });
    const nearly = content(warmed(documentOf(nearKeys)));
    expect(nearly.subtrees).not.toEqual(expected.subtrees);
    expect(content(warmed(documentOf(keys)))).toEqual(expected);
    expect(content(warmed(documentOf(keys)))).toEqual(expected);
  });

  it('hashes numbers by their canonical text whether read in one pass or byte by byte, and flags malformed ones either way', async () => {
    const digest = await observer({ maxFields: 3 });
    const spellings: Array<[string, string]> = [
      ['1.50', '1.5'],
      ['-0', '0'],
      ['-0.000', '0'],
      ['0.000', '0'],
      ['1.000', '1'],
      ['10.0100', '10.01'],
      ['-2.50', '-2.5'],
      ['1E+2', '1e2'],
      ['-1.50e-03', '-1.5e-3'],
    ];
    for (const [written, canonical] of spellings) {
      const one = expectSplitInvariant(digest, `{"a":[${written},{"n":${written}}],"b":${written}}`);
      expect(one.json).toBe('ok');
      expect(content(digest(`{"a":[${canonical},{"n":${canonical}}],"b":${canonical}}`))).toEqual({
        ...content(one),
        bodyHash: expect.any(String),
      });
    }
    // 64 characters are canonicalised; 65 and more are hashed as written
    const long64 = `1${'0'.repeat(59)}.500`;
    const long65 = `1${'0'.repeat(60)}.500`;
    expect(digest(`[${long64}]`).fields).toEqual(digest(`[${long64.slice(0, -2)}]`).fields);
    expect(digest(`[${long65}]`).fields).not.toEqual(digest(`[${long65.slice(0, -2)}]`).fields);
    for (const text of [`[${long64},1]`, `[${long65},1]`, '[12345678901234567890123,-7]', '  42  ', '-7'])
      expectSplitInvariant(digest, text);
    for (const malformed of ['[01]', '[-]', '[1.]', '[.5]', '[1.e5]', '[-01]', '[1e]', '[+1]', '[1.2.3]', '[1-2]', '{"a":00}', '[0x1]']) {
      const bytes = encoder.encode(malformed);
      expect([malformed, digest(bytes).json]).toEqual([malformed, 'malformed']);
      expect([malformed, digest(bytes, bytewise(bytes)).json]).toEqual([malformed, 'malformed']);
    }
  });

  it('gives literals and empty containers the same hashes and subtrees in one pass as byte by byte', async () => {
    const digest = await observer({ maxFields: 2 });
    const text = '{"t":true,"f":false,"z":null,"o":{},"a":[],"m":[true,{},[],null,false,[[]],{"e":{}}]}';
    const record = expectSplitInvariant(digest, text);
    expect(record.json).toBe('ok');
    expect(record.fieldsTruncated).toBe(true);
    for (const malformed of ['[tru]', '[nulll]', '[fals]', '[truefalse]', '{"a":nul}']) {
      const bytes = encoder.encode(malformed);
      expect([malformed, digest(bytes).json, digest(bytes, bytewise(bytes)).json]).toEqual([malformed, 'malformed', 'malformed']);
    }
  });
});
