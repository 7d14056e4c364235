import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pairedQuantileDifference, quantileRank } from '../../../collector/score/quantileDifference.js';

const OPTIONS = { quantile: 0.95, confidence: 0.95, resamples: 1000, seed: 7 };

/** A deterministic stream of uniforms for building test samples. */
function uniforms(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/**
 * n pairs: a stall of up to 200 ms on `stallRate` of the requests, on both legs (load slows both
 * legs of a request), each leg's own jitter, and `shift(u)` µs more on the shadow.
 */
function loadedPairs(
  n: number,
  seed: number,
  stallRate: number,
  shift: (u: number) => number = () => 0,
): { primary: number[]; shadow: number[] } {
  const next = uniforms(seed);
  const primary: number[] = [];
  const shadow: number[] = [];
  for (let i = 0; i < n; i++) {
    const stall = next() < stallRate ? next() * 200_000 : 0;
    primary.push(10_000 + stall + next() * 2_000);
    shadow.push(10_000 + stall + next() * 2_000 + shift(next()));
  }
  return { primary, shadow };
}

describe('quantileRank', () => {
  it('is the ceil(q·n)-th value, at least the first and at most the last', () => {
    expect(quantileRank(0.95, 100)).toBe(95);
    expect(quantileRank(0.95, 20)).toBe(19);
    expect(quantileRank(0.95, 1)).toBe(1);
    expect(quantileRank(0, 10)).toBe(1);
    expect(quantileRank(1, 10)).toBe(10);
  });
});

describe('pairedQuantileDifference', () => {
  it('is null without pairs and refuses legs of different lengths', () => {
    expect(pairedQuantileDifference([], [], OPTIONS)).toBeNull();
    expect(() => pairedQuantileDifference([1, 2], [1], OPTIONS)).toThrow(/as many shadow values as primary ones \(1 vs 2\)/);
  });

  it('gives the exact p95 difference of the pairs as its point estimate', () => {
    const primary = Array.from({ length: 20 }, (_, i) => (i + 1) * 1000);
    const shadow = primary.map((value) => value + 5000);
    const result = pairedQuantileDifference(primary, shadow, OPTIONS)!;
    // the 19th of 20 on each leg: 19 ms and 24 ms
    expect(result.delta).toBe(5000);
    // every resample moves both legs together: the difference cannot be anything else
    expect(result.low).toBe(5000);
    expect(result.high).toBe(5000);
  });

  it('is deterministic: the same pairs and seed give the same interval', () => {
    const { primary, shadow } = loadedPairs(300, 11, 0.1);
    expect(pairedQuantileDifference(primary, shadow, OPTIONS)).toEqual(pairedQuantileDifference(primary, shadow, OPTIONS));
  });

  it('contains zero for two equally fast legs under stalls that hit both legs of a request', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { primary, shadow } = loadedPairs(400, seed, 0.1);
      const result = pairedQuantileDifference(primary, shadow, OPTIONS)!;
      expect(result.low, `seed ${seed}`).toBeLessThanOrEqual(0);
      expect(result.high, `seed ${seed}`).toBeGreaterThanOrEqual(0);
    }
  });

  it('lies clear of zero when the shadow is 50 ms slower on one request in five, the p95 moving by about as much', () => {
    const { primary, shadow } = loadedPairs(400, 9, 0.02, (u) => (u < 0.2 ? 50_000 : 0));
    const result = pairedQuantileDifference(primary, shadow, OPTIONS)!;
    expect(result.low).toBeGreaterThan(0);
    expect(result.delta).toBeGreaterThan(40_000);
  });

  it('holds the point estimate, and stays within the pairs’ own range of differences', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 1_000_000 })), {
          minLength: 1,
          maxLength: 200,
        }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (pairs, seed) => {
          const primary = pairs.map(([p]) => p);
          const shadow = pairs.map(([, s]) => s);
          const result = pairedQuantileDifference(primary, shadow, { ...OPTIONS, resamples: 200, seed })!;
          const sorted = (values: number[]): number[] => [...values].sort((a, b) => a - b);
          const rank = quantileRank(0.95, pairs.length);
          expect(result.delta).toBe(sorted(shadow)[rank - 1]! - sorted(primary)[rank - 1]!);
          expect(result.low).toBeLessThanOrEqual(result.high);
          // any resample's quantile is one of the leg's own values
          expect(result.low).toBeGreaterThanOrEqual(Math.min(...shadow) - Math.max(...primary));
          expect(result.high).toBeLessThanOrEqual(Math.max(...shadow) - Math.min(...primary));
        },
      ),
    );
  });

  it('shifts by exactly the shift: adding c to every shadow value adds c to the delta and both bounds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 100_000 })), { minLength: 1, maxLength: 100 }),
        fc.integer({ min: 0, max: 100_000 }),
        (pairs, shift) => {
          const primary = pairs.map(([p]) => p);
          const shadow = pairs.map(([, s]) => s);
          const base = pairedQuantileDifference(primary, shadow, { ...OPTIONS, resamples: 200 })!;
          const shifted = pairedQuantileDifference(
            primary,
            shadow.map((value) => value + shift),
            { ...OPTIONS, resamples: 200 },
          )!;
          expect(shifted.delta).toBe(base.delta + shift);
          expect(shifted.low).toBeCloseTo(base.low + shift, 6);
          expect(shifted.high).toBeCloseTo(base.high + shift, 6);
        },
      ),
    );
  });
});
