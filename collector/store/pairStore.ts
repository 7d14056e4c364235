// Recently resolved pairs, for GET /v1/pairs/:id. Diverged pairs are kept apart from the rest so
// that a flood of matches cannot push out the examples the report points at. Both are bounded,
// insertion-ordered maps: the oldest entry goes first.

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

export class PairStore {
  private readonly diverged = new InsertionOrderedMap<PairView>();
  private readonly other = new InsertionOrderedMap<PairView>();

  // Bounded like the sets: a write is dropped again when its pair is pushed out before a checkpoint.
  private writes: Map<string, { kept: KeptAs; view: PairView }> | null;
  private deletes = new Set<string>();

  constructor(
    private readonly limits: PairStoreLimits,
    options: { trackChanges?: boolean } = {},
  ) {
    this.writes = options.trackChanges === true ? new Map() : null;
  }

  add(view: PairView): void {
    const kept: KeptAs = view.diff?.diverged === true ? 'diverged' : 'other';
    const target = kept === 'diverged' ? this.diverged : this.other;
    const limit = kept === 'diverged' ? this.limits.keepDiverged : this.limits.keepOther;
    if (limit === 0) return;
    target.set(view.id, view);
    if (this.writes !== null) {
      this.writes.delete(view.id);
      this.writes.set(view.id, { kept, view });
      this.deletes.delete(view.id);
    }
    if (target.size > limit) {
      const pushedOut = target.shift();
      if (pushedOut !== undefined && this.writes !== null) {
        this.writes.delete(pushedOut[0]);
        this.deletes.add(pushedOut[0]);
      }
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
    return this.diverged.get(id) ?? this.other.get(id);
  }

  /** Both sets, oldest first, so a restore keeps the same eviction order. */
  snapshot(): PairStoreSnapshot {
    return { diverged: [...this.diverged.values()], other: [...this.other.values()] };
  }

  restore(snapshot: PairStoreSnapshot): void {
    this.diverged.clear();
    this.other.clear();
    for (const view of [...snapshot.diverged, ...snapshot.other]) this.add(view);
    // What was restored is stored already.
    this.takeChanges();
  }

  get size(): number {
    return this.diverged.size + this.other.size;
  }
}
