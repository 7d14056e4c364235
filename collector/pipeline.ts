// The collector's pipeline, without I/O: ingest → join → compare → score. Each stage is a plain
// call that returns what happened; this coordinator passes the outcome on, so a request is
// counted in one place (resolve) and the metrics derive from the same outcome. The clock is
// injected, so tests move time by hand.

import { BUDGET_PARTS, ByteBudget, type BudgetPart, type BudgetReading } from './budget/byteBudget.js';
import { FieldRows } from './compare/fieldRows.js';
import { PairComparer } from './compare/pairComparer.js';
import type { ToleranceConfig } from './compare/tolerance.js';
import type { IngestedRecord } from './ingest/ingestedRecord.js';
import { LEGS, WIRE_LEGS, type CountsByLeg, type WireLeg } from './ingest/wireSchema.js';
import { JoinWindow, type ClosedWindow, type HeldLeg, type JoinChanges, type RememberedId, type WholeJoinItem } from './join/joinWindow.js';
import type { CollectorMetrics, MetricsReading } from './metrics/collectorMetrics.js';
import { buildReport } from './report/buildReport.js';
import type { PairView, Report } from './report/reportSchema.js';
import { pairViewOf, resolvedId, type Resolution } from './score/resolution.js';
import { gateCount, routeJudgements } from './score/secondaryGate.js';
import type { IngestSummary } from './ingest/ingestResponseSchema.js';
import { Scoreboard, type RouteChanges, type RouteTallySnapshot, type ScoreboardSnapshot, type Totals } from './score/scoreboard.js';
import { PairStore, type PairStoreChanges, type PairStoreSnapshot } from './store/pairStore.js';
import { PIPELINE_SNAPSHOT_VERSION } from './store/snapshotSchema.js';
import { inSlices, toEnd, type Sliced } from './timeSlices.js';
import type { Clock, CollectorConfig, IgnoreConfig } from './types.js';

export interface ReportQuery {
  /** only this route */
  route?: string | undefined;
  /** fields per route; defaults to report.topK */
  top?: number | undefined;
}

/** A leg waiting for its partner, with the time it arrived (its window closes windowMs later). */
export interface PendingLeg {
  arrivedUnixMs: number;
  record: IngestedRecord;
}

/** Everything the collector has learned, as plain JSON: what the store holds. */
export interface PipelineSnapshot {
  version: typeof PIPELINE_SNAPSHOT_VERSION;
  savedAtUnixMs: number;
  /** the last logged batch whose effects this holds */
  appliedSeq: number;
  scoreboard: ScoreboardSnapshot;
  pairs: PairStoreSnapshot;
  /** resolved ids still remembered, so duplicates and late legs are recognised after a restart */
  remembered: RememberedId[];
  /** legs still waiting for a partner: they come back into the join window */
  pending: PendingLeg[];
  /** Kafka mode's report role: per verdicts partition, the next offset (everything before it is counted here); absent elsewhere */
  verdictOffsets?: VerdictOffset[];
}

/** A verdicts partition and the offset its next record has. */
export type VerdictOffset = [partition: number, nextOffset: number];

/** Where a record of the verdicts topic was read. */
export interface TopicPosition {
  partition: number;
  offset: number;
}

/**
 * What legs judged elsewhere added to the totals that no verdict carries (a verdicts topic's
 * tally), per leg; a tally of the previous release says how many duplicates and late legs, not
 * of which leg (a number): the totals count them, no per-leg series does.
 */
export interface LegCounts {
  records: CountsByLeg;
  duplicates: CountsByLeg | number;
  late: CountsByLeg | number;
}

/**
 * What a restart hands back: a snapshot whose pending legs may be held by reference (left in the
 * durable store, read when needed) instead of parsed and checked at start-up.
 */
export type RestoredState = Omit<PipelineSnapshot, 'pending'> & { pending: Array<{ arrivedUnixMs: number; record: HeldLeg }> };

