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
} from '../../../collector/score/magnitudeSummary.js';

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
    for (let i = 1; i <= 1001; i++) addMagnitude(summary, { abs: i, rel: i / 1000 });
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
        for (const v of values) addMagnitude(summary, { abs: v, rel: v / 1e6 });
        expect(summary.sample.length).toBeLessThanOrEqual(MAGNITUDE_SAMPLE_SIZE);
        const report = magnitudeReport(summary);
        expect(report.measured).toBe(values.length);
        expect(report.maxAbs).toBe(values.length === 0 ? 0 : Math.max(...values));
        expect(report.typicalAbs).toBeLessThanOrEqual(report.maxAbs);
        expect(report.typicalAbs).toBeGreaterThanOrEqual(values.length === 0 ? 0 : Math.min(...values));
      }),
    );
  });

  it('merges counts and maxima exactly and keeps the sample bounded', () => {
    const a = emptyMagnitudeSummary();
    const b = emptyMagnitudeSummary();
    for (let i = 0; i < 100; i++) addMagnitude(a, { abs: 1, rel: 0.1 });
    for (let i = 0; i < 100; i++) addMagnitude(b, { abs: 3, rel: 0.3 });
    mergeMagnitude(a, b);
    expect(a).toMatchObject({ measured: 200, maxAbs: 3, maxRel: 0.3 });
    expect(a.sample.length).toBe(MAGNITUDE_SAMPLE_SIZE);
    expect(a.sample.filter(([abs]) => abs === 3).length).toBe(MAGNITUDE_SAMPLE_SIZE / 2);
  });
});
