// Magnitudes of numeric differences, exact in decimal; and the bounded summary of many of them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numericDifference, parseDecimal, absoluteDifference, toNumber } from '../../../collector/compare/magnitude.js';
import {
  addMagnitude,
  emptyMagnitudeSummary,
  MAGNITUDE_SAMPLE_SIZE,
  magnitudeReport,
  mergeMagnitude,
  type MagnitudeSummary,
} from '../../../collector/score/magnitudeSummary.js';
import { idHash } from '../../../collector/score/idHash.js';

/** Adds a difference of pair `id`, as the scoreboard does (its key: the id's hash). */
function measure(summary: MagnitudeSummary, id: string, abs: number, rel = abs / 1000): void {
  addMagnitude(summary, { abs, rel }, idHash(id), { abs, id, primary: null, shadow: null });
}

describe('numeric differences', () => {
  it('are exact at the fourth decimal, where binary floating point is not', () => {
    expect(12.3451 - 12.345).not.toBe(0.0001);
    const d = numericDifference('n12.345', 'n12.3451');
    expect(d).toMatchObject({ abs: 0.0001 });
    expect(d?.rel).toBeCloseTo(0.0001 / 12.3451, 15);
  });

  it('read canonical numbers with exponents and signs', () => {
    expect(numericDifference('n1e2', 'n99')?.abs).toBe(1);
    expect(numericDifference('n-1.5', 'n1.5')).toMatchObject({ abs: 3, rel: 2 });
    expect(numericDifference('n0', 'n0')).toMatchObject({ abs: 0, rel: 0 });
    expect(numericDifference('n12345678901234567890', 'n12345678901234567891')?.abs).toBe(1);
  });

  it('exist only between two numbers', () => {
    expect(numericDifference('s12', 'n12')).toBeNull();
    expect(numericDifference('n12', undefined)).toBeNull();
    expect(numericDifference('t', 'f')).toBeNull();
  });

  it('fall back to floating point for scales too far apart, never to a huge BigInt', () => {
    const d = numericDifference('n1e-300', 'n1e300');
    expect(d?.exactAbs).toBeNull();
    expect(d?.abs).toBe(1e300);
    expect(numericDifference('n1e999999', 'n1')?.rel).toBe(1);
  });

  it('agree with exact rational arithmetic on any pair of decimals (property)', () => {
    const decimal = fc.tuple(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.integer({ min: -12, max: 12 }));
    fc.assert(
      fc.property(decimal, decimal, ([am, ae], [bm, be]) => {
        const text = (m: bigint, e: number) => `${m}e${e}`;
        const a = parseDecimal(text(am, ae))!;
        const b = parseDecimal(text(bm, be))!;
        const d = absoluteDifference(a, b)!;
        const e = Math.min(ae, be);
        const expected = am * 10n ** BigInt(ae - e) - bm * 10n ** BigInt(be - e);
        expect(d.m * 10n ** BigInt(d.e - e)).toBe(expected < 0n ? -expected : expected);
        expect(toNumber(d)).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe('magnitude summary', () => {
  it('keeps the exact maximum and a median from a bounded sample', () => {
    const summary = emptyMagnitudeSummary();
    for (let i = 1; i <= 1001; i++) measure(summary, `id-${i}`, i);
    expect(summary.sample.length).toBe(MAGNITUDE_SAMPLE_SIZE);
    const report = magnitudeReport(summary);
    expect(report).toMatchObject({ measured: 1001, maxAbs: 1001, maxRel: 1.001 });
    // a uniform sample of 32 out of 1..1001: its median is near 501
    expect(report.typicalAbs).toBeGreaterThan(250);
    expect(report.typicalAbs).toBeLessThan(750);
  });

  it('stays bounded and within the observed range for any stream (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { maxLength: 300 }), (values) => {
        const summary = emptyMagnitudeSummary();
        values.forEach((v, i) => measure(summary, `id-${i}`, v, v / 1e6));
        expect(summary.sample.length).toBeLessThanOrEqual(MAGNITUDE_SAMPLE_SIZE);
        const report = magnitudeReport(summary);
        expect(report.measured).toBe(values.length);
        expect(report.maxAbs).toBe(values.length === 0 ? 0 : Math.max(...values));
        expect(report.typicalAbs).toBeLessThanOrEqual(report.maxAbs);
        expect(report.typicalAbs).toBeGreaterThanOrEqual(values.length === 0 ? 0 : Math.min(...values));
      }),
    );
  });

  it('merges exactly: counts, maxima, extremes and sample are those of both streams measured as one', () => {
    const a = emptyMagnitudeSummary();
    const b = emptyMagnitudeSummary();
    const both = emptyMagnitudeSummary();
    for (let i = 0; i < 100; i++) {
      measure(a, `a-${i}`, 1, 0.1);
      measure(both, `a-${i}`, 1, 0.1);
    }
    for (let i = 0; i < 100; i++) {
      measure(b, `b-${i}`, 3, 0.3);
      measure(both, `b-${i}`, 3, 0.3);
    }
    mergeMagnitude(a, b);
    expect(a).toMatchObject({ measured: 200, maxAbs: 3, maxRel: 0.3 });
    expect(a).toEqual(both);
    expect(a.sample.length).toBe(MAGNITUDE_SAMPLE_SIZE);
    // A uniform sample of both: binomial(32, ½) from each.
    expect(a.sample.filter(([abs]) => abs === 3).length).toBeGreaterThan(6);
    expect(a.sample.filter(([abs]) => abs === 3).length).toBeLessThan(26);
  });

  it('is the same summary for any order of the same pairs, equal differences at the extremes told apart by id (property)', () => {
    const pairs = Array.from({ length: 80 }, (_, i) => ({ id: `p-${i}`, abs: i % 4 }));
    const summaryOf = (order: typeof pairs): MagnitudeSummary => {
      const summary = emptyMagnitudeSummary();
      for (const { id, abs } of order) measure(summary, id, abs);
      return summary;
    };
    const inOrder = summaryOf(pairs);
    expect(inOrder.smallest?.id).toBe('p-0');
    expect(inOrder.largest?.id).toBe('p-11');
    fc.assert(
      fc.property(fc.shuffledSubarray(pairs, { minLength: pairs.length, maxLength: pairs.length }), (shuffled) => {
        expect(summaryOf(shuffled)).toEqual(inOrder);
      }),
    );
  });

  it('restores a sample of a release that sampled by arrival (no keys), new differences displacing it in turn', () => {
    const previous: MagnitudeSummary = { measured: 1000, maxAbs: 7, maxRel: 0.007, sample: Array.from({ length: 32 }, () => [7, 0.007]) };
    const into = emptyMagnitudeSummary();
    mergeMagnitude(into, previous);
    expect(magnitudeReport(into)).toMatchObject({ measured: 1000, typicalAbs: 7 });
    for (let i = 0; i < 1000; i++) measure(into, `new-${i}`, 1);
    // 1000 of 2000 measured are new: about half the sample.
    const fresh = into.sample.filter(([abs]) => abs === 1).length;
    expect(fresh).toBeGreaterThan(6);
    expect(fresh).toBeLessThan(26);
  });
});