/** One batch as the durable store logged it before it was answered: replayed after a crash. */
export interface LoggedBatch {
  seq: number;
  arrivedUnixMs: number;
  records: readonly IngestedRecord[];
  rejected: number;
  /** each record's pending byte estimate, when the store made it for the record's row: the join takes it rather than estimating again */
  legBytes?: readonly number[];
}

/** What changed since the last checkpoint (durable pipelines only), and the log position it covers. */
export interface PipelineCheckpoint {
  appliedSeq: number;
  savedAtUnixMs: number;
  totals: Totals;
  pairSeq: number;
  /** `other` (small: one tally) and the route evictions are written whole every time */
  other: RouteTallySnapshot | null;
  routeEvictions: number;
  routes: RouteChanges;
  pairs: PairStoreChanges;
  join: JoinChanges;
  /** ids still pending that were sent again: their logged legs from here on are copies the join dropped */
  copiesOfPending: LoggedLeg[];
  /** ids pending anew (resolved, forgotten, sent again since the last checkpoint written): their logged legs before these are of the request resolved */
  pendingAnew: LoggedLeg[];
  /** the report role's verdicts offsets, with the state they account for; empty elsewhere */
  verdictOffsets: VerdictOffset[];
  /**
   * asked for (a full checkpoint, after a failed one): `routes.written` then holds every tracked
   * route, and this every retained pair and the join's ids (pending ones, whose logged legs stay,
   * and remembered ones); each as it was at appliedSeq, however many turns reading them takes
   * (routes and ids are copied as they are read or before they change; pair views never change)
   */
  whole: { pairs: PairStoreSnapshot; ids: Iterable<WholeJoinItem> } | null;
}

/** A leg's id and its log position (batch, index in it). */
export type LoggedLeg = [id: string, batch: number, index: number];

/** The values of `map` (none without one), which is then empty. */
function takeAll<T>(map: Map<string, T> | null): T[] {
  if (map === null) return [];
  const all = [...map.values()];
  map.clear();
  return all;
}

/** A count of every leg together. */
function ofEveryLeg(count: CountsByLeg | number): number {
  return typeof count === 'number' ? count : WIRE_LEGS.reduce((sum, leg) => sum + (count[leg] ?? 0), 0);
}

