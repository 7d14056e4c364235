// A Map that hands out its oldest entry in O(1) amortized, for the collector's bounded FIFOs (the
// join window, its tombstones, the retained pairs).
//
// Why not `map.keys().next()`: V8 leaves a deleted Map entry as a hole until the table is rehashed,
// and every new iterator walks the holes at the front again. A window that deletes at the front and
// adds at the back made "the oldest key" cost up to ~100 µs at 200,000 entries
// (bench/joinWindowFill.ts). Here the order is also kept in a queue of (key, stamp): a queued key
// whose entry was deleted or set again since is stale and skipped, once.

interface Slot<V> {
  value: V;
  /** Which queue item is this entry's: a key set again gets a new stamp. */
  stamp: number;
}

/** Queue items consumed from the front before the arrays are cut down to what is left. */
const COMPACT_AFTER = 1024;

export class InsertionOrderedMap<V> {
  private readonly slots = new Map<string, Slot<V>>();
  private queuedKeys: string[] = [];
  private queuedStamps: number[] = [];
  private head = 0;
  private nextStamp = 0;

  get size(): number {
    return this.slots.size;
  }

  get(key: string): V | undefined {
    return this.slots.get(key)?.value;
  }

  /** Sets `key` as the newest entry: a key that is already present moves to the back. */
  set(key: string, value: V): void {
    const stamp = this.nextStamp++;
    this.slots.delete(key);
    this.slots.set(key, { value, stamp });
    this.queuedKeys.push(key);
    this.queuedStamps.push(stamp);
    this.compact();
  }

  delete(key: string): boolean {
    return this.slots.delete(key);
  }

  /** The oldest entry, left in place; undefined when empty. */
  oldest(): [string, V] | undefined {
    while (this.head < this.queuedKeys.length) {
      const key = this.queuedKeys[this.head]!;
      const slot = this.slots.get(key);
      if (slot !== undefined && slot.stamp === this.queuedStamps[this.head]) return [key, slot.value];
      this.head++;
    }
    return undefined;
  }

  /** Removes and returns the oldest entry; undefined when empty. */
  shift(): [string, V] | undefined {
    const oldest = this.oldest();
    if (oldest !== undefined) {
      this.slots.delete(oldest[0]);
      this.head++;
    }
    return oldest;
  }

  /** Entries oldest first. */
  *entries(): IterableIterator<[string, V]> {
    for (const [key, slot] of this.slots) yield [key, slot.value];
  }

  /** Entries oldest first, each with its stamp: stamps grow in the order entries were set, so they say where an entry was once it is gone. */
  *stampedEntries(): IterableIterator<[string, V, number]> {
    for (const [key, slot] of this.slots) yield [key, slot.value, slot.stamp];
  }

  stampOf(key: string): number | undefined {
    return this.slots.get(key)?.stamp;
  }

  *values(): IterableIterator<V> {
    for (const slot of this.slots.values()) yield slot.value;
  }

  clear(): void {
    this.slots.clear();
    this.queuedKeys = [];
    this.queuedStamps = [];
    this.head = 0;
  }

  /**
   * Keeps the queue within a constant factor of the live entries: consumed items are cut off, and
   * when stale items (entries deleted out of order) outnumber live ones twice over, the queue is
   * rebuilt from the Map, whose iteration order is the same insertion order. Each rebuild is paid
   * for by the stale items it drops, so the cost stays O(1) amortized.
   */
  private compact(): void {
    const queued = this.queuedKeys.length - this.head;
    if (queued > 2 * this.slots.size + COMPACT_AFTER) {
      this.queuedKeys = [];
      this.queuedStamps = [];
      for (const [key, slot] of this.slots) {
        this.queuedKeys.push(key);
        this.queuedStamps.push(slot.stamp);
      }
      this.head = 0;
    } else if (this.head > COMPACT_AFTER && this.head * 2 > this.queuedKeys.length) {
      this.queuedKeys = this.queuedKeys.slice(this.head);
      this.queuedStamps = this.queuedStamps.slice(this.head);
      this.head = 0;
    }
  }
}
