// Joins the two legs of a request by correlation id, in either order, within a window; and a
// third, the secondary (a second instance of the primary's version), when the primary says the
// edge sent one (`withSecondary`): such a pair waits, once both its legs are in, for the
// secondary until it arrives or the window closes, and a window that closes (or an entry
// evicted) without it is judged as a pair, counted apart (`secondary_missing`). A secondary
// whose pair never came is `secondary_orphaned`. Without `withSecondary` and secondary legs,
// nothing differs from the two-leg join.
//
// Cost per record is O(1) amortized: a Map lookup, and expiry pops from the front of
// insertion-ordered maps (arrival order is deadline order, because the window is fixed), so nothing
// ever scans history (InsertionOrderedMap says why a plain Map's front is not O(1)).
// No per-entry timers exist; whoever owns the window calls expire() (on ingest and on a sweep).
// Both calls return what happened (a JoinEvent, the windows that closed); nothing calls back.
//
// Pending legs are bounded twice: `maxPending` entries and the pending byte budget (estimated
// bytes of the records held). Past either, the oldest pending legs are evicted; a single record
// larger than the whole budget is evicted at once instead of pushing everything else out.
//
// A leg a restart left in the durable store is held by reference (DeferredLeg): its id, role and
// byte estimate are known, its record is read when it is needed (its partner arrives, its window
// closes, it is evicted, a pair lookup). It takes from the pending budget what the record it
// stands for took, so eviction after a restart is what it would have been without one.
// readAhead() reads them in deadline order ahead of their window's close, a step at a time (the
// pipeline drives it in slices), so that expire() finds records rather than reads.
//
// Resolved ids are remembered for a while (tombstones) so that a re-delivered record is counted
// once and a leg arriving after its partner's window closed is reported as late rather than
// opening a new entry that would later be miscounted as a second missing leg.
//
// A whole snapshot of the ids (wholeSnapshot(), a durable store's full checkpoint) is read a step
// at a time while records keep being offered and windows keep closing, and still holds the ids
// as they were when it was taken: an entry about to change (paired, closed, evicted, forgotten,
// a leg added to its tombstone) before the reader got to it has its state copied first, and
// entries made since are passed over (copy on write, per entry: `seen`). Tombstones come in the
// order they were made, copies among them (a restore forgets them in that order past its cap).

import { InsertionOrderedMap } from './insertionOrderedMap.js';
import type { ByteBudget } from '../budget/byteBudget.js';
import { pendingLegBytes } from '../budget/sizeEstimates.js';
import type { IngestedRecord } from '../ingest/ingestedRecord.js';
import type { WireLeg } from '../ingest/wireSchema.js';
import type { MissingOutcome } from './outcomes.js';

/** What offering one record did. */
export type JoinEvent =
  /**
   * The first leg of its id: it waits for its partner. `evicted`: pending legs dropped unpaired, oldest first, because a cap or the
   * byte budget was reached (it can be this record, when it alone exceeds the budget). `anew` (trackChanges only): the id was
   * resolved since the changes last written (takeChanges, changesWritten), its tombstone since forgotten: a durable store may still
   * log the legs of its earlier request, which go, unlike this one. `evicted` holds primary and shadow legs only; `closed`: what
   * else the evictions resolved (a pair that was waiting for its secondary, a lone secondary), present only when there was some.
   */
  | { kind: 'waiting'; evicted: readonly IngestedRecord[]; anew: boolean; closed?: readonly ClosedWindow[] }
  /** `secondary`: present when the secondary leg joined the pair (a triple), null when it was logged but could not be read back. */
  | { kind: 'paired'; primary: IngestedRecord; shadow: IngestedRecord; secondary?: IngestedRecord | null }
  /** The same (id, leg) was seen before: dropped, the first copy is the one judged. */
  | { kind: 'duplicate' }
  /** The other leg of this id was already resolved as missing or evicted. */
  | { kind: 'late' };

/**
 * A window that closed unresolved: with one leg of the pair only; with both, still missing the
 * secondary the primary announced (judged as a pair); or with the secondary alone (orphaned:
 * nothing to judge it with).
 */
export type ClosedWindow =
  | { record: IngestedRecord; outcome: MissingOutcome }
  | { outcome: 'secondary_missing'; primary: IngestedRecord; shadow: IngestedRecord }
  | { outcome: 'secondary_orphaned'; record: IngestedRecord };

/** What an entry that goes unresolved leaves: a window closed, or (evicted) a leg of the pair. */
type Unresolved = { closed: ClosedWindow } | { evicted: IngestedRecord } | null;

