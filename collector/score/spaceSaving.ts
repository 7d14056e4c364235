// Space-saving (Metwally, Agrawal, El Abbadi, "Efficient computation of frequent and top-k
// elements in data streams", 2005): a table of at most `capacity` entries that keeps the
// heaviest. A newcomer takes the place of the lightest entry and inherits its weight as
// `countError`: its true weight is between `weight - countError` and `weight`, and every key
// heavier than (total weight / capacity) is guaranteed to be in the table. Unlike
// first-come-first-served, a table that filled up with junk still admits what comes later.
//
// The lightest entry is the root of a binary min-heap, so admitting and counting cost
// O(log capacity); the caller decides when to admit (the byte budget can ask for more room).

export interface Weighted {
  /** the estimate: counted since admission plus `countError` */
  weight: number;
  /** weight inherited on admission: how much of `weight` may belong to keys evicted before */
  countError: number;
}

export class SpaceSaving<T extends Weighted> {
  private readonly heap: T[] = [];
  private readonly keys: string[] = [];
  private readonly positions = new Map<string, number>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.heap.length;
  }

  get full(): boolean {
    return this.heap.length >= this.capacity;
  }

  get(key: string): T | undefined {
    const position = this.positions.get(key);
    return position === undefined ? undefined : this.heap[position];
  }

  /** The lightest entry, left in place. */
  lightest(): T | undefined {
    return this.heap[0];
  }

  /** Adds `weight` (negative only when restoring) to a tracked key. */
  add(key: string, weight: number): void {
    const position = this.positions.get(key);
    if (position === undefined || weight === 0) return;
    this.heap[position]!.weight += weight;
    if (weight > 0) this.down(position);
    else this.up(position);
  }

  /** Tracks a new key; the caller made room (see `full`, `popLightest`). */
  insert(key: string, value: T): void {
    if (this.positions.has(key) || this.full) throw new Error(`space-saving: cannot insert ${JSON.stringify(key)}`);
    this.heap.push(value);
    this.keys.push(key);
    this.positions.set(key, this.heap.length - 1);
    this.up(this.heap.length - 1);
  }

  /** Removes and returns the lightest entry with its key. */
  popLightest(): [string, T] | undefined {
    if (this.heap.length === 0) return undefined;
    const top: [string, T] = [this.keys[0]!, this.heap[0]!];
    const lastValue = this.heap.pop()!;
    const lastKey = this.keys.pop()!;
    this.positions.delete(top[0]);
    if (this.heap.length > 0) {
      this.place(0, lastKey, lastValue);
      this.down(0);
    }
    return top;
  }

  values(): IterableIterator<T> {
    return this.heap.values();
  }

  private up(at: number): void {
    let i = at;
    const key = this.keys[i]!;
    const value = this.heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.heap[parent]!.weight <= value.weight) break;
      this.place(i, this.keys[parent]!, this.heap[parent]!);
      i = parent;
    }
    this.place(i, key, value);
  }

  private down(at: number): void {
    let i = at;
    const key = this.keys[i]!;
    const value = this.heap[i]!;
    const n = this.heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.heap[right]!.weight < this.heap[left]!.weight ? right : left;
      if (this.heap[child]!.weight >= value.weight) break;
      this.place(i, this.keys[child]!, this.heap[child]!);
      i = child;
    }
    this.place(i, key, value);
  }

  private place(i: number, key: string, value: T): void {
    this.heap[i] = value;
    this.keys[i] = key;
    this.positions.set(key, i);
  }
}
