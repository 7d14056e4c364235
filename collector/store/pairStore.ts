// Recently resolved pairs, for GET /v1/pairs/:id. Diverged pairs are kept apart from the rest so
// that a flood of matches cannot push out the examples the report points at. Both are bounded in
// entries and, together, by the pairs byte budget: insertion-ordered maps, the oldest entry goes
// first, and when the budget is short the non-diverged pairs give way before the diverged ones.

import type { ByteBudget } from '../budget/byteBudget.js';
import { pairViewBytes } from '../budget/sizeEstimates.js';
import { InsertionOrderedMap } from '../join/insertionOrderedMap.js';
import type { PairView } from '../types.js';

export interface PairStoreLimits {
  keepDiverged: number;
  keepOther: number;
}

/** Which of the two sets a pair is kept in. */
export type KeptAs = 'diverged' | 'other';

/** What changed since the last takeChanges(), for a durable store's incremental checkpoint. */
export interface PairStoreChanges {
  writes: Array<{ kept: KeptAs; view: PairView }>;
  deletes: string[];
}

export interface PairStoreSnapshot {
  diverged: PairView[];
  other: PairView[];
}

interface Kept {
  view: PairView;
  bytes: number;
}

export class PairStore {
  private readonly diverged = new InsertionOrderedMap<Kept>();
  private readonly other = new InsertionOrderedMap<Kept>();
  // Bounded like the sets: a write is dropped again when its pair is pushed out before a checkpoint.
  private readonly writes: Map<string, { kept: KeptAs; view: PairView }> | null;
  private readonly deletes = new Set<string>();

  constructor(
    private readonly limits: PairStoreLimits,
    private readonly budget: ByteBudget,
    options: { trackChanges?: boolean } = {},
  ) {
    this.writes = options.trackChanges === true ? new Map() : null;
  }

  add(view: PairView): void {
    const kept: KeptAs = view.diff?.diverged === true ? 'diverged' : 'other';
    const target = kept === 'diverged' ? this.diverged : this.other;
    const limit = kept === 'diverged' ? this.limits.keepDiverged : this.limits.keepOther;
    if (limit === 0) return;
    const bytes = pairViewBytes(view);
    if (bytes > this.budget.limitBytes) {
      this.budget.refusals++;
      return;
    }
    this.drop(target, target.get(view.id));
    target.set(view.id, { view, bytes });
    this.budget.take(bytes);
    if (this.writes !== null) {
      this.writes.set(view.id, { kept, view });
      this.deletes.delete(view.id);
    }
    if (target.size > limit) this.drop(target, target.shift()?.[1]);
    while (this.budget.over) {
      const from = this.other.size > 0 ? this.other : this.diverged;
      this.drop(from, from.shift()?.[1]);
      this.budget.evictions++;
    }
  }

  /** Pairs added and pushed out since the last call (only with trackChanges). */
  takeChanges(): PairStoreChanges {
    const changes: PairStoreChanges = { writes: [...(this.writes?.values() ?? [])], deletes: [...this.deletes] };
    this.writes?.clear();
    this.deletes.clear();
    return changes;
  }

  get(id: string): PairView | undefined {
    return (this.diverged.get(id) ?? this.other.get(id))?.view;
  }

  /** Both sets, oldest first, so a restore keeps the same eviction order. */
  snapshot(): PairStoreSnapshot {
    // One array each, of views that never change: a full checkpoint takes this in one step (a copy of references).
    const views = (map: InsertionOrderedMap<Kept>): PairView[] => Array.from(map.values(), (kept) => kept.view);
    return { diverged: views(this.diverged), other: views(this.other) };
  }

  restore(snapshot: PairStoreSnapshot): void {
    for (const map of [this.diverged, this.other]) {
      for (const kept of map.values()) this.budget.release(kept.bytes);
      map.clear();
    }
    for (const view of [...snapshot.diverged, ...snapshot.other]) this.add(view);
    // What was restored is stored already; what smaller limits pushed out is deleted at the next checkpoint.
    this.writes?.clear();
  }

  get size(): number {
    return this.diverged.size + this.other.size;
  }

  /** Gives back the bytes of an entry that left `map` (or is about to be replaced in it). */
  private drop(map: InsertionOrderedMap<Kept>, kept: Kept | undefined): void {
    if (kept === undefined) return;
    map.delete(kept.view.id);
    this.budget.release(kept.bytes);
    if (this.writes !== null) {
      this.writes.delete(kept.view.id);
      this.deletes.add(kept.view.id);
    }
  }
}
