// The rounding both versions share and the one step where they part: ties.

import { describe, expect, it } from 'vitest';
import { convertCents, divideRounded } from '../../examples/orders/money.js';

describe('divideRounded', () => {
  it.each([
    [14, 10, 1, 1],
    [16, 10, 2, 2],
    [15, 10, 2, 2],
    [25, 10, 3, 2],
    [0, 10, 0, 0],
  ])('%i / %i: half-up %i, half-even %i', (numerator, denominator, halfUp, halfEven) => {
    expect(divideRounded(numerator, denominator, 'half-up')).toBe(halfUp);
    expect(divideRounded(numerator, denominator, 'half-even')).toBe(halfEven);
  });
});

describe('convertCents', () => {
  it('is exact at a rate of 1', () => {
    expect(convertCents(123_456, 1_000_000, 'half-even')).toBe(1234.56);
  });

  it('parts the modes only on an exact half at the 5th decimal after an even 4th', () => {
    // 9524 cents × 0.84625 = 80.596850: a tie between 80.5968 and 80.5969.
    expect(convertCents(9524, 846_250, 'half-up')).toBe(80.5969);
    expect(convertCents(9524, 846_250, 'half-even')).toBe(80.5968);
    // 12 cents × 0.84625 = 0.101550: a tie after an odd 4th decimal, where the modes agree.
    expect(convertCents(12, 846_250, 'half-up')).toBe(0.1016);
    expect(convertCents(12, 846_250, 'half-even')).toBe(0.1016);
    // 9525 cents × 0.84625 = 80.6053125: no tie.
    expect(convertCents(9525, 846_250, 'half-up')).toBe(80.6053);
    expect(convertCents(9525, 846_250, 'half-even')).toBe(80.6053);
  });
});