export class Pipeline {
  private readonly join: JoinWindow;
  private readonly scoreboard: Scoreboard;
  private readonly pairs: PairStore;
  private readonly comparer: PairComparer;
  private readonly budgets: Record<BudgetPart, ByteBudget>;
  /** Grows with every change of state, so the store can skip checkpoints when nothing happened. */
  private changes = 0;
  private appliedSeq = 0;
  /** Arrival times of batches admitted but not yet applied (being made durable), with their counts. */
  private readonly admitted = new Map<number, number>();
  private lastAdmitted = 0;
  /**
   * Durable only: per id still pending, where the first copy of its leg since the last checkpoint
   * was logged. Every leg of that id logged from there on, up to appliedSeq, is a copy the join
   * dropped (the partner would have resolved the id, which forgets its entry), so the checkpoint
   * deletes them: a client re-sending one pending leg holds at most an interval's copies on disk.
   * At most one entry per pending id.
   */
  private readonly copiesOfPending: Map<string, LoggedLeg> | null;
  /**
   * Durable only: per id pending anew (its earlier request resolved and its tombstone forgotten
   * since the last checkpoint written: the join's `anew`), where its leg was logged. The legs of
   * that id logged before it are of the earlier request, which the store may still hold (the
   * checkpoint that would have settled them saw the id pending): the checkpoint deletes them, so
   * a restart does not put them back into the join. Kept until a checkpoint is written.
   */
  private readonly pendingAnew: Map<string, LoggedLeg> | null;
  /** Report role: verdicts partition → next offset; what the state holds, so a restart resumes after it. */
  private readonly verdictOffsets = new Map<number, number>();
  /** Report role: the join workers hold the pending legs, so the report does not say how many. */
  private readonly judgedElsewhere: boolean;
  /**
   * Batches ingested or applied in slices, and checkpoints, take their turn in this chain: a batch
   * is whole before the next one starts (in the order they were handed over: log order), and no
   * checkpoint is taken of half a batch.
   */
  private turns: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: CollectorConfig,
    private readonly clock: Clock,
    private readonly metrics: CollectorMetrics,
    /**
     * durable: keep what changed between checkpoints (checkpoint()); judgedElsewhere: Kafka mode's
     * report role, counting join workers' verdicts (applyVerdict) instead of joining legs
     */
    options: { durable?: boolean; judgedElsewhere?: boolean } = {},
  ) {
    const durable = options.durable === true;
    this.judgedElsewhere = options.judgedElsewhere === true;
    this.copiesOfPending = durable ? new Map() : null;
    this.pendingAnew = durable ? new Map() : null;
    this.budgets = {
      pending: new ByteBudget(config.budget.pendingBytes),
      pairs: new ByteBudget(config.budget.pairsBytes),
      tallies: new ByteBudget(config.budget.talliesBytes),
    };
    this.join = new JoinWindow({ ...config.join, trackChanges: durable }, this.budgets.pending);
    const rows = new FieldRows(config.compare);
    this.scoreboard = new Scoreboard({
      examplesPerField: config.report.examplesPerField,
      maxRoutes: config.routes.max,
      maxFieldsPerRoute: config.report.maxFieldsPerRoute,
      noise: { threshold: config.report.noiseThreshold, minPairs: config.report.noiseMinPairs },
      rows,
      budget: this.budgets.tallies,
      latency: config.score.latency,
      trackChanges: durable,
    });
    this.pairs = new PairStore(config.pairs, this.budgets.pairs, { trackChanges: durable });
    this.comparer = new PairComparer(config, rows);
  }

  /**
   * Feeds validated records through the join; pairs that complete are compared and scored now.
   * `logSeq`: the batch's position in the durable log, when it was logged (apply()).
   */
  ingest(records: readonly IngestedRecord[], arrivedUnixMs: number = this.now(), logSeq?: number): IngestSummary {
    return toEnd(this.ingesting(records, arrivedUnixMs, logSeq));
  }

  /**
   * ingest() without a store, letting the event loop turn every SLICE_MS (timeSlices.ts), in turn
   * with other batches; the clock is held at the batch's arrival until its last record is in.
   */
  ingestInSlices(records: readonly IngestedRecord[]): Promise<IngestSummary> {
    return this.inTurn(async () => {
      const arrivedUnixMs = this.admit();
      try {
        return await inSlices(this.ingesting(records, arrivedUnixMs));
      } finally {
        this.abandon(arrivedUnixMs);
      }
    });
  }

  /** ingest(), yielding after each record; `legBytes`: the records' pending byte estimates, when known. */
  private *ingesting(
    records: readonly IngestedRecord[],
    now: number,
    logSeq?: number,
    legBytes?: readonly number[],
  ): Sliced<IngestSummary> {
    this.closeWindows(this.join.expire(now), now);
    const totals = this.scoreboard.totals;
    this.changes++;
    const summary: IngestSummary = { accepted: records.length, duplicates: 0, late: 0 };
    this.metrics.recordsReceivedIn(records);
    for (let index = 0; index < records.length; index++) {
      const record = records[index]!;
      if (record.leg === 'secondary') totals.records.secondary = (totals.records.secondary ?? 0) + 1;
      else totals.records[record.leg]++;
      const event = this.join.offer(record, now, legBytes?.[index]);
      switch (event.kind) {
        case 'waiting':
          // Before the evictions are resolved: this leg may be one of them.
          if (event.anew && logSeq !== undefined) this.pendingAnew?.set(record.id, [record.id, logSeq, index]);
          for (const evicted of event.evicted) this.resolve({ kind: 'evicted', route: this.route(evicted), record: evicted }, now);
          if (event.closed !== undefined) this.closeWindows(event.closed, now);
          break;
        case 'paired':
          this.resolve(this.comparer.judge(event.primary, event.shadow, event.secondary), now);
          break;
        case 'duplicate':
          summary.duplicates++;
          totals.duplicates++;
          this.metrics.duplicate(record.leg);
          if (
            logSeq !== undefined &&
            this.copiesOfPending !== null &&
            this.join.isPending(record.id) &&
            !this.copiesOfPending.has(record.id)
          )
            this.copiesOfPending.set(record.id, [record.id, logSeq, index]);
          break;
        case 'late':
          summary.late++;
          totals.late++;
          this.metrics.late(record.leg);
          break;
      }
      yield;
    }
    return summary;
  }

  /**
   * Starts a batch that is being made durable before it is applied: answers its arrival time.
   * Until apply() or abandon(), no window is closed past that time, so that applying it later
   * gives the outcomes a replay of the log gives (where batches are applied at their arrival).
   */
  admit(): number {
    const at = Math.max(this.clock.now(), this.lastAdmitted);
    this.lastAdmitted = at;
    this.admitted.set(at, (this.admitted.get(at) ?? 0) + 1);
    return at;
  }

  /** A batch the store could not keep: nothing of it is applied. */
  abandon(arrivedUnixMs: number): void {
    const count = this.admitted.get(arrivedUnixMs) ?? 0;
    if (count <= 1) this.admitted.delete(arrivedUnixMs);
    else this.admitted.set(arrivedUnixMs, count - 1);
  }

  /** Applies a logged batch, in log order: replayed after a restart (the route applies in slices). */
  apply(batch: LoggedBatch): IngestSummary {
    this.abandon(batch.arrivedUnixMs);
    return this.applied(batch, toEnd(this.applying(batch)));
  }

  /**
   * apply(), letting the event loop turn every SLICE_MS, once the batches handed over before it
   * are applied (call in log order: as the store answers). The clock stays held at the batch's
   * arrival until its last record is in, so no window closes that a later record of it pairs into.
   */
  applyInSlices(batch: LoggedBatch): Promise<IngestSummary> {
    return this.inTurn(async () => {
      let summary: IngestSummary;
      try {
        summary = await inSlices(this.applying(batch));
      } finally {
        this.abandon(batch.arrivedUnixMs);
      }
      return this.applied(batch, summary);
    });
  }

  private *applying(batch: LoggedBatch): Sliced<IngestSummary> {
    if (batch.records.length === 0) return { accepted: 0, duplicates: 0, late: 0 };
    return yield* this.ingesting(batch.records, batch.arrivedUnixMs, batch.seq, batch.legBytes);
  }

  private applied(batch: LoggedBatch, summary: IngestSummary): IngestSummary {
    this.lastAdmitted = Math.max(this.lastAdmitted, batch.arrivedUnixMs);
    if (batch.rejected > 0) this.countRejected(batch.rejected);
    this.appliedSeq = batch.seq;
    this.changes++;
    return summary;
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.turns.then(work);
    this.turns = turn.catch(() => undefined);
    return turn;
  }

  /**
   * Kafka mode's report role: a join worker's verdict, counted as an id resolved here is
   * (resolve()), at the time it resolved there. `at`: where it was read, held with the state so
   * a restart resumes after it. False for an id remembered as counted already (a repeat within
   * join.rememberMs): nothing is counted again.
   */
  applyVerdict(resolution: Resolution, resolvedAtUnixMs: number, at: TopicPosition): boolean {
    this.consumed(at);
    const legs: WireLeg[] = resolution.kind === 'paired' ? ['primary', 'shadow'] : [resolution.record.leg];
    if (resolution.kind === 'paired' && resolution.secondary != null) legs.push('secondary');
    if (!this.join.settle(resolvedId(resolution), legs, this.now())) return false;
    this.resolve(resolution, resolvedAtUnixMs);
    return true;
  }

  /**
   * Kafka mode's report role: a join worker's secondary leg whose pair never came, counted as
   * one orphaned here is; false for an id remembered as counted already, as applyVerdict.
   */
  applyOrphaned(orphaned: { id: string; route: string }, at: TopicPosition): boolean {
    this.consumed(at);
    if (!this.join.settle(orphaned.id, ['secondary'], this.now())) return false;
    this.orphaned(orphaned.id, orphaned.route);
    return true;
  }

  /** Kafka mode's report role: what a run of legs a join worker consumed adds to the totals. */
  applyTally(counts: LegCounts, at: TopicPosition): void {
    this.consumed(at);
    const totals = this.scoreboard.totals;
    for (const leg of LEGS) totals.records[leg] += counts.records[leg];
    // Present in the totals once a secondary leg arrived, as in the embedded collector.
    const secondaries = counts.records.secondary ?? 0;
    if (secondaries > 0) totals.records.secondary = (totals.records.secondary ?? 0) + secondaries;
    totals.duplicates += ofEveryLeg(counts.duplicates);
    totals.late += ofEveryLeg(counts.late);
    for (const leg of WIRE_LEGS) {
      this.metrics.recordsReceivedBy(leg, counts.records[leg] ?? 0);
      if (typeof counts.duplicates !== 'number') this.metrics.duplicate(leg, counts.duplicates[leg] ?? 0);
      if (typeof counts.late !== 'number') this.metrics.late(leg, counts.late[leg] ?? 0);
    }
  }

  /** Kafka mode's report role: a verdicts record refused (not applied) is passed, so a restart does not read it again. */
  skipVerdictRecord(at: TopicPosition): void {
    this.consumed(at);
  }

  /** Report role: the offset of the next record of a verdicts partition not counted yet. */
  verdictOffset(partition: number): number {
    return this.verdictOffsets.get(partition) ?? 0;
  }

  /** Report role: per verdicts partition, the offset to read next. */
  verdictPositions(): VerdictOffset[] {
    return [...this.verdictOffsets];
  }

  private consumed(at: TopicPosition): void {
    this.changes++;
    this.verdictOffsets.set(at.partition, at.offset + 1);
  }

  countRejected(records: number): void {
    this.changes++;
    this.scoreboard.totals.rejectedRecords += records;
    this.metrics.recordsRejectedBy(records);
  }

  /** Closes expired join windows; called by the sweep timer and before every read. */
  tick(): void {
    const now = this.now();
    const closed = this.join.expire(now);
    if (closed.length > 0) {
      this.closeWindows(closed, now);
      this.changes++;
    }
  }

  get changeCount(): number {
    return this.changes;
  }

  snapshot(): PipelineSnapshot {
    return {
      version: PIPELINE_SNAPSHOT_VERSION,
      savedAtUnixMs: this.clock.now(),
      appliedSeq: this.appliedSeq,
      scoreboard: this.scoreboard.snapshot(),
      pairs: this.pairs.snapshot(),
      remembered: this.join.rememberedIds(),
      pending: this.join.pendingArrivals(),
      ...(this.verdictOffsets.size > 0 ? { verdictOffsets: this.verdictPositions() } : {}),
    };
  }

  /** Ids of the pending requests: a full checkpoint keeps their logged legs. */
  pendingIds(): string[] {
    return this.join.pendingIds();
  }

  /**
   * What changed since the last call: the durable store writes only that; `whole`: also
   * everything (a full checkpoint). Taken between batches applied in slices, never of half of one,
   * in one step that copies only what is small (totals, `other`, the id lists of the delta, the
   * list of retained pair views); the rest is copied as it is read (PipelineCheckpoint.whole).
   */
  checkpoint(options: { whole: boolean }): Promise<PipelineCheckpoint> {
    return this.inTurn(async () => ({
      appliedSeq: this.appliedSeq,
      savedAtUnixMs: this.clock.now(),
      totals: this.scoreboard.totalsSnapshot(),
      pairSeq: this.scoreboard.lastPairSeq,
      other: this.scoreboard.otherSnapshot(),
      routeEvictions: this.scoreboard.routeEvictions,
      routes: this.scoreboard.takeChangedRoutes({ all: options.whole }),
      pairs: this.pairs.takeChanges(),
      join: this.join.takeChanges(),
      copiesOfPending: takeAll(this.copiesOfPending),
      pendingAnew: takeAll(this.pendingAnew),
      verdictOffsets: this.verdictPositions(),
      // Taken with the delta: an id that pairs while the rows are made is still pending at its appliedSeq.
      whole: options.whole ? { pairs: this.pairs.snapshot(), ids: this.join.wholeSnapshot() } : null,
    }));
  }

  /**
   * Whether the store wrote `checkpoint`: if not, what it took is to be written by the next one
   * (the join's changes; the ids pending anew still pending with the leg it had, not noted again since).
   */
  checkpointWritten(checkpoint: PipelineCheckpoint, written: boolean): void {
    this.join.changesWritten(written);
    if (written || this.pendingAnew === null) return;
    for (const leg of checkpoint.pendingAnew)
      if (this.join.isPending(leg[0]) && !this.pendingAnew.has(leg[0])) this.pendingAnew.set(leg[0], leg);
  }

  /**
   * Takes over a snapshot from before a restart (on a pipeline that has seen nothing yet): the
   * tallies, the retained pairs, the remembered ids, and the legs still pending, back in the join
   * window with their own deadlines (a deferred one is read when it is needed). Batches logged
   * after it are then replayed with apply().
   */
  restore(snapshot: RestoredState): void {
    this.scoreboard.restore(snapshot.scoreboard);
    this.pairs.restore(snapshot.pairs);
    // A smaller join.maxPending than before the restart evicts the oldest, as it would have live.
    const now = this.now();
    const { evicted, superseded } = this.join.restore(snapshot.remembered, snapshot.pending);
    for (const leg of evicted) this.resolve({ kind: 'evicted', route: this.route(leg), record: leg }, now);
    if (superseded > 0) this.metrics.restoreSuperseded(superseded);
    this.appliedSeq = snapshot.appliedSeq;
    for (const [partition, next] of snapshot.verdictOffsets ?? []) this.verdictOffsets.set(partition, next);
    this.changes++;
  }

  /** Legs a restart left in the store that readAhead() has not read yet. */
  get hasDeferredLegs(): boolean {
    return this.join.hasDeferred;
  }

  /**
   * Reads the legs a restart left in the store whose window closes within `aheadMs`, in slices
   * (timeSlices.ts), so that the sweep closing them, or a partner, finds them read: no sweep
   * holds the event loop for the reads of every window that closes in it.
   */
  readAhead(aheadMs: number): Promise<void> {
    return inSlices(this.join.readAhead(this.now() + aheadMs));
  }

  /** Ignore rules apply to pairs compared from now on; past tallies are not rewritten. */
  setIgnoreRules(ignore: IgnoreConfig): void {
    this.comparer.setIgnoreRules(ignore);
  }

  /** Tolerances too: pairs compared from now on; what was counted within tolerance or diverged stays. */
  setTolerances(tolerances: readonly ToleranceConfig[]): void {
    this.comparer.setTolerances(tolerances);
  }

  report(query: ReportQuery = {}): Report {
    this.tick();
    return buildReport({
      board: this.scoreboard,
      top: query.top ?? this.config.report.topK,
      route: query.route,
      generatedAtUnixMs: this.clock.now(),
      windowMs: this.config.join.windowMs,
      gateMaxUpperBound: this.config.report.gateMaxUpperBound,
      pending: this.judgedElsewhere ? null : this.join.pendingCount,
      budget: this.budgetReadings(),
    });
  }

  hasRoute(route: string): boolean {
    return this.scoreboard.hasRoute(route);
  }

  /** A pending or recently resolved request; undefined when unknown or no longer retained. */
  pair(id: string): PairView | undefined {
    this.tick();
    const pending = this.join.pendingLegs(id);
    if (pending !== undefined) {
      const view: PairView = {
        id,
        state: 'pending',
        route: null,
        primary: pending.primary,
        shadow: pending.shadow,
        diff: null,
        resolvedAtUnixMs: null,
      };
      if (pending.secondary !== undefined) view.secondary = pending.secondary;
      return view;
    }
    return this.pairs.get(id);
  }

  /** What the scrape-time gauges show, read after closing expired windows. */
  metricsReading(): MetricsReading {
    this.tick();
    const topK = this.config.report.topK;
    const routes = [...this.scoreboard.routeTallies()].map((tally) => ({
      route: tally.route,
      pairs: tally.pairs,
      diverged: tally.diverged,
      gateDiverged: gateCount(tally, routeJudgements(tally))?.diverged,
      topFields: this.scoreboard.topFields(tally, topK),
    }));
    return {
      pendingJoins: this.join.pendingCount,
      routesTracked: this.scoreboard.routesTracked,
      routeEvictions: this.scoreboard.routeEvictions,
      budget: this.budgetReadings(),
      routes,
    };
  }

  // ----------------------------------------------------------------

  /** The clock, held back to the oldest batch admitted but not yet applied. */
  private now(): number {
    let now = this.clock.now();
    for (const at of this.admitted.keys()) if (at < now) now = at;
    return now;
  }

  private closeWindows(closed: readonly ClosedWindow[], now: number): void {
    for (const window of closed) {
      const judged = this.comparer.closed(window);
      if (judged.kind === 'orphaned') this.orphaned(judged.record.id, judged.route);
      else this.resolve(judged, now);
    }
  }

  /** A secondary leg whose pair never came: counted apart (scoreboard, metrics); no pair view, there is no pair to show. */
  private orphaned(id: string, route: string): void {
    this.copiesOfPending?.delete(id);
    this.pendingAnew?.delete(id);
    const placement = this.scoreboard.recordOrphanedSecondary(route);
    for (const evicted of placement.evictedRoutes) this.metrics.foldRoute(evicted);
    this.metrics.secondary(placement.route, 'secondary_orphaned');
  }

  /**
   * The one place a resolved request is counted: scoreboard, metrics and pair store see the same
   * outcome, under the route the scoreboard counted it in (`other` when its own could not be
   * tracked). Routes that gave up their place are folded into `other` in the metrics too.
   * `now` is when it resolved: a replayed batch resolves at its arrival, as it did live.
   */
  private resolve(resolution: Resolution, now: number): void {
    // Resolved: its later copies are settled with it; should the id be pending anew, its legs are new.
    const id = resolvedId(resolution);
    this.copiesOfPending?.delete(id);
    this.pendingAnew?.delete(id);
    const placement = this.scoreboard.record(resolution, now);
    for (const evicted of placement.evictedRoutes) this.metrics.foldRoute(evicted);
    const counted = placement.route === resolution.route ? resolution : { ...resolution, route: placement.route };
    this.metrics.resolved(counted);
    this.pairs.add(pairViewOf(resolution, now));
  }

  private budgetReadings(): Record<BudgetPart, BudgetReading> {
    return Object.fromEntries(BUDGET_PARTS.map((part) => [part, this.budgets[part].reading()])) as Record<BudgetPart, BudgetReading>;
  }

  private route(record: IngestedRecord): string {
    return this.comparer.route(record);
  }
}
