// A bounded stack of idle objects kept for reuse (the stream contexts' pool, the inflaters').
//
// Not Array#pop: in AssemblyScript 0.17.14 it returns the element retained once more while the
// array's own reference is never given up (the source says "moved", the compiler retains the
// returned local), so an object that was popped once is never freed after it is dropped. In
// Envoy, where more streams end together than a pool keeps, every such object leaked with what
// it held, and linear memory grew without bound (filter/README.md, "What the VM keeps").
export class IdleStack<T> {
  private items: StaticArray<T | null>;
  private count: i32 = 0;

  constructor(capacity: i32) {
    this.items = new StaticArray<T | null>(capacity);
  }

  get size(): i32 {
    return this.count;
  }

  /** An idle object, or null when there is none; the stack no longer holds it. */
  take(): T | null {
    if (this.count == 0) return null;
    const index = --this.count;
    const item = this.items[index];
    this.items[index] = null;
    return item;
  }

  /** Keeps `item` if there is room; false when full (the caller's reference is then its last). */
  give(item: T): bool {
    if (this.count >= this.items.length) return false;
    this.items[this.count++] = item;
    return true;
  }
}
