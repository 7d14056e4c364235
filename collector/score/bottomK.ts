// Bottom-k sampling (a KMV sketch): of the items offered, keep the k with the smallest key (the
// item's correlation id hashed, idHash.ts), sorted by key. What is kept is a function of the set
// of items offered, whatever their order, and two samples merge exactly (the bottom k of both):
// unlike a reservoir driven by arrival counts, a route folded into `other`, a replay and two
// report instances that read the verdicts partitions interleaved differently all keep the same.
// The keys are uniform, so the sample is a uniform sample of the items.

import { KEY_RANGE } from './idHash.js';

/**
 * Where a new item goes among the `size` kept (sorted), or null when a full sample keeps it out.
 * `compare(i)`: the sign of kept item i against the new one, by key, then by value, so that items
 * whose ids share a key still have one order (equal items are interchangeable).
 */
export function sampleSlot(size: number, capacity: number, compare: (i: number) => number): number | null {
  let low = 0;
  let high = size;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compare(middle) <= 0) low = middle + 1;
    else high = middle;
  }
  return low < capacity ? low : null;
}

/**
 * Offers `item`, of `key`, to a sample held as two arrays side by side (`keys[i]` is `items[i]`'s),
 * sorted by key, then by `compare(kept, offered)`: inserted where it goes, the largest dropped past
 * `capacity`.
 */
export function keepInSample<T>(
  keys: number[],
  items: T[],
  capacity: number,
  key: number,
  item: T,
  compare: (kept: T, offered: T) => number,
): void {
  const slot = sampleSlot(items.length, capacity, (i) => keys[i]! - key || compare(items[i]!, item));
  if (slot === null) return;
  keys.splice(slot, 0, key);
  items.splice(slot, 0, item);
  if (items.length > capacity) {
    keys.pop();
    items.pop();
  }
}

/**
 * Keys for a sample another rule kept (a snapshot of a release that sampled by arrival): `n`
 * items of `seen`, spaced as the bottom n keys of `seen` uniform keys are expected to be, so new
 * items displace them at the rate they would displace a bottom-k sample's own.
 */
export function spacedKeys(n: number, seen: number): number[] {
  const of = Math.max(n, seen) + 1;
  return Array.from({ length: n }, (_, i) => Math.floor(((i + 1) / of) * KEY_RANGE));
}