// The events without data are shared, so the hot path allocates nothing for them.
const WAITING: JoinEvent = Object.freeze({ kind: 'waiting', evicted: Object.freeze([]), anew: false });
const WAITING_ANEW: JoinEvent = Object.freeze({ kind: 'waiting', evicted: Object.freeze([]), anew: true });
const DUPLICATE: JoinEvent = Object.freeze({ kind: 'duplicate' });
const LATE: JoinEvent = Object.freeze({ kind: 'late' });
const NOTHING_CLOSED: readonly ClosedWindow[] = Object.freeze([]);

export interface JoinWindowOptions {
  windowMs: number;
  maxPending: number;
  rememberMs: number;
  maxRemembered: number;
  /** keep the ids whose state changed, for a durable store's incremental checkpoint (takeChanges) */
  trackChanges?: boolean;
}

/** A resolved id still remembered: the legs seen (bit set of legBit()) and when it is forgotten. */
export type RememberedId = [id: string, legs: number, forgetAtUnixMs: number];

/** What a whole snapshot of the ids holds: a pending id (its logged legs stay), or a remembered one. */
export type WholeJoinItem = string | RememberedId;

/** A whole snapshot's copies of entries that changed before it read them; tombstones by their place in the map (stamp), ascending. */
interface CopiedIds {
  pending: string[];
  remembered: Array<[stamp: number, remembered: RememberedId]>;
}

/** What changed since the last takeChanges(), for a durable store. */
export interface JoinChanges {
  /** ids no longer pending: the store's copies of their legs can go */
  settled: string[];
  /** tombstones written or updated */
  remembered: RememberedId[];
  /** tombstones dropped by the maxRemembered cap, also of ids pending anew since */
  forgotten: string[];
}

/**
 * A pending leg kept elsewhere (the durable store) until it is needed. `read` answers the record,
 * checked, or null when it cannot be had (the row is gone or damaged: whoever reads counts it);
 * the join then drops the leg as if it had never been pending, keeping its id's tombstone.
 */
export interface DeferredLeg {
  readonly deferred: true;
  readonly id: string;
  readonly leg: WireLeg;
  /** pendingLegBytes of the record it stands for */
  readonly bytes: number;
  read(): IngestedRecord | null;
}

/** A pending leg as the join holds it: the record, or a reference to it. */
export type HeldLeg = IngestedRecord | DeferredLeg;

function isDeferred(held: HeldLeg): held is DeferredLeg {
  return (held as Partial<DeferredLeg>).deferred === true;
}

function recordOf(held: HeldLeg | null): IngestedRecord | null {
  return held === null || !isDeferred(held) ? held : held.read();
}

const PRIMARY = 1;
const SHADOW = 2;
const SECONDARY = 4;
const PAIR = PRIMARY | SHADOW;
const EVERY_LEG = PAIR | SECONDARY;

/** A leg's bit in a remembered id's `legs` (RememberedId; a durable store's and a verdicts partition's rebuild spell them so). */
export function legBit(leg: WireLeg): number {
  return leg === 'primary' ? PRIMARY : leg === 'shadow' ? SHADOW : SECONDARY;
}

interface JoinEntry {
  primary: HeldLeg | null;
  shadow: HeldLeg | null;
  secondary: HeldLeg | null;
  /** bit set of legs seen: PRIMARY | SHADOW | SECONDARY */
  legs: number;
  /** pending: when the window closes; remembered: when the tombstone is forgotten */
  deadline: number;
  /** estimated bytes of the legs held, taken from the pending budget while pending */
  bytes: number;
  /** the last whole snapshot that has this entry's state (read or copied), or that began before it was made */
  seen: number;
}

export interface PendingLegs {
  primary: IngestedRecord | null;
  shadow: IngestedRecord | null;
  /** present when a secondary leg is held */
  secondary?: IngestedRecord;
}

/** Puts a leg into its slot of the entry. */
function place(entry: JoinEntry, bit: number, held: HeldLeg): void {
  if (bit === PRIMARY) entry.primary = held;
  else if (bit === SHADOW) entry.shadow = held;
  else entry.secondary = held;
}

