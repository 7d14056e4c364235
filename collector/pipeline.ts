// The collector's core, without I/O: records in, joined and compared pairs out, into the
// scoreboard, the metrics and the pair store. The clock is injected, so tests move time by hand.

import { IgnoreRules } from './compare/ignoreRules.js';
import { JoinWindow, type JoinSink } from './join/joinWindow.js';
import type { CollectorMetrics, MetricsSource } from './metrics/collectorMetrics.js';
import { comparePair, type HeaderSelection } from './compare/pairCompare.js';
import { PairStore, type PairStoreSnapshot } from './store/pairStore.js';
import { OTHER_ROUTE, RouteResolver, type RouteResolverSnapshot } from './compare/routeTemplate.js';
import { Scoreboard, type FieldTally, type RouteTally, type ScoreboardSnapshot } from './score/scoreboard.js';
import type { Clock, CollectorConfig, DigestRecord, IgnoreConfig, MissingOutcome, PairView, Report } from './types.js';

export interface IngestSummary {
  accepted: number;
  duplicates: number;
  late: number;
}

export interface ReportQuery {
  /** only this route */
  route?: string;
  /** fields per route; defaults to report.topK */
  top?: number;
}

/** Everything the collector has learned, as plain JSON: what the store persists. */
export interface EngineSnapshot {
  version: typeof ENGINE_SNAPSHOT_VERSION;
  savedAtUnixMs: number;
  scoreboard: ScoreboardSnapshot;
  routes: RouteResolverSnapshot;
  pairs: PairStoreSnapshot;
  /** legs still waiting for a partner: not kept (they are lost by a restart), only counted and remembered */
  pending: Array<[string, number]>;
}

export const ENGINE_SNAPSHOT_VERSION = 1;

export class DiffEngine implements JoinSink, MetricsSource {
  private readonly join: JoinWindow;
  private readonly routes: RouteResolver;
  private readonly scoreboard: Scoreboard;
  private readonly pairs: PairStore;
  private readonly headerSelection: HeaderSelection;
  private ignore: IgnoreRules;
  /** Grows with every change of state, so the store can skip snapshots when nothing happened. */
  private changes = 0;

  constructor(
    private readonly config: CollectorConfig,
    private readonly clock: Clock,
    private readonly metrics: CollectorMetrics,
  ) {
    this.join = new JoinWindow(config.join, this);
    this.routes = new RouteResolver(config.routes.templates, config.routes.max);
    this.scoreboard = new Scoreboard({
      examplesPerField: config.report.examplesPerField,
      maxFieldsPerRoute: config.report.maxFieldsPerRoute,
      noise: { threshold: config.report.noiseThreshold, minPairs: config.report.noiseMinPairs },
    });
    this.pairs = new PairStore(config.pairs);
    this.headerSelection = config.compare.headers.includes('*') ? 'all' : config.compare.headers;
    this.ignore = new IgnoreRules(config.ignore);
    metrics.attach(this);
  }

  /** Feeds validated records through the join. */
  ingest(records: readonly DigestRecord[]): IngestSummary {
    const now = this.clock.now();
    this.join.expire(now);
    const totals = this.scoreboard.totals;
    this.changes++;
    const duplicatesBefore = totals.duplicates;
    const lateBefore = totals.late;
    for (const record of records) {
      totals.records[record.leg]++;
      this.metrics.recordReceived(record.leg);
      this.join.offer(record, now);
    }
    return {
      accepted: records.length,
      duplicates: totals.duplicates - duplicatesBefore,
      late: totals.late - lateBefore,
    };
  }

  countRejected(records: number): void {
    this.changes++;
    this.scoreboard.totals.rejectedRecords += records;
    this.metrics.recordsRejectedBy(records);
  }

  /** Closes expired join windows; called by the sweep timer and before every read. */
  tick(): void {
    if (this.join.expire(this.clock.now()) > 0) this.changes++;
  }

  get changeCount(): number {
    return this.changes;
  }

  snapshot(): EngineSnapshot {
    return {
      version: ENGINE_SNAPSHOT_VERSION,
      savedAtUnixMs: this.clock.now(),
      scoreboard: this.scoreboard.snapshot(),
      routes: this.routes.snapshot(),
      pairs: this.pairs.snapshot(),
      pending: this.join.pendingTombstones(),
    };
  }

