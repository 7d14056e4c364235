// How far apart two captured numbers are. Values arrive as the digest's canonical decimal text
// (ingest/capturedValue.ts), so the absolute difference is computed exactly, in decimal: the
// classic rewrite bug is a rounding difference at the fourth decimal, and 12.3451 - 12.345 in
// binary floating point is 0.00009999999999976694, which would put a tolerance of exactly 0.0001
// on the wrong side. Only numbers too far apart in scale for exact arithmetic (exponents that
// differ by more than MAX_EXACT_SCALE) fall back to floating point.

import { Type, type Static } from '@sinclair/typebox';
import { capturedNumberText } from '../ingest/capturedValue.js';

/** A decimal m × 10^e. */
export interface Decimal {
  m: bigint;
  e: number;
}

const DECIMAL = /^(-|\+)?([0-9]+)(?:\.([0-9]+))?(?:[eE]([-+]?[0-9]+))?$/;
/** Digits of scale exact arithmetic may add; beyond it the difference is computed in floating point. */
const MAX_EXACT_SCALE = 400;

/** The decimal a numeric text spells (canonical or JavaScript's own), or null. */
export function parseDecimal(text: string): Decimal | null {
  const match = DECIMAL.exec(text);
  if (match === null) return null;
  const [, sign, int = '', frac = '', exp = '0'] = match;
  const exponent = Number(exp) - frac.length;
  if (!Number.isSafeInteger(exponent)) return null;
  const digits = BigInt(int + frac);
  return { m: sign === '-' ? -digits : digits, e: exponent };
}

/** |a - b| exactly, or null when their scales are too far apart. */
export function absoluteDifference(a: Decimal, b: Decimal): Decimal | null {
  const e = Math.min(a.e, b.e);
  if (Math.max(a.e, b.e) - e > MAX_EXACT_SCALE) return null;
  const difference = a.m * 10n ** BigInt(a.e - e) - b.m * 10n ** BigInt(b.e - e);
  return { m: difference < 0n ? -difference : difference, e };
}

/** a ≤ b for non-negative decimals, exactly when their scales allow, else in floating point. */
export function atMost(a: Decimal, b: Decimal): boolean {
  const e = Math.min(a.e, b.e);
  if (Math.max(a.e, b.e) - e > MAX_EXACT_SCALE) return toNumber(a) <= toNumber(b);
  return a.m * 10n ** BigInt(a.e - e) <= b.m * 10n ** BigInt(b.e - e);
}

export function toNumber(value: Decimal): number {
  return Number(`${value.m}e${value.e}`);
}

export const MagnitudeSchema = Type.Object(
  {
    /** |primary - shadow| */
    abs: Type.Number({ minimum: 0 }),
    /** abs / max(|primary|, |shadow|): 0 when both are 0 */
    rel: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type Magnitude = Static<typeof MagnitudeSchema>;

/** The difference of two numbers, with what exact decimal work it needs for a tolerance. */
export interface NumericDifference extends Magnitude {
  primary: Decimal;
  shadow: Decimal;
  /** |primary - shadow| exactly, null when the scales were too far apart */
  exactAbs: Decimal | null;
}

/** How far apart two captured values are, or null unless both are numbers. */
export function numericDifference(primary: string | undefined, shadow: string | undefined): NumericDifference | null {
  const p = primary === undefined ? null : capturedNumberText(primary);
  const s = shadow === undefined ? null : capturedNumberText(shadow);
  if (p === null || s === null) return null;
  const a = parseDecimal(p);
  const b = parseDecimal(s);
  if (a === null || b === null) return null;
  const exactAbs = absoluteDifference(a, b);
  const pn = toNumber(a);
  const sn = toNumber(b);
  const abs = exactAbs === null ? Math.abs(pn - sn) : toNumber(exactAbs);
  const scale = Math.max(Math.abs(pn), Math.abs(sn));
  // A difference between numbers too large for a double is still a difference: Infinity/Infinity would be NaN.
  const rel = abs === 0 ? 0 : Number.isFinite(scale) && scale > 0 ? abs / scale : 1;
  return { abs: Number.isFinite(abs) ? abs : Number.MAX_VALUE, rel, primary: a, shadow: b, exactAbs };
}
