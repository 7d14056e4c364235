// A bounded, uniform sample of a route's latency pairs (primary µs, shadow µs of one request),
// for the latency verdict's interval (latencyVerdict.ts): the bottom-k pairs by a hash of their
// correlation id (bottomK.ts), kept sorted by it, so the sample and its order are a function of
// the pairs offered, whatever order they came in (and merge exactly), and the bootstrap over it
// gives the same interval in every collector that counted the same pairs. Fixed size per route,
// taken from the tallies budget with the route's tally.

import { sampleSlot, spacedKeys } from './bottomK.js';

export interface PairReservoirSnapshot {
  /** pairs offered since the route was tracked */
  seen: number;
  primaryUs: number[];
  shadowUs: number[];
  /** each pair's key (idHash of its correlation id), ascending; absent in snapshots of releases that sampled by arrival */
  keys?: number[];
}

/** Three Float64Arrays of `capacity` each, and the object around them. */
export function pairReservoirBytes(capacity: number): number {
  return 128 + 24 * capacity;
}

export class PairReservoir {
  readonly keys: Float64Array;
  readonly primaryUs: Float64Array;
  readonly shadowUs: Float64Array;
  size = 0;
  seen = 0;
  /** Grows whenever the kept pairs change: what the verdict's cache keys on. */
  version = 0;

  constructor(readonly capacity: number) {
    this.keys = new Float64Array(capacity);
    this.primaryUs = new Float64Array(capacity);
    this.shadowUs = new Float64Array(capacity);
  }

  /** Offers a pair; `key`: idHash of its correlation id. */
  add(key: number, primaryUs: number, shadowUs: number): void {
    this.seen++;
    this.keep(key, primaryUs, shadowUs);
  }

  /** The kept pairs, by key (views, not copies). */
  pairs(): { primaryUs: Float64Array; shadowUs: Float64Array } {
    return { primaryUs: this.primaryUs.subarray(0, this.size), shadowUs: this.shadowUs.subarray(0, this.size) };
  }

  /** A seed for the bootstrap that is a function of the kept pairs: their count and largest key. */
  get contentSeed(): number {
    return this.size === 0 ? 0 : ((this.keys[this.size - 1]! % 2 ** 32) ^ this.size) >>> 0;
  }

  /** Adds `other`'s pairs (a route folded into `other`): the bottom k of both, as if every pair had come here. */
  merge(other: PairReservoir): void {
    this.seen += other.seen;
    for (let i = 0; i < other.size; i++) this.keep(other.keys[i]!, other.primaryUs[i]!, other.shadowUs[i]!);
  }

  snapshot(): PairReservoirSnapshot {
    const { primaryUs, shadowUs } = this.pairs();
    return { seen: this.seen, primaryUs: [...primaryUs], shadowUs: [...shadowUs], keys: [...this.keys.subarray(0, this.size)] };
  }

  /** Within `capacity` (a smaller one keeps the smallest keys); a snapshot without keys gets spaced ones (bottomK.ts). */
  static fromSnapshot(snapshot: PairReservoirSnapshot, capacity: number): PairReservoir {
    const reservoir = new PairReservoir(capacity);
    const n = Math.min(snapshot.primaryUs.length, snapshot.shadowUs.length);
    const keys = snapshot.keys !== undefined && snapshot.keys.length === n ? snapshot.keys : spacedKeys(n, snapshot.seen);
    for (let i = 0; i < n; i++) reservoir.keep(keys[i]!, snapshot.primaryUs[i]!, snapshot.shadowUs[i]!);
    reservoir.seen = Math.max(reservoir.size, snapshot.seen);
    return reservoir;
  }

  private keep(key: number, primaryUs: number, shadowUs: number): void {
    const slot = sampleSlot(
      this.size,
      this.capacity,
      (i) => this.keys[i]! - key || this.primaryUs[i]! - primaryUs || this.shadowUs[i]! - shadowUs,
    );
    if (slot === null) return;
    const end = Math.min(this.size, this.capacity - 1);
    for (const values of [this.keys, this.primaryUs, this.shadowUs]) values.copyWithin(slot + 1, slot, end);
    this.keys[slot] = key;
    this.primaryUs[slot] = primaryUs;
    this.shadowUs[slot] = shadowUs;
    if (this.size < this.capacity) this.size++;
    this.version++;
  }
}
