import { describe, expect, it } from 'vitest';
import { ago, count, difference, interval, ms, percent, signedMs, utcTime } from '../../collector/ui/format.js';

describe('the pages number formats', () => {
  it('writes shares as percentages, tiny ones with two significant digits, float dust as 0', () => {
    expect(percent(0.1234)).toBe('12.3%');
    expect(percent(1)).toBe('100%');
    expect(percent(0)).toBe('0%');
    expect(percent(0.00012345)).toBe('0.012%');
    expect(percent(2.8e-17)).toBe('0%');
    expect(percent(null)).toBe('–');
    expect(percent(undefined)).toBe('–');
  });

  it('writes intervals as both bounds, or a dash without one', () => {
    expect(interval({ low: 0.18, high: 0.533 })).toBe('18% – 53.3%');
    expect(interval(null)).toBe('–');
  });

  it('writes milliseconds with three significant digits, large ones whole and separated', () => {
    expect(ms(0.48213)).toBe('0.482 ms');
    expect(ms(12.54)).toBe('12.5 ms');
    expect(ms(1234.6)).toBe('1,235 ms');
    expect(ms(null)).toBe('–');
    expect(signedMs(7.391)).toBe('+7.39 ms');
    expect(signedMs(-0.048)).toBe('−0.048 ms');
    expect(signedMs(0)).toBe('0 ms');
    expect(signedMs(null)).toBe('–');
  });

  it('writes differences without float dust, counts with separators, ages and UTC times', () => {
    expect(difference(10 - 9.99)).toBe('0.01');
    expect(difference(0.00009999999999976694)).toBe('0.0001');
    expect(count(12345)).toBe('12,345');
    expect(ago(1_000, 5_400)).toBe('4 s ago');
    expect(ago(0, 125_000)).toBe('2 min ago');
    expect(ago(0, 2 * 3_600_000 + 1)).toBe('2 h ago');
    expect(ago(5_000, 1_000)).toBe('0 s ago');
    expect(utcTime(Date.UTC(2026, 11, 2, 18, 40, 5))).toBe('2026-12-02 18:40:05 UTC');
  });
});