  /**
   * Takes over a snapshot from before a restart (on an engine that has seen nothing yet). The
   * legs that were pending then are gone: they are counted in `totals.lostOnRestart`, and their
   * ids remembered so that a partner arriving now counts as late, not as a new missing leg.
   */
  restore(snapshot: EngineSnapshot): void {
    this.scoreboard.restore(snapshot.scoreboard);
    this.routes.restore(snapshot.routes);
    this.pairs.restore(snapshot.pairs);
    this.scoreboard.totals.lostOnRestart += snapshot.pending.length;
    this.join.restoreTombstones(snapshot.pending, this.clock.now());
    this.changes++;
  }

  /** Ignore rules apply to pairs compared from now on; past tallies are not rewritten. */
  setIgnoreRules(ignore: IgnoreConfig): void {
    this.ignore = new IgnoreRules(ignore);
  }

  report(query: ReportQuery = {}): Report {
    this.tick();
    const routes = this.scoreboard.routeReports(query.top ?? this.config.report.topK, query.route);
    let matched = 0;
    let diverged = 0;
    for (const tally of this.scoreboard.routeTallies()) {
      matched += tally.pairs - tally.diverged;
      diverged += tally.diverged;
    }
    const totals = this.scoreboard.totals;
    return {
      generatedAtUnixMs: this.clock.now(),
      windowMs: this.config.join.windowMs,
      totals: {
        records: { ...totals.records },
        duplicates: totals.duplicates,
        late: totals.late,
        rejectedRecords: totals.rejectedRecords,
        lostOnRestart: totals.lostOnRestart,
        pending: this.join.pendingCount,
        matched,
        diverged,
        coverage: this.scoreboard.coverage(this.scoreboard.routeTallies()),
      },
      routesTracked: this.routes.size,
      routeOverflows: this.routes.overflows,
      routes,
    };
  }

  hasRoute(route: string): boolean {
    return this.scoreboard.hasRoute(route);
  }

  /** A pending or recently resolved request; undefined when unknown or no longer retained. */
  pair(id: string): PairView | undefined {
    this.tick();
    const pending = this.join.pendingLegs(id);
    if (pending !== undefined) {
      return { id, state: 'pending', route: null, primary: pending.primary, shadow: pending.shadow, diff: null, resolvedAtUnixMs: null };
    }
    return this.pairs.get(id);
  }

  // ---------------------------------------------------------------- JoinSink

  paired(primary: DigestRecord, shadow: DigestRecord): void {
    const route = this.route(primary);
    const diff = comparePair(primary, shadow, this.ignore.forRoute(route), this.headerSelection);
    this.scoreboard.recordPair(route, primary.id, primary, shadow, diff);
    this.metrics.pair(route, diff, primary.lastByteUs, shadow.lastByteUs);
    this.pairs.add({ id: primary.id, state: 'paired', route, primary, shadow, diff, resolvedAtUnixMs: this.clock.now() });
  }

  unpaired(record: DigestRecord, outcome: MissingOutcome): void {
    const route = this.route(record);
    this.scoreboard.recordMissing(route, outcome);
    this.metrics.missing(route, outcome);
    this.retainUnpaired(record, outcome, route);
  }

  evicted(record: DigestRecord): void {
    const route = this.route(record);
    this.scoreboard.recordEvicted(route);
    this.metrics.evicted();
    this.retainUnpaired(record, 'evicted', route);
  }

  duplicate(record: DigestRecord): void {
    this.scoreboard.totals.duplicates++;
    this.metrics.duplicate(record.leg);
  }

  late(record: DigestRecord): void {
    this.scoreboard.totals.late++;
    this.metrics.late(record.leg);
  }

  // ---------------------------------------------------------------- MetricsSource

  pendingJoins(): number {
    return this.join.pendingCount;
  }

  routesTracked(): number {
    return this.routes.size;
  }

  routeTallies(): Iterable<RouteTally> {
    return this.scoreboard.routeTallies();
  }

  topFields(tally: RouteTally, k: number): FieldTally[] {
    return this.scoreboard.topFields(tally, k);
  }

  // ----------------------------------------------------------------

  private route(record: DigestRecord): string {
    const route = this.routes.resolve(record.method, record.path);
    if (route === OTHER_ROUTE) this.metrics.routeOverflow();
    return route;
  }

  private retainUnpaired(record: DigestRecord, state: MissingOutcome | 'evicted', route: string): void {
    const primary = record.leg === 'primary' ? record : null;
    const shadow = record.leg === 'shadow' ? record : null;
    this.pairs.add({ id: record.id, state, route, primary, shadow, diff: null, resolvedAtUnixMs: this.clock.now() });
  }
}
