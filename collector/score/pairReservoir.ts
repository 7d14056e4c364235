// A bounded, uniform sample of a route's latency pairs (primary µs, shadow µs of one request),
// for the latency verdict's interval (latencyVerdict.ts): reservoir sampling (Vitter's algorithm
// R), with the slot a new pair may replace chosen by a hash of how many pairs came before it, so
// the same stream of pairs always leaves the same sample (no generator state to checkpoint).
// Fixed size per route, taken from the tallies budget with the route's tally.

export interface PairReservoirSnapshot {
  /** pairs offered since the route was tracked */
  seen: number;
  primaryUs: number[];
  shadowUs: number[];
}

/** Two Float64Arrays of `capacity` each, and the object around them. */
export function pairReservoirBytes(capacity: number): number {
  return 128 + 16 * capacity;
}

export class PairReservoir {
  readonly primaryUs: Float64Array;
  readonly shadowUs: Float64Array;
  size = 0;
  seen = 0;

  constructor(readonly capacity: number) {
    this.primaryUs = new Float64Array(capacity);
    this.shadowUs = new Float64Array(capacity);
  }

  add(primaryUs: number, shadowUs: number): void {
    const slot = this.size < this.capacity ? this.size++ : mix32(this.seen) % (this.seen + 1);
    this.seen++;
    if (slot >= this.capacity) return;
    this.primaryUs[slot] = primaryUs;
    this.shadowUs[slot] = shadowUs;
  }

  /** The kept pairs, oldest slot first (views, not copies). */
  pairs(): { primaryUs: Float64Array; shadowUs: Float64Array } {
    return { primaryUs: this.primaryUs.subarray(0, this.size), shadowUs: this.shadowUs.subarray(0, this.size) };
  }

  /**
   * Offers `other`'s kept pairs as if they had arrived here (a route folded into `other`): the
   * sample stays bounded and every pair of both has a chance, though a folded route's pairs beyond
   * its own reservoir are represented only by those it kept.
   */
  merge(other: PairReservoir): void {
    if (this.seen === 0 && other.size <= this.capacity) {
      // Into an empty reservoir (a restored route, a first fold): a copy, its sampling history with it.
      this.primaryUs.set(other.primaryUs.subarray(0, other.size));
      this.shadowUs.set(other.shadowUs.subarray(0, other.size));
      this.size = other.size;
      this.seen = other.seen;
      return;
    }
    for (let i = 0; i < other.size; i++) this.add(other.primaryUs[i] ?? 0, other.shadowUs[i] ?? 0);
  }

  snapshot(): PairReservoirSnapshot {
    const { primaryUs, shadowUs } = this.pairs();
    return { seen: this.seen, primaryUs: [...primaryUs], shadowUs: [...shadowUs] };
  }

  /** Within `capacity`: a snapshot of a larger reservoir keeps its first `capacity` pairs. */
  static fromSnapshot(snapshot: PairReservoirSnapshot, capacity: number): PairReservoir {
    const reservoir = new PairReservoir(capacity);
    const size = Math.min(capacity, snapshot.primaryUs.length, snapshot.shadowUs.length);
    for (let i = 0; i < size; i++) {
      reservoir.primaryUs[i] = snapshot.primaryUs[i] ?? 0;
      reservoir.shadowUs[i] = snapshot.shadowUs[i] ?? 0;
    }
    reservoir.size = size;
    reservoir.seen = Math.max(size, snapshot.seen);
    return reservoir;
  }
}

/** A 32-bit integer hash (the murmur3 finaliser): consecutive counts give unrelated slots. */
function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
