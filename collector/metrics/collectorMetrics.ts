// Prometheus metrics on the collector's own registry (never prom-client's global one). Counters
// derive from the pipeline's outcomes (resolved(), recordReceived()…); gauges are set from a
// reading the pipeline returns at scrape time (render()), so nothing here reaches back into it.
// Label cardinality is bounded: `route` is one of the scoreboard's tracked routes (at most
// routes.max, plus `other`; a route that gives up its place loses its series, foldRoute),
// `field` appears only for each route's top-K fields, every other label has a fixed value set.
// Per-route children are cached so the hot path does not rebuild label keys, and a pair's counts
// are plain additions into its route's pending counts, which go into the counters when the
// registry reads them (their `collect`): prom-client hashes the labels of every increment, bound
// child or not (~0.3 µs and a string per pair).

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { SeriesHistogram, type HistogramChild } from './seriesHistogram.js';
import type { ErrorCode } from '../http/errors.js';
import type { Resolution } from '../score/resolution.js';
import { pairLatency } from '../score/pairLatency.js';
import { secondaryOutcome } from '../score/secondaryComparable.js';
import { WIRE_VERSIONS, type WireVersion } from '../ingest/wireValidator.js';
import { SECONDARY_OUTCOME_COUNT, type RouteCounts, type SecondaryOutcomeCount } from '../score/scoreboard.js';
import { OTHER_ROUTE } from '../compare/routeTemplate.js';
import {
  DIVERGENCE_KINDS,
  FALLBACK_REASONS,
  matchedWithinTolerance,
  type DivergenceKind,
  type FallbackReason,
  type PairDiff,
} from '../compare/divergence.js';
import { BUDGET_PARTS, type BudgetPart, type BudgetReading } from '../budget/byteBudget.js';
import { LEGS, WIRE_LEGS, type Leg, type WireLeg } from '../ingest/wireSchema.js';
import { PAIR_OUTCOMES, SECONDARY_OUTCOMES, type PairOutcome, type SecondaryOutcome } from '../join/outcomes.js';
import { wilson } from '../score/wilson.js';

/** What the gauges show, as the pipeline reads it at scrape time. */
export interface MetricsReading {
  pendingJoins: number;
  routesTracked: number;
  /** routes that gave up their place and were folded into `other`, since the first start */
  routeEvictions: number;
  budget: Record<BudgetPart, BudgetReading>;
  routes: ReadonlyArray<{
    route: string;
    pairs: number;
    diverged: number;
    /** diverged pairs the rollout gate counts (less those whose only differences are secondary-proven noise); absent: all of them */
    gateDiverged?: number | undefined;
    /** `withinTolerance`: differences within the field's compare.tolerances; absent when it has none */
    topFields: ReadonlyArray<{ path: string; divergentPairs: number; withinTolerance?: number | undefined }>;
  }>;
}

/** Absent from Kafka mode's report role, which does not hold the pending legs (the join workers do). */
export const PENDING_JOINS_METRIC = 'shadowdiff_collector_pending_joins';

export const BATCH_RESULTS = ['accepted', 'partial', 'rejected'] as const;
export type BatchResult = (typeof BATCH_RESULTS)[number];

const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface RouteSeries {
  outcomes: Record<PairOutcome, Counter.Internal>;
  kinds: Record<DivergenceKind, Counter.Internal>;
  fallback: Record<FallbackReason, Counter.Internal>;
  withinTolerance: Counter.Internal;
  /** made at the route's first secondary leg, so routes without any have no such series */
  secondary: Record<SecondaryOutcome, Counter.Internal> | null;
  latency: Record<Leg, HistogramChild>;
  /** counted since the registry last read the counters above */
  pending: PendingCounts;
}

/** A route's pair counts not yet in its counters. */
interface PendingCounts {
  outcomes: Record<PairOutcome, number>;
  kinds: Record<DivergenceKind, number>;
  fallback: Record<FallbackReason, number>;
  withinTolerance: number;
  secondary: Record<SecondaryOutcome, number>;
}

