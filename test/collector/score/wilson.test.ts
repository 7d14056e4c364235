import { describe, expect, it } from 'vitest';
import { wilson } from '../../../collector/score/wilson.js';

describe('wilson', () => {
  // Newcombe R.G. (1998), "Two-sided confidence intervals for the single proportion", Stat Med 17:857-872, Table I, method 3.
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
    [29, 29, 0.883, 1],
  ])('%i of %i -> [%f, %f]', (x, n, low, high) => {
    const interval = wilson(x, n);
    expect(interval?.low).toBeCloseTo(low, 4);
    expect(interval?.high).toBeCloseTo(high, 4);
  });

  it('is symmetric around one half', () => {
    const interval = wilson(5, 10);
    expect(interval?.low).toBeCloseTo(0.2366, 4);
    expect(interval?.high).toBeCloseTo(0.7634, 4);
    expect((interval?.low ?? 0) + (interval?.high ?? 0)).toBeCloseTo(1, 12);
  });

  it('has no interval without trials', () => {
    expect(wilson(0, 0)).toBeNull();
  });

  it('narrows as evidence grows', () => {
    const small = wilson(1, 10);
    const large = wilson(100, 1000);
    expect((large?.high ?? 1) - (large?.low ?? 0)).toBeLessThan((small?.high ?? 0) - (small?.low ?? 0));
  });
});
