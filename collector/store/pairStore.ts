// Recently resolved pairs, for GET /v1/pairs/:id. Diverged pairs are kept apart from the rest so
// that a flood of matches cannot push out the examples the report points at. Both are bounded,
// insertion-ordered maps: the oldest entry goes first.

import { InsertionOrderedMap } from '../join/insertionOrderedMap.js';
import type { PairView } from '../types.js';

export interface PairStoreLimits {
  keepDiverged: number;
  keepOther: number;
}

export interface PairStoreSnapshot {
  diverged: PairView[];
  other: PairView[];
}

export class PairStore {
  private readonly diverged = new InsertionOrderedMap<PairView>();
  private readonly other = new InsertionOrderedMap<PairView>();

  constructor(private readonly limits: PairStoreLimits) {}

  add(view: PairView): void {
    const diverged = view.diff?.diverged === true;
    const target = diverged ? this.diverged : this.other;
    const limit = diverged ? this.limits.keepDiverged : this.limits.keepOther;
    if (limit === 0) return;
    target.set(view.id, view);
    if (target.size > limit) target.shift();
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
  }

  get size(): number {
    return this.diverged.size + this.other.size;
  }
}