export class JoinWindow {
  private readonly pending = new InsertionOrderedMap<JoinEntry>();
  private readonly remembered = new InsertionOrderedMap<JoinEntry>();
  private changed: Set<string> | null;
  /** The ids of the changes taken last, until changesWritten() says whether the store has them. */
  private taken: Set<string> | null = null;
  /** Entries restored with a deferred leg, in deadline order (restore() takes them oldest first); readAhead's queue. */
  private deferred: JoinEntry[] = [];
  private deferredNext = 0;
  /** Numbers the whole snapshots; the last one's, while it is read, copies an entry before it changes into `copied`. */
  private wholeSnapshots = 0;
  private copied: CopiedIds | null = null;

  constructor(
    private readonly options: JoinWindowOptions,
    private readonly budget: ByteBudget,
  ) {
    this.changed = options.trackChanges === true ? new Set() : null;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  get rememberedCount(): number {
    return this.remembered.size;
  }

  /** `bytes`: the record's pendingLegBytes when the caller has it already (the store made it for the record's row). */
  offer(record: IngestedRecord, now: number, bytes?: number): JoinEvent {
    return this.take(record, record.id, record.leg, now, bytes);
  }

  private take(held: HeldLeg, id: string, leg: WireLeg, now: number, known?: number): JoinEvent {
    const bit = legBit(leg);
    const resolved = this.remembered.get(id);
    if (resolved !== undefined) {
      // Either way a durable store logged this leg, and it settles nothing: its copy can go.
      this.changed?.add(id);
      if ((resolved.legs & bit) !== 0) return DUPLICATE;
      this.copyBeforeChange(id, resolved, false);
      resolved.legs |= bit;
      return LATE;
    }
    const entry = this.pending.get(id);
    if (entry === undefined) {
      // Estimated only for the first leg of an id, and only when nobody did already.
      const bytes = isDeferred(held) ? held.bytes : (known ?? pendingLegBytes(held));
      const created: JoinEntry = {
        primary: null,
        shadow: null,
        secondary: null,
        legs: bit,
        deadline: now + this.options.windowMs,
        bytes: 0,
        seen: this.wholeSnapshots,
      };
      place(created, bit, held);
      if (bytes > this.budget.limitBytes) {
        this.budget.refusals++;
        const refused = unresolved(created, true);
        this.remember(id, created, now);
        if (refused === null) return { kind: 'waiting', evicted: [], anew: false };
        return 'evicted' in refused
          ? { kind: 'waiting', evicted: [refused.evicted], anew: false }
          : { kind: 'waiting', evicted: [], anew: false, closed: [refused.closed] };
      }
      const anew = this.changed !== null && (this.changed.has(id) || this.taken?.has(id) === true);
      this.pending.set(id, created);
      if (isDeferred(held)) this.deferred.push(created);
      created.bytes = bytes;
      this.budget.take(bytes);
      return this.heldWithin(anew, now);
    }
    if ((entry.legs & bit) !== 0) return DUPLICATE;
    this.copyBeforeChange(id, entry, true);
    place(entry, bit, held);
    entry.legs |= bit;
    if (!this.complete(entry)) {
      // A leg of a triple still waiting: held with the others, within the same caps.
      const bytes = isDeferred(held) ? held.bytes : (known ?? pendingLegBytes(held));
      entry.bytes += bytes;
      this.budget.take(bytes);
      if (isDeferred(held)) this.deferred.push(entry);
      return this.heldWithin(false, now);
    }
    this.pending.delete(id);
    this.budget.release(entry.bytes);
    const primary = recordOf(entry.primary);
    const shadow = recordOf(entry.shadow);
    const secondary = (entry.legs & SECONDARY) !== 0 ? recordOf(entry.secondary) : undefined;
    this.remember(id, entry, now);
    // A leg that waited (or, on restore, a deferred one) could not be read back: its partner is late, as after an eviction.
    if (primary === null || shadow === null) return LATE;
    return secondary === undefined ? { kind: 'paired', primary, shadow } : { kind: 'paired', primary, shadow, secondary };
  }

  /**
   * Whether the entry, with the legs it has now, is resolved: both legs of the pair, and the
   * secondary too when the primary announced one. A deferred primary is read (and kept read) to
   * know; one that cannot be read resolves the entry (its partner is then late).
   */
  private complete(entry: JoinEntry): boolean {
    if ((entry.legs & PAIR) !== PAIR) return false;
    if ((entry.legs & SECONDARY) !== 0) return true;
    const primary = recordOf(entry.primary);
    entry.primary = primary;
    return primary?.withSecondary !== true;
  }

  /** The answer to a leg that waits: evicting the oldest entries while a cap or the byte budget is exceeded. */
  private heldWithin(anew: boolean, now: number): JoinEvent {
    if (this.pending.size <= this.options.maxPending && !this.budget.over) return anew ? WAITING_ANEW : WAITING;
    const evicted: IngestedRecord[] = [];
    const closed: ClosedWindow[] = [];
    while (this.pending.size > this.options.maxPending || this.budget.over) {
      if (this.pending.size <= this.options.maxPending) this.budget.evictions++;
      const oldest = this.evictOldest(now);
      if (oldest === undefined) break;
      if (oldest === null) continue;
      if ('evicted' in oldest) evicted.push(oldest.evicted);
      else closed.push(oldest.closed);
    }
    return closed.length === 0 ? { kind: 'waiting', evicted, anew } : { kind: 'waiting', evicted, anew, closed };
  }

  /** Closes every window that ended at or before `now`; returns them, oldest first. */
  expire(now: number): readonly ClosedWindow[] {
    let closed = NOTHING_CLOSED as ClosedWindow[];
    for (let oldest = this.pending.oldest(); oldest !== undefined && oldest[1].deadline <= now; oldest = this.pending.oldest()) {
      const [id, entry] = oldest;
      this.copyBeforeChange(id, entry, true);
      this.pending.delete(id);
      this.budget.release(entry.bytes);
      const left = unresolved(entry, false);
      this.remember(id, entry, now);
      if (left === null || 'evicted' in left) continue;
      if (closed === NOTHING_CLOSED) closed = [];
      closed.push(left.closed);
    }
    for (let oldest = this.remembered.oldest(); oldest !== undefined && oldest[1].deadline <= now; oldest = this.remembered.oldest()) {
      this.copyBeforeChange(oldest[0], oldest[1], false);
      this.remembered.delete(oldest[0]);
    }
    return closed;
  }

  /** Deferred legs not read ahead yet (some may have been resolved since): readAhead() has work. */
  get hasDeferred(): boolean {
    return this.deferredNext < this.deferred.length;
  }

  /**
   * Reads the deferred legs whose window closes at or before `until`, oldest first, yielding after
   * each; the entry then holds the record (or nothing, when it could not be read: the leg is
   * dropped as expire() and a partner would find it). Entries resolved meanwhile are skipped.
   */
  *readAhead(until: number): Generator<void, void, void> {
    while (this.deferredNext < this.deferred.length) {
      const entry = this.deferred[this.deferredNext]!;
      const deferred = [entry.primary, entry.shadow, entry.secondary].some((held) => held !== null && isDeferred(held));
      if (deferred) {
        if (entry.deadline > until) return;
        entry.primary = recordOf(entry.primary);
        entry.shadow = recordOf(entry.shadow);
        entry.secondary = recordOf(entry.secondary);
      }
      this.deferredNext++;
      yield;
    }
    this.deferred = [];
    this.deferredNext = 0;
  }

  isPending(id: string): boolean {
    return this.pending.get(id) !== undefined;
  }

  /** The legs waiting for a partner, for pair lookups (a deferred one is read); undefined when `id` is not pending. */
  pendingLegs(id: string): PendingLegs | undefined {
    const entry = this.pending.get(id);
    if (entry === undefined) return undefined;
    const legs: PendingLegs = { primary: recordOf(entry.primary), shadow: recordOf(entry.shadow) };
    const secondary = recordOf(entry.secondary);
    if (secondary !== null) legs.secondary = secondary;
    return legs;
  }

  /** Every pending leg with its arrival time, oldest first (deferred ones read): a whole snapshot of the window. */
  pendingArrivals(): Array<{ arrivedUnixMs: number; record: IngestedRecord }> {
    const legs: Array<{ arrivedUnixMs: number; record: IngestedRecord }> = [];
    for (const entry of this.pending.values()) {
      const arrivedUnixMs = entry.deadline - this.options.windowMs;
      for (const held of [entry.primary, entry.shadow, entry.secondary]) {
        const record = recordOf(held);
        if (record !== null) legs.push({ arrivedUnixMs, record });
      }
    }
    return legs;
  }

  pendingIds(): string[] {
    return [...this.pending.entries()].map(([id]) => id);
  }

  /**
   * The pending and the remembered ids as they are now, read a step at a time (each item once):
   * offers, expiry and evictions may run between the steps, and what they change is copied first.
   * A later call ends the copying for an earlier one, which then has no reader any more.
   */
  wholeSnapshot(): Iterable<WholeJoinItem> {
    const snapshot = ++this.wholeSnapshots;
    const copied: CopiedIds = { pending: [], remembered: [] };
    this.copied = copied;
    return this.readWhole(snapshot, copied);
  }

  private *readWhole(snapshot: number, copied: CopiedIds): Generator<WholeJoinItem, void, undefined> {
    // Live iteration: entries deleted before they are reached were copied; entries set since are new or copied.
    for (const [id, entry] of this.pending.entries()) {
      if (entry.seen === snapshot) continue;
      entry.seen = snapshot;
      yield id;
    }
    // A tombstone copied had its place before every one not read yet: each comes before the first read after its place.
    let next = 0;
    for (const [id, entry, stamp] of this.remembered.stampedEntries()) {
      if (entry.seen === snapshot) continue;
      entry.seen = snapshot;
      for (; next < copied.remembered.length && copied.remembered[next]![0] < stamp; next++) yield copied.remembered[next]![1];
      yield [id, entry.legs, entry.deadline];
    }
    // Every entry of the snapshot has been read or copied: what changes from now on is not in it.
    if (this.copied === copied) this.copied = null;
    for (; next < copied.remembered.length; next++) yield copied.remembered[next]![1];
    yield* copied.pending;
  }

  /** Before `entry` changes, while a whole snapshot is read: its state, if the snapshot has neither read nor copied it. */
  private copyBeforeChange(id: string, entry: JoinEntry, pending: boolean): void {
    const copied = this.copied;
    if (copied === null || entry.seen === this.wholeSnapshots) return;
    entry.seen = this.wholeSnapshots;
    if (pending) {
      copied.pending.push(id);
      return;
    }
    // Kept in map order: tombstones are mostly copied oldest first (forgotten, expired), so this rarely moves any.
    const stamp = this.remembered.stampOf(id) ?? Number.POSITIVE_INFINITY;
    let at = copied.remembered.length;
    while (at > 0 && copied.remembered[at - 1]![0] > stamp) at--;
    copied.remembered.splice(at, 0, [stamp, [id, entry.legs, entry.deadline]]);
  }

  rememberedIds(): RememberedId[] {
    const ids: RememberedId[] = [];
    for (const [id, entry] of this.remembered.entries()) ids.push([id, entry.legs, entry.deadline]);
    return ids;
  }

  /**
   * Takes back what a restart found in the store: remembered ids first (so a partner arriving now
   * is late, not a new pending leg), then the pending legs, oldest first, at their arrival time.
   * Answers the legs evicted because join.maxPending is now smaller than before, and how many
   * entries were `superseded`: a pending leg that would pair with one restored before it, or that
   * meets its id's tombstone, shows those to be of a request resolved before it (a store written
   * before ids pending anew lost their earlier legs holds such): that one is dropped, the later leg
   * pends, so nothing is counted twice and a restart never fails on what the collector wrote.
   */
  restore(
    remembered: readonly RememberedId[],
    pending: ReadonlyArray<{ arrivedUnixMs: number; record: HeldLeg }>,
  ): { evicted: IngestedRecord[]; superseded: number } {
    const evicted: IngestedRecord[] = [];
    let superseded = 0;
    for (const [id, legs, forgetAtUnixMs] of remembered) {
      this.remembered.set(id, {
        primary: null,
        shadow: null,
        secondary: null,
        legs: legs & EVERY_LEG,
        deadline: forgetAtUnixMs,
        bytes: 0,
        seen: this.wholeSnapshots,
      });
      if (this.remembered.size > this.options.maxRemembered) this.remembered.shift();
    }
    for (const { arrivedUnixMs, record } of pending) {
      if (this.supersede(record)) superseded++;
      // Waiting, or a copy of a pending leg (dropped: the first is judged).
      const event = this.take(record, record.id, record.leg, arrivedUnixMs);
      if (event.kind === 'waiting') evicted.push(...event.evicted);
    }
    return { evicted, superseded };
  }

  /**
   * Drops what a restored leg of `id` contradicts (its tombstone, pending legs it would resolve:
   * a triple's legs still waiting for one more contradict nothing); answers whether there was one.
   */
  private supersede(held: HeldLeg): boolean {
    const { id } = held;
    if (this.remembered.delete(id)) {
      // The store's row of it goes at the next checkpoint.
      this.changed?.add(id);
      return true;
    }
    const entry = this.pending.get(id);
    const bit = legBit(held.leg);
    if (entry === undefined || (entry.legs & bit) !== 0) return false;
    const legs = entry.legs | bit;
    if ((legs & PAIR) !== PAIR) return false;
    if ((legs & SECONDARY) === 0) {
      const primary = recordOf(bit === PRIMARY ? held : entry.primary);
      if (bit !== PRIMARY) entry.primary = primary;
      if (primary?.withSecondary === true) return false;
    }
    this.pending.delete(id);
    this.budget.release(entry.bytes);
    // readAhead() passes it over.
    entry.primary = null;
    entry.shadow = null;
    entry.secondary = null;
    return true;
  }

  /**
   * An id judged elsewhere (Kafka mode's report role counts join workers' verdicts): remembered
   * as one resolved here is, with the legs it had; false when it is remembered already, so a
   * verdict repeated within join.rememberMs is counted once.
   */
  settle(id: string, legs: readonly WireLeg[], now: number): boolean {
    if (this.remembered.get(id) !== undefined) return false;
    let bits = 0;
    for (const leg of legs) bits |= legBit(leg);
    this.remember(
      id,
      { primary: null, shadow: null, secondary: null, legs: bits, deadline: now, bytes: 0, seen: this.wholeSnapshots },
      now,
    );
    return true;
  }

  /**
   * The ids whose state changed since the last call (only with trackChanges), as they are now.
   * Held until changesWritten(): until the store has them, an id among them pending anew is `anew`.
   */
  takeChanges(): JoinChanges {
    const changes: JoinChanges = { settled: [], remembered: [], forgotten: [] };
    const changed = this.changed;
    if (changed === null) return changes;
    // Changes taken before and never said written are taken again.
    for (const id of this.taken ?? []) changed.add(id);
    this.taken = changed;
    this.changed = new Set();
    for (const id of changed) {
      const entry = this.remembered.get(id);
      if (entry !== undefined) {
        changes.settled.push(id);
        changes.remembered.push([id, entry.legs, entry.deadline]);
        continue;
      }
      changes.forgotten.push(id);
      // Forgotten, then seen again: pending anew, its new leg stays (the legs before it go: `anew`).
      if (this.pending.get(id) === undefined) changes.settled.push(id);
    }
    return changes;
  }

  /** Whether the store wrote the changes taken last: if not, they are changes again (and ids among them pending anew are `anew`). */
  changesWritten(written: boolean): void {
    const taken = this.taken;
    this.taken = null;
    if (!written && taken !== null) for (const id of taken) this.changed?.add(id);
  }

  /** What the oldest entry left when evicted; null when nothing could be read of it; undefined when nothing is pending. */
  private evictOldest(now: number): Unresolved | undefined {
    const oldest = this.pending.shift();
    if (oldest === undefined) return undefined;
    const [id, entry] = oldest;
    this.copyBeforeChange(id, entry, true);
    const left = unresolved(entry, true);
    this.budget.release(entry.bytes);
    this.remember(id, entry, now);
    return left;
  }

  /** Turns the entry into a tombstone: records are released, only the legs seen are kept. */
  private remember(id: string, entry: JoinEntry, now: number): void {
    entry.primary = null;
    entry.shadow = null;
    entry.secondary = null;
    entry.bytes = 0;
    entry.deadline = now + this.options.rememberMs;
    this.remembered.set(id, entry);
    this.changed?.add(id);
    if (this.remembered.size > this.options.maxRemembered) {
      const forgotten = this.remembered.oldest();
      if (forgotten !== undefined) {
        this.copyBeforeChange(forgotten[0], forgotten[1], false);
        this.remembered.shift();
        this.changed?.add(forgotten[0]);
      }
    }
  }
}

/**
 * What an entry leaves when its window closes or (`evicting`) it is evicted: both legs of the
 * pair are judged as a pair missing its secondary either way; one leg of the pair is missing its
 * partner (or evicted, as before triples); a lone secondary is orphaned. A secondary beside one
 * leg of the pair goes with it, judged with nothing.
 */
function unresolved(entry: JoinEntry, evicting: boolean): Unresolved {
  const primary = recordOf(entry.primary);
  const shadow = recordOf(entry.shadow);
  if (primary !== null && shadow !== null) return { closed: { outcome: 'secondary_missing', primary, shadow } };
  const single = primary ?? shadow;
  if (single !== null) {
    if (evicting) return { evicted: single };
    return { closed: { record: single, outcome: primary !== null ? 'shadow_missing' : 'primary_missing' } };
  }
  const secondary = recordOf(entry.secondary);
  return secondary === null ? null : { closed: { outcome: 'secondary_orphaned', record: secondary } };
}
