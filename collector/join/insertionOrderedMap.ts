// A Map that hands out its oldest entry in O(1) amortized, for the collector's bounded FIFOs (the
// join window, its tombstones, the retained pairs).
//
// Why not `map.keys().next()`: V8 leaves a deleted Map entry as a hole until the table is rehashed,
// and every new iterator walks the holes at the front again. A window that deletes at the front and
// adds at the back made "the oldest key" cost up to ~100 µs at 200,000 entries
// (bench/joinWindowFill.ts). Here the order is also kept in a queue of the entries' slots: a slot
// whose entry was deleted or set again since is no longer live and is skipped, once, without a
// lookup (the join's tombstones are 200,000 entries: a lookup in a table that size misses the
// caches, and the stale slots at the front were one each).

interface Slot<V> {
  readonly key: string;
  readonly value: V;
  /** Stamps grow in the order entries were set: a key set again gets a new slot. */
  readonly stamp: number;
  /** False once the entry was deleted or set again: its queue item is stale. */
  live: boolean;
}

/** Queue items consumed from the front before the queue is cut down to what is left. */
const COMPACT_AFTER = 1024;

export class InsertionOrderedMap<V> {
  private readonly slots = new Map<string, Slot<V>>();
  private queue: Slot<V>[] = [];
  private head = 0;
  private nextStamp = 0;
  /** The slot get() found last: the join deletes an entry right after it read it (one lookup, not two). */
  private found: Slot<V> | undefined;

  get size(): number {
    return this.slots.size;
  }

  get(key: string): V | undefined {
    const slot = this.slots.get(key);
    if (slot !== undefined) this.found = slot;
    return slot?.value;
  }

  /** Sets `key` as the newest entry: a key that is already present moves to the back. */
  set(key: string, value: V): void {
    const previous = this.slots.get(key);
    if (previous !== undefined) {
      previous.live = false;
      // Deleted first, so that the Map's own order (entries()) stays the order of setting.
      this.slots.delete(key);
    }
    const slot: Slot<V> = { key, value, stamp: this.nextStamp++, live: true };
    this.slots.set(key, slot);
    this.queue.push(slot);
    this.compact();
  }

  delete(key: string): boolean {
    // A live slot found last is the key's current one.
    const found = this.found;
    const slot = found?.live && found.key === key ? found : this.slots.get(key);
    if (slot === undefined) return false;
    slot.live = false;
    this.slots.delete(key);
    return true;
  }

  /** The oldest entry, left in place; undefined when empty. */
  oldest(): [string, V] | undefined {
    while (this.head < this.queue.length) {
      const slot = this.queue[this.head]!;
      if (slot.live) return [slot.key, slot.value];
      this.head++;
    }
    return undefined;
  }

  /** Removes and returns the oldest entry; undefined when empty. */
  shift(): [string, V] | undefined {
    const oldest = this.oldest();
    if (oldest !== undefined) {
      // oldest() left the head at its slot.
      const slot = this.queue[this.head++]!;
      slot.live = false;
      this.slots.delete(slot.key);
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
    this.queue = [];
    this.head = 0;
    this.found = undefined;
  }

  /**
   * Keeps the queue within a constant factor of the live entries: consumed items are cut off, and
   * when stale items (entries deleted out of order) outnumber live ones twice over, the queue is
   * rebuilt from the Map, whose iteration order is the same insertion order. Each rebuild is paid
   * for by the stale items it drops, so the cost stays O(1) amortized.
   */
  private compact(): void {
    const queued = this.queue.length - this.head;
    if (queued > 2 * this.slots.size + COMPACT_AFTER) {
      this.queue = Array.from(this.slots.values());
      this.head = 0;
    } else if (this.head > COMPACT_AFTER && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
