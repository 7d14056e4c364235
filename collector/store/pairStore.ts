// Recently resolved pairs, for GET /v1/pairs/:id. Diverged pairs are kept apart from the rest so
// that a flood of matches cannot push out the examples the report points at. Both are bounded in
// entries and, together, by the pairs byte budget: each keeps its latest pairs by resolution time
// (of equal times, the greatest id: the order the report's examples are chosen by, score/
// examples.ts), so within the entry limits which pairs are kept does not depend on the order they
// were added in (Kafka mode's report instances read partitions interleaved as they come); when
// the budget is short the non-diverged pairs give way before the diverged ones, oldest first.

import type { ByteBudget } from '../budget/byteBudget.js';
import { pairViewBytes } from '../budget/sizeEstimates.js';
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

/**
 * A retained pair, let go of (`view` null) as it leaves its set. The Map and the array that held
 * it may leave an old copy of their table behind (a rehash, a grown array), which V8 keeps until
 * the next full collection; while it does, its references hold young objects through every
 * scavenge, which promotes them: the records of every pair that passed through the set (bench
 * line 6: 2 MB promoted per scavenge, 27% of the collector's time in the garbage collector). A
 * released entry holds nothing.
 */
interface Kept {
  view: PairView | null;
  bytes: number;
}

/** Whether `a` resolved before `b`: by time, then by id. */
function before(a: PairView, b: PairView): boolean {
  const at = a.resolvedAtUnixMs ?? 0;
  const bt = b.resolvedAtUnixMs ?? 0;
  return at < bt || (at === bt && a.id < b.id);
}

/** Pairs by id, and in resolution order (oldest first; almost every pair comes last, so that is tried first). */
class KeptSet {
  private readonly byId = new Map<string, Kept>();
  private readonly order: Kept[] = [];

  get size(): number {
    return this.order.length;
  }

  get(id: string): Kept | undefined {
    return this.byId.get(id);
  }

  oldest(): Kept | undefined {
    return this.order[0];
  }

  insert(view: PairView, bytes: number): Kept {
    const kept: Kept = { view, bytes };
    this.byId.set(view.id, kept);
    const last = this.order.at(-1);
    if (last === undefined || !before(view, last.view!)) {
      this.order.push(kept);
      return kept;
    }
    // Older than the newest (a partition read behind the others): after every pair resolved before it.
    let low = 0;
    let high = this.order.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (before(view, this.order[middle]!.view!)) high = middle;
      else low = middle + 1;
    }
    this.order.splice(low, 0, kept);
    return kept;
  }

  /** Takes `kept` out and lets go of its view; answers the view's id. */
  delete(kept: Kept): string {
    const id = kept.view!.id;
    this.byId.delete(id);
    // Mostly the oldest (a full set, the budget), else one replaced, mostly recent.
    if (this.order[0] === kept) this.order.shift();
    else this.order.splice(this.order.lastIndexOf(kept), 1);
    kept.view = null;
    return id;
  }

  /** The views, oldest first. */
  *views(): IterableIterator<PairView> {
    for (const kept of this.order) yield kept.view!;
  }

  /** Empties the set, letting go of every view; answers the bytes its entries held. */
  clear(): number {
    let bytes = 0;
    for (const kept of this.order) {
      bytes += kept.bytes;
      kept.view = null;
    }
    this.byId.clear();
    this.order.length = 0;
    return bytes;
  }
}

export class PairStore {
  private readonly diverged = new KeptSet();
  private readonly other = new KeptSet();
  // Bounded like the sets: a write is dropped again when its pair is pushed out before a checkpoint.
  // Its entry, not its view: a pair pushed out is let go of here too (Kept says why).
  private readonly writes: Map<string, { kept: KeptAs; entry: Kept }> | null;
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
    // A full set keeps its latest: an older pair is not kept (as it would have been pushed out, had it come first).
    const oldest = target.oldest();
    if (target.size >= limit && oldest !== undefined && before(view, oldest.view!)) return;
    const entry = target.insert(view, bytes);
    this.budget.take(bytes);
    if (this.writes !== null) {
      this.writes.set(view.id, { kept, entry });
      this.deletes.delete(view.id);
    }
    if (target.size > limit) this.drop(target, target.oldest());
    while (this.budget.over) {
      const from = this.other.size > 0 ? this.other : this.diverged;
      this.drop(from, from.oldest());
      this.budget.evictions++;
    }
  }

  /** Pairs added and pushed out since the last call (only with trackChanges). */
  takeChanges(): PairStoreChanges {
    // Every write is of a pair still kept (one pushed out left `writes`): its view is there.
    const writes = Array.from(this.writes?.values() ?? [], ({ kept, entry }) => ({ kept, view: entry.view! }));
    const changes: PairStoreChanges = { writes, deletes: [...this.deletes] };
    this.writes?.clear();
    this.deletes.clear();
    return changes;
  }

  get(id: string): PairView | undefined {
    return (this.diverged.get(id) ?? this.other.get(id))?.view ?? undefined;
  }

  /** Both sets, oldest first. */
  snapshot(): PairStoreSnapshot {
    // One array each, of views that never change: a full checkpoint takes this in one step (a copy of references).
    const views = (set: KeptSet): PairView[] => Array.from(set.views());
    return { diverged: views(this.diverged), other: views(this.other) };
  }

  restore(snapshot: PairStoreSnapshot): void {
    for (const set of [this.diverged, this.other]) this.budget.release(set.clear());
    for (const view of [...snapshot.diverged, ...snapshot.other]) this.add(view);
    // What was restored is stored already; what smaller limits pushed out is deleted at the next checkpoint.
    this.writes?.clear();
  }

  get size(): number {
    return this.diverged.size + this.other.size;
  }

  /** Gives back the bytes of an entry that left `set` (or is about to be replaced in it). */
  private drop(set: KeptSet, kept: Kept | undefined): void {
    if (kept === undefined) return;
    const id = set.delete(kept);
    this.budget.release(kept.bytes);
    if (this.writes !== null) {
      this.writes.delete(id);
      this.deletes.add(id);
    }
  }
}