/** Adds each key's pending count into its counter, and zeroes it. */
function addPending<K extends string>(keys: readonly K[], pending: Record<K, number>, counters: Record<K, Counter.Internal>): void {
  for (const key of keys) {
    if (pending[key] === 0) continue;
    counters[key].inc(pending[key]);
    pending[key] = 0;
  }
}

function bind<K extends string, V>(keys: readonly K[], make: (key: K) => V): Record<K, V> {
  const out = {} as Record<K, V>;
  for (const key of keys) out[key] = make(key);
  return out;
}

/** A counter child that exists from the start, so rate() sees its first increment. */
function zeroed(child: Counter.Internal): Counter.Internal {
  child.inc(0);
  return child;
}

function perLeg(counter: Counter<'leg'>): Record<WireLeg, Counter.Internal> {
  return bind(WIRE_LEGS, (leg) => zeroed(counter.labels({ leg })));
}

export interface MetricsOptions {
  /** process_* and nodejs_* metrics; on in production, optional so tests stay light */
  defaultMetrics: boolean;
}

/** What a store transaction did: append a batch to the ingest log, or write a checkpoint. */
export const STORE_OPS = ['append', 'checkpoint'] as const;
export type StoreOp = (typeof STORE_OPS)[number];

export class CollectorMetrics {
  readonly registry = new Registry();
  private readonly perRoute = new Map<string, RouteSeries>();

  private readonly batches: Counter<'result'>;
  private readonly rejects: Counter<'code'>;
  private readonly recordsReceived: Record<WireLeg, Counter.Internal>;
  private readonly recordsRejected: Counter;
  private readonly wireRecordsReceived: Record<WireVersion, Counter.Internal>;
  private readonly recordsDuplicate: Record<WireLeg, Counter.Internal>;
  private readonly recordsLate: Record<WireLeg, Counter.Internal>;
  private readonly pairs: Counter<'route' | 'outcome'>;
  private readonly secondaryLegs: Counter<'route' | 'outcome'>;
  private readonly divergences: Counter<'route' | 'kind'>;
  private readonly bodyFallback: Counter<'route' | 'reason'>;
  private readonly pairsWithinTolerance: Counter<'route'>;
  private readonly latency: SeriesHistogram<'route' | 'leg'>;
  private readonly evictions: Counter;
  private readonly routeEvictions: Counter;
  private readonly budgetBytes: Gauge<'part'>;
  private readonly budgetLimitBytes: Gauge<'part'>;
  private readonly budgetEvictions: Counter<'part'>;
  private readonly budgetRefusals: Counter<'part'>;
  private readonly snapshotsSetAside: Counter;
  private readonly storedLegsUnreadable: Counter;
  private readonly restoredSuperseded: Counter;
  private readonly storeHealthy: Gauge;
  private readonly storeWriteErrors: Counter<'op'>;
  private readonly storeCommit: Histogram<'op'>;
  private readonly pendingJoins: Gauge;
  private readonly routes: Gauge;
  private readonly divergenceRatio: Gauge<'route'>;
  private readonly divergenceUpperBound: Gauge<'route'>;
  private readonly fieldDivergentPairs: Gauge<'route' | 'field'>;
  private readonly fieldWithinTolerancePairs: Gauge<'route' | 'field'>;

