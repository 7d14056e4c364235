// Copies of mutable tallies for a checkpoint, made as they are read rather than all in one step:
// a tally about to change before it was read is copied first (copy on write). So every copy is
// the tally as it was when the checkpoint was taken, however many turns of the event loop reading
// (and serialising) them takes, while batches keep being applied in between.

export class CopiesOnWrite<T extends object, C> implements Iterable<C> {
  /** by identity, in the order given: null until a change forced an early copy */
  private readonly waiting = new Map<T, C | null>();

  constructor(
    items: Iterable<T>,
    private readonly copy: (item: T) => C,
  ) {
    for (const item of items) this.waiting.set(item, null);
  }

  /** Called before `item` changes: copies it now if it is still to be read. */
  beforeChange(item: T): void {
    if (this.waiting.get(item) === null) this.waiting.set(item, this.copy(item));
  }

  /** Every copy has been read. */
  get done(): boolean {
    return this.waiting.size === 0;
  }

  /** The copies, each read once, in the order given; one not yet made is made as it is read. */
  *[Symbol.iterator](): Iterator<C> {
    for (const [item, copied] of this.waiting) {
      this.waiting.delete(item);
      yield copied ?? this.copy(item);
    }
  }
}
