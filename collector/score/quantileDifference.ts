// A confidence interval for the difference of one quantile between the two legs of paired
// samples, q(shadow) − q(primary), by a paired percentile bootstrap: each resample draws whole
// pairs (both legs of one request, served at about the same time) with replacement, so a stall
// that slowed both legs of a pair moves both quantiles of a resample together and does not pass
// for a difference. Seeded, so the same pairs always give the same interval. Pure: numbers in,
// numbers out.

export interface QuantileDifferenceOptions {
  /** in (0, 1): 0.95 for p95 */
  quantile: number;
  /** in (0, 1): 0.95 for a 95% interval */
  confidence: number;
  /** bootstrap resamples */
  resamples: number;
  /** the generator's seed: same pairs, same seed, same interval */
  seed: number;
}

export interface QuantileDifference {
  /** q(shadow) − q(primary) of the pairs themselves */
  delta: number;
  /** the interval's bounds: percentiles (1 − confidence) / 2 and (1 + confidence) / 2 of the resampled differences */
  low: number;
  high: number;
}

/**
 * The rank of the q-quantile among n values, from 1: the ceil(q·n)-th smallest, as the latency
 * sketch (latencySketch.ts) defines its quantiles.
 */
export function quantileRank(q: number, n: number): number {
  return Math.min(n, Math.max(1, Math.ceil(q * n)));
}

/**
 * q(shadow) − q(primary) of the pairs (primary[i], shadow[i]) and its bootstrap interval; null
 * without pairs. O(n log n) to sort once, then O(n) per resample: a resample is a count per pair
 * (how often it was drawn), and its quantile the value at which the counts, walked in each leg's
 * sorted order, reach the rank.
 */
export function pairedQuantileDifference(
  primary: ArrayLike<number>,
  shadow: ArrayLike<number>,
  options: QuantileDifferenceOptions,
): QuantileDifference | null {
  const n = primary.length;
  if (shadow.length !== n) throw new RangeError(`pairs need as many shadow values as primary ones (${shadow.length} vs ${n})`);
  if (n === 0) return null;
  const rank = quantileRank(options.quantile, n);
  const primaryOrder = sortedOrder(primary);
  const shadowOrder = sortedOrder(shadow);
  const delta = at(shadow, shadowOrder[rank - 1]) - at(primary, primaryOrder[rank - 1]);
  const draws = new Uint32Array(n);
  const differences = new Float64Array(options.resamples);
  const random = xorshift32(options.seed);
  for (let b = 0; b < options.resamples; b++) {
    draws.fill(0);
    for (let i = 0; i < n; i++) draws[Math.floor(random() * n)]! += 1;
    differences[b] = quantileOfDraws(shadow, shadowOrder, draws, rank) - quantileOfDraws(primary, primaryOrder, draws, rank);
  }
  differences.sort();
  const tail = (1 - options.confidence) / 2;
  return { delta, low: percentile(differences, tail), high: percentile(differences, 1 - tail) };
}

function at(values: ArrayLike<number>, index: number | undefined): number {
  return values[index ?? 0] ?? 0;
}

/** Indices of `values` in ascending order of value. */
function sortedOrder(values: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(values.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => at(values, a) - at(values, b));
}

/** The rank-th smallest value of the resample in which pair i was drawn draws[i] times. */
function quantileOfDraws(values: ArrayLike<number>, order: Uint32Array, draws: Uint32Array, rank: number): number {
  let seen = 0;
  for (const index of order) {
    seen += draws[index] ?? 0;
    if (seen >= rank) return at(values, index);
  }
  return at(values, order[order.length - 1]);
}

/** The p-percentile of sorted values, interpolated between the two nearest ranks. */
function percentile(sorted: Float64Array, p: number): number {
  const position = p * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  const lower = sorted[below] ?? 0;
  return lower + ((sorted[above] ?? 0) - lower) * (position - below);
}

/** Marsaglia's xorshift32, uniform in [0, 1); a zero seed would stay zero, so it is replaced. */
function xorshift32(seed: number): () => number {
  let state = seed >>> 0 || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}