  constructor(options: MetricsOptions) {
    const registers = [this.registry];
    // Whichever of the per-route pair counters the registry reads first takes every pending count in.
    const collect = (): void => this.addPendingCounts();
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });

    this.batches = new Counter({
      name: 'shadowdiff_collector_batches_total',
      help: 'Digest batches received, by result: accepted (all records), partial (some records rejected), rejected (none).',
      labelNames: ['result'],
      registers,
    });
    this.rejects = new Counter({
      name: 'shadowdiff_collector_rejects_total',
      help: 'Ingest requests refused, by error code.',
      labelNames: ['code'],
      registers,
    });
    this.recordsReceived = perLeg(
      new Counter({
        name: 'shadowdiff_collector_records_received_total',
        help: 'Valid digest records received, by leg (duplicates included).',
        labelNames: ['leg'],
        registers,
      }),
    );
    const wireRecords = new Counter({
      name: 'shadowdiff_collector_wire_records_total',
      help: 'Valid digest records received, by the wire format version of their batch (1 or 2): how far a filter rollout has got.',
      labelNames: ['version'],
      registers,
    });
    this.wireRecordsReceived = Object.fromEntries(
      WIRE_VERSIONS.map((version) => [version, zeroed(wireRecords.labels({ version: String(version) }))]),
    ) as Record<WireVersion, Counter.Internal>;
    this.recordsRejected = new Counter({
      name: 'shadowdiff_collector_records_rejected_total',
      help: 'Digest records rejected by wire-format validation.',
      registers,
    });
    this.recordsDuplicate = perLeg(
      new Counter({
        name: 'shadowdiff_collector_records_duplicate_total',
        help: 'Records dropped because the same correlation id and leg was already received.',
        labelNames: ['leg'],
        registers,
      }),
    );
    this.recordsLate = perLeg(
      new Counter({
        name: 'shadowdiff_collector_records_late_total',
        help: 'Records whose partner leg had already been resolved as missing or evicted (arrived after the join window).',
        labelNames: ['leg'],
        registers,
      }),
    );
    this.pairs = new Counter({
      name: 'shadowdiff_collector_pairs_total',
      help: 'Joined requests by route and outcome: match, diverged, shadow_missing, primary_missing.',
      labelNames: ['route', 'outcome'],
      registers,
      collect,
    });
    this.divergences = new Counter({
      name: 'shadowdiff_collector_divergences_total',
      help: 'Diverged pairs by route and kind (status_class, status, completion, header, body, field); a pair can count under several kinds.',
      labelNames: ['route', 'kind'],
      registers,
      collect,
    });
    this.bodyFallback = new Counter({
      name: 'shadowdiff_collector_body_fallback_total',
      help: 'Pairs decided by the whole-body hash instead of the structural digest, by route and reason.',
      labelNames: ['route', 'reason'],
      registers,
      collect,
    });
    this.pairsWithinTolerance = new Counter({
      name: 'shadowdiff_collector_pairs_within_tolerance_total',
      help: 'Matched pairs that differed, every difference within its compare.tolerances, by route (also counted as outcome="match" in shadowdiff_collector_pairs_total).',
      labelNames: ['route'],
      registers,
      collect,
    });
    // Observed twice per pair: its series bound once per route and leg (seriesHistogram.ts).
    this.latency = new SeriesHistogram(
      'shadowdiff_collector_response_latency_seconds',
      "Latency of paired legs by route and leg: each leg's upstream request (Envoy's router, first byte sent to last byte received) when both legs have it, else request headers to the last response byte.",
      ['route', 'leg'],
      LATENCY_BUCKETS_SECONDS,
      this.registry,
    );
    this.evictions = new Counter({
      name: 'shadowdiff_collector_join_evictions_total',
      help: 'Unpaired legs dropped because join.maxPending was reached (oldest first).',
      registers,
    });
    this.routeEvictions = new Counter({
      name: 'shadowdiff_collector_route_evictions_total',
      help: 'Routes that gave up their place in the route table (routes.max or the tallies budget) to a heavier one; their counts were folded into `other`.',
      registers,
    });
    this.budgetBytes = new Gauge({
      name: 'shadowdiff_collector_budget_bytes',
      help: 'Estimated heap bytes held, by part: pending (join window legs), pairs (retained pairs), tallies (routes, fields, headers).',
      labelNames: ['part'],
      registers,
    });
    this.budgetLimitBytes = new Gauge({
      name: 'shadowdiff_collector_budget_limit_bytes',
      help: 'The configured byte budget of each part (budget.*Bytes).',
      labelNames: ['part'],
      registers,
    });
    this.budgetEvictions = new Counter({
      name: 'shadowdiff_collector_budget_evictions_total',
      help: 'Entries evicted to keep a part within its byte budget: pending legs (also counted as evicted), retained pairs, routes or fields.',
      labelNames: ['part'],
      registers,
    });
    this.budgetRefusals = new Counter({
      name: 'shadowdiff_collector_budget_refusals_total',
      help: 'Entries never kept because alone they did not fit the budget (a pending leg larger than the whole budget is also counted as evicted).',
      labelNames: ['part'],
      registers,
    });
    this.snapshotsSetAside = new Counter({
      name: 'shadowdiff_collector_snapshots_set_aside_total',
      help: 'Snapshots found unreadable or not matching their schema at start-up, moved aside instead of restored.',
      registers,
    });
    this.storedLegsUnreadable = new Counter({
      name: 'shadowdiff_collector_store_unreadable_legs_total',
      help: 'Pending legs a restart left in the store that could not be read back when needed (row gone or not a wire record): dropped from the join unjudged.',
      registers,
    });
    this.restoredSuperseded = new Counter({
      name: 'shadowdiff_collector_store_superseded_on_restore_total',
      help: 'Pending legs and tombstones a restart dropped because a later restored leg of their id showed them to be of a request resolved before (a store written before ids pending anew lost their earlier legs).',
      registers,
    });
    this.storeHealthy = new Gauge({
      name: 'shadowdiff_collector_store_healthy',
      help: '1 while the last append and the last checkpoint both succeeded (or no store is configured), else 0; /readyz follows it.',
      registers,
    });
    this.storeHealthy.set(1);
    this.storeWriteErrors = new Counter({
      name: 'shadowdiff_collector_store_write_errors_total',
      help: 'Failed store writes: op=append (the batch was answered 503, nothing applied) or checkpoint (retried in full).',
      labelNames: ['op'],
      registers,
    });
    for (const op of STORE_OPS) this.storeWriteErrors.labels({ op }).inc(0);
    this.storeCommit = new Histogram({
      name: 'shadowdiff_collector_store_commit_seconds',
      help: 'Time one store transaction took in the store thread: op=append (one group commit) or checkpoint.',
      labelNames: ['op'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.pendingJoins = new Gauge({
      name: PENDING_JOINS_METRIC,
      help: 'Legs waiting for their partner inside the join window.',
      registers,
    });
    this.routes = new Gauge({
      name: 'shadowdiff_collector_routes',
      help: 'Routes tracked apart (at most routes.max; `other` not counted).',
      registers,
    });
    this.divergenceRatio = new Gauge({
      name: 'shadowdiff_collector_divergence_ratio',
      help: 'Diverged pairs / pairs, per route, since start. A rollout gate.',
      labelNames: ['route'],
      registers,
    });
    this.secondaryLegs = new Counter({
      name: 'shadowdiff_collector_secondary_total',
      help: 'Requests with a secondary leg, per route, by outcome: triple (joined its pair), secondary_missing (announced by the primary, never came: judged as a pair), secondary_unusable (came, but not comparable with the primary: another status or a local reply; judged as a pair), secondary_orphaned (no pair came). Present once the route had one.',
      labelNames: ['route', 'outcome'],
      registers,
      collect,
    });
    this.divergenceUpperBound = new Gauge({
      name: 'shadowdiff_collector_divergence_ratio_upper_bound',
      help: 'Upper end of the 95% Wilson interval of the divergence ratio, per route, counting only regressions (pairs whose only differences are fields and headers a secondary proved noise are left out): gate on this to require enough evidence.',
      labelNames: ['route'],
      registers,
    });
    this.fieldDivergentPairs = new Gauge({
      name: 'shadowdiff_collector_field_divergent_pairs',
      help: 'Pairs in which a field differed, for the top-K fields of each route (array indices collapsed to [*]).',
      labelNames: ['route', 'field'],
      registers,
    });
    this.fieldWithinTolerancePairs = new Gauge({
      name: 'shadowdiff_collector_field_within_tolerance_pairs',
      help: 'Pairs in which a field differed within its compare.tolerances (not counted as divergent), for those of the top-K fields of each route that ever did.',
      labelNames: ['route', 'field'],
      registers,
    });
  }

  /** The Prometheus text, with the gauges set from `reading`. */
  async render(reading: MetricsReading): Promise<string> {
    this.pendingJoins.set(reading.pendingJoins);
    this.routes.set(reading.routesTracked);
    // These counters mirror counts the pipeline keeps (and, for routes, persists): set, not added.
    this.routeEvictions.reset();
    this.routeEvictions.inc(reading.routeEvictions);
    this.budgetEvictions.reset();
    this.budgetRefusals.reset();
    for (const part of BUDGET_PARTS) {
      const budget = reading.budget[part];
      this.budgetBytes.set({ part }, budget.usedBytes);
      this.budgetLimitBytes.set({ part }, budget.limitBytes);
      this.budgetEvictions.inc({ part }, budget.evictions);
      this.budgetRefusals.inc({ part }, budget.refusals);
    }
    this.divergenceRatio.reset();
    this.divergenceUpperBound.reset();
    this.fieldDivergentPairs.reset();
    this.fieldWithinTolerancePairs.reset();
    for (const route of reading.routes) {
      if (route.pairs > 0) this.divergenceRatio.set({ route: route.route }, route.diverged / route.pairs);
      const interval = wilson(route.gateDiverged ?? route.diverged, route.pairs);
      if (interval !== null) this.divergenceUpperBound.set({ route: route.route }, interval.high);
      for (const field of route.topFields) {
        const labels = { route: route.route, field: field.path };
        this.fieldDivergentPairs.set(labels, field.divergentPairs);
        if (field.withinTolerance !== undefined) this.fieldWithinTolerancePairs.set(labels, field.withinTolerance);
      }
    }
    return this.registry.metrics();
  }

  /** Counts one resolved request (the outcome the pipeline also scored). */
  resolved(resolution: Resolution): void {
    switch (resolution.kind) {
      case 'paired': {
        const latency = pairLatency(resolution.primary, resolution.shadow);
        if (resolution.secondary !== undefined)
          this.secondary(resolution.route, secondaryOutcome(resolution.primary, resolution.secondary));
        return this.pair(resolution.route, resolution.diff, latency.primaryUs, latency.shadowUs);
      }
      case 'missing':
        this.series(resolution.route).pending.outcomes[resolution.outcome]++;
        return;
      case 'evicted':
        return this.evictions.inc();
    }
  }

  /** A secondary leg counted under `route`: joined, missing or orphaned (a pending count, as a pair's). */
  secondary(route: string, outcome: SecondaryOutcome, count = 1): void {
    const series = this.series(route);
    series.secondary ??= bind(SECONDARY_OUTCOMES, (each) => zeroed(this.secondaryLegs.labels({ route, outcome: each })));
    series.pending.secondary[outcome] += count;
  }

  wireRecords(version: WireVersion, count: number): void {
    this.wireRecordsReceived[version].inc(count);
  }

  batch(result: BatchResult): void {
    this.batches.inc({ result });
  }

  reject(code: ErrorCode): void {
    this.rejects.inc({ code });
  }

  /** The legs of a batch: one increment per leg role, not per record (each increment hashes its labels). */
  recordsReceivedIn(records: readonly { leg: WireLeg }[]): void {
    for (const leg of WIRE_LEGS) {
      let count = 0;
      for (const record of records) if (record.leg === leg) count++;
      if (count > 0) this.recordsReceived[leg].inc(count);
    }
  }

  /** Legs a join worker consumed, as a verdicts topic's tally counts them (Kafka mode's report role). */
  recordsReceivedBy(leg: WireLeg, count: number): void {
    this.recordsReceived[leg].inc(count);
  }

  recordsRejectedBy(count: number): void {
    if (count > 0) this.recordsRejected.inc(count);
  }

  /** `count`: more than one from a verdicts topic's tally (Kafka mode's report role). */
  duplicate(leg: WireLeg, count = 1): void {
    this.recordsDuplicate[leg].inc(count);
  }

  late(leg: WireLeg, count = 1): void {
    this.recordsLate[leg].inc(count);
  }

  snapshotSetAside(): void {
    this.snapshotsSetAside.inc();
  }

  storedLegUnreadable(): void {
    this.storedLegsUnreadable.inc();
  }

  restoreSuperseded(count: number): void {
    this.restoredSuperseded.inc(count);
  }

  storeCommitted(op: StoreOp, seconds: number): void {
    this.storeCommit.labels({ op }).observe(seconds);
  }

  storeFailed(op: StoreOp): void {
    this.storeWriteErrors.labels({ op }).inc();
  }

  storeHealth(healthy: boolean): void {
    this.storeHealthy.set(healthy ? 1 : 0);
  }

  /**
   * A route gave up its place: its series go, so churn cannot grow the label set, and its counts
   * move to `other`'s series, as they did in the scoreboard (latency observations cannot be moved).
   */
  foldRoute(folded: RouteCounts & { route: string; secondary?: Record<SecondaryOutcomeCount, number> }): void {
    const other = this.series(OTHER_ROUTE);
    other.outcomes.match.inc(folded.pairs - folded.diverged);
    other.outcomes.diverged.inc(folded.diverged);
    other.outcomes.shadow_missing.inc(folded.shadowMissing);
    other.outcomes.primary_missing.inc(folded.primaryMissing);
    for (const kind of DIVERGENCE_KINDS) other.kinds[kind].inc(folded.kinds[kind]);
    for (const reason of FALLBACK_REASONS) other.fallback[reason].inc(folded.fallback[reason]);
    other.withinTolerance.inc(folded.withinTolerance ?? 0);
    const learned = folded.secondary;
    if (learned !== undefined)
      for (const outcome of SECONDARY_OUTCOMES) this.secondary(OTHER_ROUTE, outcome, learned[SECONDARY_OUTCOME_COUNT[outcome]]);
    const route = folded.route;
    if (!this.perRoute.delete(route)) return;
    for (const outcome of PAIR_OUTCOMES) this.pairs.remove({ route, outcome });
    for (const kind of DIVERGENCE_KINDS) this.divergences.remove({ route, kind });
    for (const reason of FALLBACK_REASONS) this.bodyFallback.remove({ route, reason });
    this.pairsWithinTolerance.remove({ route });
    for (const outcome of SECONDARY_OUTCOMES) this.secondaryLegs.remove({ route, outcome });
    for (const leg of LEGS) this.latency.remove({ route, leg });
  }

  private pair(route: string, diff: PairDiff, primaryUs: number, shadowUs: number): void {
    const series = this.series(route);
    const counts = series.pending;
    counts.outcomes[diff.diverged ? 'diverged' : 'match']++;
    for (const kind of diff.kinds) counts.kinds[kind]++;
    if (diff.fallback !== null) counts.fallback[diff.fallback]++;
    if (matchedWithinTolerance(diff)) counts.withinTolerance++;
    series.latency.primary.observe(primaryUs / 1e6);
    series.latency.shadow.observe(shadowUs / 1e6);
  }

  private series(route: string): RouteSeries {
    let series = this.perRoute.get(route);
    if (series === undefined) {
      series = {
        outcomes: bind(PAIR_OUTCOMES, (outcome) => zeroed(this.pairs.labels({ route, outcome }))),
        kinds: bind(DIVERGENCE_KINDS, (kind) => zeroed(this.divergences.labels({ route, kind }))),
        fallback: bind(FALLBACK_REASONS, (reason) => zeroed(this.bodyFallback.labels({ route, reason }))),
        withinTolerance: zeroed(this.pairsWithinTolerance.labels({ route })),
        secondary: null,
        latency: bind(LEGS, (leg) => this.latency.child({ route, leg })),
        pending: {
          outcomes: bind(PAIR_OUTCOMES, () => 0),
          kinds: bind(DIVERGENCE_KINDS, () => 0),
          fallback: bind(FALLBACK_REASONS, () => 0),
          withinTolerance: 0,
          secondary: bind(SECONDARY_OUTCOMES, () => 0),
        },
      };
      this.perRoute.set(route, series);
    }
    return series;
  }

  /** Every route's pending pair counts into its counters (a route folded away loses its series, pending counts with them). */
  private addPendingCounts(): void {
    for (const series of this.perRoute.values()) {
      const { pending } = series;
      addPending(PAIR_OUTCOMES, pending.outcomes, series.outcomes);
      addPending(DIVERGENCE_KINDS, pending.kinds, series.kinds);
      addPending(FALLBACK_REASONS, pending.fallback, series.fallback);
      if (pending.withinTolerance > 0) {
        series.withinTolerance.inc(pending.withinTolerance);
        pending.withinTolerance = 0;
      }
      if (series.secondary !== null) addPending(SECONDARY_OUTCOMES, pending.secondary, series.secondary);
    }
  }
}
