// Latency quantiles in bounded memory: a log-bucketed histogram (DDSketch-style) with ~1%
// relative error. Fixed-size typed array, so it is cheap to update, to merge and to snapshot.

/** Bucket growth factor; quantiles are accurate to (GAMMA - 1) / (GAMMA + 1) ≈ 1%. */
const GAMMA = 1.02;
const LOG_GAMMA = Math.log(GAMMA);
/** Largest value tracked precisely, in microseconds (~71 minutes); larger values land in the top bucket. */
const MAX_US = 2 ** 32;
const BUCKETS = Math.ceil(Math.log(MAX_US) / LOG_GAMMA) + 2;

export class LatencySketch {
  /** counts[0]: values below 1 µs; counts[i]: values in (GAMMA^(i-1), GAMMA^i] */
  readonly counts = new Uint32Array(BUCKETS);
  total = 0;

  add(valueUs: number): void {
    const index = valueUs < 1 ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(valueUs) / LOG_GAMMA) + 1);
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.total++;
  }

  /** Non-empty buckets as [index, count] pairs: a few dozen numbers instead of ~1,100. */
  snapshot(): Array<[number, number]> {
    const buckets: Array<[number, number]> = [];
    this.counts.forEach((count, index) => {
      if (count > 0) buckets.push([index, count]);
    });
    return buckets;
  }

  static fromSnapshot(buckets: ReadonlyArray<readonly [number, number]>): LatencySketch {
    const sketch = new LatencySketch();
    for (const [index, count] of buckets) {
      if (index < 0 || index >= BUCKETS) continue;
      sketch.counts[index] = count;
      sketch.total += count;
    }
    return sketch;
  }

  /** Adds every value `other` holds: the sketch of both streams together. */
  merge(other: LatencySketch): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] = (this.counts[i] ?? 0) + (other.counts[i] ?? 0);
    this.total += other.total;
  }

  /** q in [0, 1]; returns microseconds, null when empty. */
  quantile(q: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return bucketValueUs(i);
    }
    return null;
  }
}

/** The value a bucket stands for, in µs: the midpoint (in relative terms) of its range; 0 below 1 µs. */
export function bucketValueUs(index: number): number {
  return index === 0 ? 0 : (2 * GAMMA ** (index - 1)) / (1 + GAMMA);
}
