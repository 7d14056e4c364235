// The collector's pipeline, without I/O: ingest → join → compare → score. Each stage is a plain
// call that returns what happened; this coordinator passes the outcome on, so a request is
// counted in one place (resolve) and the metrics derive from the same outcome. The clock is
// injected, so tests move time by hand.

import { BUDGET_PARTS, ByteBudget, type BudgetPart, type BudgetReading } from './budget/byteBudget.js';
import { comparePair, type HeaderSelection } from './compare/pairCompare.js';
import { FieldRows } from './compare/fieldRows.js';
import { IgnoreRules } from './compare/ignoreRules.js';
import { RouteResolver } from './compare/routeTemplate.js';
import type { IngestedRecord } from './ingest/ingestedRecord.js';
import { JoinWindow, type ClosedWindow } from './join/joinWindow.js';
import type { CollectorMetrics, MetricsReading } from './metrics/collectorMetrics.js';
import { buildReport } from './report/buildReport.js';
import type { PairView, Report } from './report/reportSchema.js';
import type { Resolution } from './score/resolution.js';
import type { IngestSummary } from './ingest/ingestResponseSchema.js';
import { Scoreboard, type ScoreboardSnapshot } from './score/scoreboard.js';
import { PairStore, type PairStoreSnapshot } from './store/pairStore.js';
import type { Clock, CollectorConfig, IgnoreConfig } from './types.js';

export interface ReportQuery {
  /** only this route */
  route?: string | undefined;
  /** fields per route; defaults to report.topK */
  top?: number | undefined;
}

/** Everything the collector has learned, as plain JSON: what the store persists. */
export interface PipelineSnapshot {
  version: typeof PIPELINE_SNAPSHOT_VERSION;
  savedAtUnixMs: number;
  scoreboard: ScoreboardSnapshot;
  pairs: PairStoreSnapshot;
  /** legs still waiting for a partner: not kept (they are lost by a restart), only counted and remembered */
  pending: Array<[string, number]>;
}

// 2: routes and fields are space-saving tables with weights and errors; the route list lives in the scoreboard.
export const PIPELINE_SNAPSHOT_VERSION = 2;

export class Pipeline {
  private readonly join: JoinWindow;
  private readonly routes: RouteResolver;
  private readonly scoreboard: Scoreboard;
  private readonly pairs: PairStore;
  private readonly headerSelection: HeaderSelection;
  private readonly rows: FieldRows;
  private readonly budgets: Record<BudgetPart, ByteBudget>;
  private ignore: IgnoreRules;
  /** Grows with every change of state, so the store can skip snapshots when nothing happened. */
  private changes = 0;

  constructor(
    private readonly config: CollectorConfig,
    private readonly clock: Clock,
    private readonly metrics: CollectorMetrics,
  ) {
    this.budgets = {
      pending: new ByteBudget(config.budget.pendingBytes),
      pairs: new ByteBudget(config.budget.pairsBytes),
      tallies: new ByteBudget(config.budget.talliesBytes),
    };
    this.join = new JoinWindow(config.join, this.budgets.pending);
    this.routes = new RouteResolver(config.routes.templates);
    this.rows = new FieldRows(config.compare);
    this.scoreboard = new Scoreboard({
      examplesPerField: config.report.examplesPerField,
      maxRoutes: config.routes.max,
      maxFieldsPerRoute: config.report.maxFieldsPerRoute,
      noise: { threshold: config.report.noiseThreshold, minPairs: config.report.noiseMinPairs },
      rows: this.rows,
      budget: this.budgets.tallies,
    });
    this.pairs = new PairStore(config.pairs, this.budgets.pairs);
    this.headerSelection = config.compare.headers.includes('*') ? 'all' : config.compare.headers;
    this.ignore = new IgnoreRules(config.ignore, this.rows);
  }

