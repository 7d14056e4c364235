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
 * without pairs. O(n log n) to sort once, then per resample O(n) draws and a walk over the top of
 * each leg: a resample is a count per sorted position (how often the pair there was drawn), and
 * its quantile the position at which the counts from the top reach n − rank + 1; for p95 that
 * walk covers about the top 5%.
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
  const primaryLeg = new SortedLeg(primary);
  const shadowLeg = new SortedLeg(shadow);
  const delta = shadowLeg.sorted[rank - 1]! - primaryLeg.sorted[rank - 1]!;
  const differences = new Float64Array(options.resamples);
  // Marsaglia's xorshift32, inlined: the draws are the loop's whole cost. A zero seed would stay zero.
  let state = options.seed >>> 0 || 0x9e3779b9;
  for (let b = 0; b < options.resamples; b++) {
    primaryLeg.draws.fill(0);
    shadowLeg.draws.fill(0);
    for (let i = 0; i < n; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const pair = Math.floor(((state >>> 0) / 4294967296) * n);
      primaryLeg.draws[primaryLeg.positionOf[pair]!]! += 1;
      shadowLeg.draws[shadowLeg.positionOf[pair]!]! += 1;
    }
    differences[b] = shadowLeg.resampledQuantile(n - rank + 1) - primaryLeg.resampledQuantile(n - rank + 1);
  }
  differences.sort();
  const tail = (1 - options.confidence) / 2;
  return { delta, low: percentile(differences, tail), high: percentile(differences, 1 - tail) };
}

/** One leg's values in ascending order, where each pair's value sits in it, and a resample's draws per position. */
class SortedLeg {
  readonly sorted: Float64Array;
  readonly positionOf: Uint32Array;
  readonly draws: Uint32Array;

  constructor(values: ArrayLike<number>) {
    const n = values.length;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => (values[a] ?? 0) - (values[b] ?? 0));
    this.sorted = new Float64Array(n);
    this.positionOf = new Uint32Array(n);
    for (let position = 0; position < n; position++) {
      const pair = order[position]!;
      this.sorted[position] = values[pair] ?? 0;
      this.positionOf[pair] = position;
    }
    this.draws = new Uint32Array(n);
  }

  /** The value at which the draws counted from the largest down reach `fromTop`: the resample's (n − fromTop + 1)-th smallest. */
  resampledQuantile(fromTop: number): number {
    let seen = 0;
    for (let position = this.sorted.length - 1; position > 0; position--) {
      seen += this.draws[position]!;
      if (seen >= fromTop) return this.sorted[position]!;
    }
    return this.sorted[0]!;
  }
}

/** The p-percentile of sorted values, interpolated between the two nearest ranks. */
function percentile(sorted: Float64Array, p: number): number {
  const position = p * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  const lower = sorted[below] ?? 0;
  return lower + ((sorted[above] ?? 0) - lower) * (position - below);
}
