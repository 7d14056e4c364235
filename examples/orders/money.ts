// Money as integers: euro amounts in cents, exchange rates in millionths. Only the last step,
// rounding a converted amount to 4 decimals, depends on a rounding mode, so the two versions'
// results differ exactly where the mode matters and nowhere else.

export type RoundingMode = 'half-up' | 'half-even';

/** The exchange rate is fixed at 6 decimals, so a rate is an integer number of millionths. */
const RATE_SCALE = 1_000_000;
/** Converted amounts are quoted to 4 decimals of the target currency. */
const CONVERTED_DECIMALS_SCALE = 10_000;
/** cents × millionths is in units of 10^-8; dropping 4 digits leaves 10^-4 units. */
const DROPPED_SCALE = (100 * RATE_SCALE) / CONVERTED_DECIMALS_SCALE;

export function centsToAmount(cents: number): number {
  return cents / 100;
}

/** `numerator / denominator` rounded to an integer; both non-negative integers. */
export function divideRounded(numerator: number, denominator: number, mode: RoundingMode): number {
  const quotient = Math.floor(numerator / denominator);
  const twiceRemainder = 2 * (numerator - quotient * denominator);
  if (twiceRemainder < denominator) return quotient;
  if (twiceRemainder > denominator) return quotient + 1;
  // Exactly half way: the only case where the modes disagree.
  if (mode === 'half-up') return quotient + 1;
  return quotient % 2 === 0 ? quotient : quotient + 1;
}

/** `cents` euros in the target currency, rounded to 4 decimals, as a JSON-ready number. */
export function convertCents(cents: number, rateMillionths: number, mode: RoundingMode): number {
  const tenThousandths = divideRounded(cents * rateMillionths, DROPPED_SCALE, mode);
  return tenThousandths / CONVERTED_DECIMALS_SCALE;
}