  /** Feeds validated records through the join; pairs that complete are compared and scored now. */
  ingest(records: readonly IngestedRecord[]): IngestSummary {
    const now = this.clock.now();
    this.closeWindows(this.join.expire(now));
    const totals = this.scoreboard.totals;
    this.changes++;
    const summary: IngestSummary = { accepted: records.length, duplicates: 0, late: 0 };
    for (const record of records) {
      totals.records[record.leg]++;
      this.metrics.recordReceived(record.leg);
      const event = this.join.offer(record, now);
      switch (event.kind) {
        case 'waiting':
          for (const evicted of event.evicted) this.resolve({ kind: 'evicted', route: this.route(evicted), record: evicted });
          break;
        case 'paired': {
          const route = this.route(event.primary);
          const diff = comparePair(event.primary, event.shadow, this.ignore.forRoute(route), this.headerSelection);
          this.resolve({ kind: 'paired', route, primary: event.primary, shadow: event.shadow, diff });
          break;
        }
        case 'duplicate':
          summary.duplicates++;
          totals.duplicates++;
          this.metrics.duplicate(record.leg);
          break;
        case 'late':
          summary.late++;
          totals.late++;
          this.metrics.late(record.leg);
          break;
      }
    }
    return summary;
  }

  countRejected(records: number): void {
    this.changes++;
    this.scoreboard.totals.rejectedRecords += records;
    this.metrics.recordsRejectedBy(records);
  }

  /** Closes expired join windows; called by the sweep timer and before every read. */
  tick(): void {
    const closed = this.join.expire(this.clock.now());
    if (closed.length > 0) {
      this.closeWindows(closed);
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
      scoreboard: this.scoreboard.snapshot(),
      pairs: this.pairs.snapshot(),
      pending: this.join.pendingTombstones(),
    };
  }

  /**
   * Takes over a snapshot from before a restart (on a pipeline that has seen nothing yet). The
   * legs that were pending then are gone: they are counted in `totals.lostOnRestart`, and their
   * ids remembered so that a partner arriving now counts as late, not as a new missing leg.
   */
  restore(snapshot: PipelineSnapshot): void {
    this.scoreboard.restore(snapshot.scoreboard);
    this.pairs.restore(snapshot.pairs);
    this.scoreboard.totals.lostOnRestart += snapshot.pending.length;
    this.join.restoreTombstones(snapshot.pending, this.clock.now());
    this.changes++;
  }

  /** Ignore rules apply to pairs compared from now on; past tallies are not rewritten. */
  setIgnoreRules(ignore: IgnoreConfig): void {
    this.ignore = new IgnoreRules(ignore, this.rows);
  }

  report(query: ReportQuery = {}): Report {
    this.tick();
    return buildReport({
      board: this.scoreboard,
      top: query.top ?? this.config.report.topK,
      route: query.route,
      generatedAtUnixMs: this.clock.now(),
      windowMs: this.config.join.windowMs,
      pending: this.join.pendingCount,
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
      return { id, state: 'pending', route: null, primary: pending.primary, shadow: pending.shadow, diff: null, resolvedAtUnixMs: null };
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

  private closeWindows(closed: readonly ClosedWindow[]): void {
    for (const { record, outcome } of closed) this.resolve({ kind: 'missing', route: this.route(record), record, outcome });
  }

  /**
   * The one place a resolved request is counted: scoreboard, metrics and pair store see the same
   * outcome, under the route the scoreboard counted it in (`other` when its own could not be
   * tracked). Routes that gave up their place are folded into `other` in the metrics too.
   */
  private resolve(resolution: Resolution): void {
    const placement = this.scoreboard.record(resolution);
    for (const evicted of placement.evictedRoutes) this.metrics.foldRoute(evicted);
    const counted = placement.route === resolution.route ? resolution : { ...resolution, route: placement.route };
    this.metrics.resolved(counted);
    this.pairs.add(pairView(resolution, this.clock.now()));
  }

  private budgetReadings(): Record<BudgetPart, BudgetReading> {
    return Object.fromEntries(BUDGET_PARTS.map((part) => [part, this.budgets[part].reading()])) as Record<BudgetPart, BudgetReading>;
  }

  private route(record: IngestedRecord): string {
    return this.routes.resolve(record.method, record.path);
  }
}

function pairView(resolution: Resolution, now: number): PairView {
  if (resolution.kind === 'paired') {
    const { primary, shadow, route, diff } = resolution;
    return { id: primary.id, state: 'paired', route, primary, shadow, diff, resolvedAtUnixMs: now };
  }
  const { record, route } = resolution;
  const state = resolution.kind === 'missing' ? resolution.outcome : 'evicted';
  const primary = record.leg === 'primary' ? record : null;
  const shadow = record.leg === 'shadow' ? record : null;
  return { id: record.id, state, route, primary, shadow, diff: null, resolvedAtUnixMs: now };
}
