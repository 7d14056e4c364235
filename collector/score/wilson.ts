// Wilson score interval for a binomial proportion. Unlike the normal approximation it stays
// inside [0, 1] and is honest for small samples (1 divergent of 3 pairs is not "33% ± 0").

import type { WilsonInterval } from '../types.js';

/** Two-sided 95% normal quantile. */
export const Z_95 = 1.959963984540054;

export function wilson(successes: number, trials: number, z: number = Z_95): WilsonInterval | null {
  if (trials <= 0) return null;
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const center = (p + z2 / (2 * trials)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}
