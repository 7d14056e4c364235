// Prometheus metrics on the collector's own registry (never prom-client's global one). Label
// cardinality is bounded: `route` is a capped template, `field` appears only for each route's
// top-K fields, every other label has a fixed value set. Per-route children are cached so the
// hot path does not rebuild label keys.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ErrorCode } from './errors.js';
import type { FieldTally, RouteTally } from './scoreboard.js';
import type { DivergenceKind, FallbackReason, Leg, PairDiff, PairOutcome } from './types.js';
import { wilson } from './wilson.js';
import { WIRE_VERSIONS, type WireVersion } from './ingest/wireValidator.js';

/** What gauges read at scrape time. */
export interface MetricsSource {
  pendingJoins(): number;
  routesTracked(): number;
  routeTallies(): Iterable<RouteTally>;
  topFields(tally: RouteTally, k: number): FieldTally[];
}

export type BatchResult = 'accepted' | 'partial' | 'rejected';

const LEGS: readonly Leg[] = ['primary', 'shadow'];
const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const OUTCOMES: readonly PairOutcome[] = ['match', 'diverged', 'shadow_missing', 'primary_missing'];
const KINDS: readonly DivergenceKind[] = ['status_class', 'status', 'completion', 'header', 'body', 'field'];
const FALLBACKS: readonly FallbackReason[] = ['json_none', 'json_malformed', 'json_state_differs', 'fields_truncated', 'no_fields', 'hash_algorithm_differs'];

interface RouteSeries {
  outcomes: Record<PairOutcome, Counter.Internal>;
  kinds: Record<DivergenceKind, Counter.Internal>;
  fallback: Record<FallbackReason, Counter.Internal>;
  latency: Record<Leg, Histogram.Internal<'route' | 'leg'>>;
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

function perLeg(counter: Counter<'leg'>): Record<Leg, Counter.Internal> {
  return bind(LEGS, (leg) => zeroed(counter.labels({ leg })));
}

export interface MetricsOptions {
  topK: number;
  /** process_* and nodejs_* metrics; on in production, optional so tests stay light */
  defaultMetrics: boolean;
}

export class CollectorMetrics {
  readonly registry = new Registry();
  private source: MetricsSource | null = null;
  private readonly perRoute = new Map<string, RouteSeries>();

  private readonly batches: Counter<'result'>;
  private readonly rejects: Counter<'code'>;
  private readonly recordsReceived: Record<Leg, Counter.Internal>;
  private readonly recordsRejected: Counter;
  private readonly wireRecordsReceived: Record<WireVersion, Counter.Internal>;
  private readonly recordsDuplicate: Record<Leg, Counter.Internal>;
  private readonly recordsLate: Record<Leg, Counter.Internal>;
  private readonly pairs: Counter<'route' | 'outcome'>;
  private readonly divergences: Counter<'route' | 'kind'>;
  private readonly bodyFallback: Counter<'route' | 'reason'>;
  private readonly latency: Histogram<'route' | 'leg'>;
  private readonly evictions: Counter;
  private readonly routeOverflows: Counter;

  constructor(options: MetricsOptions) {
    const registers = [this.registry];
    // Gauges computed at scrape time read the attached source; `metrics` keeps `this` reachable
    // inside prom-client's collect callbacks, which are called with the gauge as `this`.
    const metrics = this;
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
    this.wireRecordsReceived = Object.fromEntries(WIRE_VERSIONS.map((version) => [version, zeroed(wireRecords.labels({ version: String(version) }))])) as Record<
      WireVersion,
      Counter.Internal
    >;
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
    });
    this.divergences = new Counter({
      name: 'shadowdiff_collector_divergences_total',
      help: 'Diverged pairs by route and kind (status_class, status, completion, header, body, field); a pair can count under several kinds.',
      labelNames: ['route', 'kind'],
      registers,
    });
    this.bodyFallback = new Counter({
      name: 'shadowdiff_collector_body_fallback_total',
      help: 'Pairs decided by the whole-body hash instead of the structural digest, by route and reason.',
      labelNames: ['route', 'reason'],
      registers,
    });
    this.latency = new Histogram({
      name: 'shadowdiff_collector_response_latency_seconds',
      help: 'Time from request headers to the last response byte of paired legs, by route and leg.',
      labelNames: ['route', 'leg'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.evictions = new Counter({
      name: 'shadowdiff_collector_join_evictions_total',
      help: 'Unpaired legs dropped because join.maxPending was reached (oldest first).',
      registers,
    });
    this.routeOverflows = new Counter({
      name: 'shadowdiff_collector_route_overflows_total',
      help: 'Requests attributed to the `other` route because routes.max distinct routes exist.',
      registers,
    });
    new Gauge({
      name: 'shadowdiff_collector_pending_joins',
      help: 'Legs waiting for their partner inside the join window.',
      registers,
      collect() {
        this.set(metrics.source?.pendingJoins() ?? 0);
      },
    });
    new Gauge({
      name: 'shadowdiff_collector_routes',
      help: 'Distinct routes tracked (at most routes.max, plus `other`).',
      registers,
      collect() {
        this.set(metrics.source?.routesTracked() ?? 0);
      },
    });
    new Gauge({
      name: 'shadowdiff_collector_divergence_ratio',
      help: 'Diverged pairs / pairs, per route, since start. A rollout gate.',
      labelNames: ['route'],
      registers,
      collect() {
        this.reset();
        for (const tally of metrics.source?.routeTallies() ?? []) {
          if (tally.pairs > 0) this.set({ route: tally.route }, tally.diverged / tally.pairs);
        }
      },
    });
    new Gauge({
      name: 'shadowdiff_collector_divergence_ratio_upper_bound',
      help: 'Upper end of the 95% Wilson interval of the divergence ratio, per route: gate on this to require enough evidence.',
      labelNames: ['route'],
      registers,
      collect() {
        this.reset();
        for (const tally of metrics.source?.routeTallies() ?? []) {
          const interval = wilson(tally.diverged, tally.pairs);
          if (interval !== null) this.set({ route: tally.route }, interval.high);
        }
      },
    });
    new Gauge({
      name: 'shadowdiff_collector_field_divergent_pairs',
      help: 'Pairs in which a field differed, for the top-K fields of each route (array indices collapsed to [*]).',
      labelNames: ['route', 'field'],
      registers,
      collect() {
        this.reset();
        const source = metrics.source;
        if (source === null) return;
        for (const tally of source.routeTallies()) {
          for (const field of source.topFields(tally, options.topK)) {
            this.set({ route: tally.route, field: field.path }, field.divergentPairs);
          }
        }
      },
    });
  }

  attach(source: MetricsSource): void {
    this.source = source;
  }

  batch(result: BatchResult): void {
    this.batches.inc({ result });
  }

  wireRecords(version: WireVersion, count: number): void {
    this.wireRecordsReceived[version].inc(count);
  }

  reject(code: ErrorCode): void {
    this.rejects.inc({ code });
  }

  recordReceived(leg: Leg): void {
    this.recordsReceived[leg].inc();
  }

  recordsRejectedBy(count: number): void {
    if (count > 0) this.recordsRejected.inc(count);
  }

  duplicate(leg: Leg): void {
    this.recordsDuplicate[leg].inc();
  }

  late(leg: Leg): void {
    this.recordsLate[leg].inc();
  }

  evicted(): void {
    this.evictions.inc();
  }

  routeOverflow(): void {
    this.routeOverflows.inc();
  }

  pair(route: string, diff: PairDiff, primaryLastByteUs: number, shadowLastByteUs: number): void {
    const series = this.series(route);
    series.outcomes[diff.diverged ? 'diverged' : 'match'].inc();
    for (const kind of diff.kinds) series.kinds[kind].inc();
    if (diff.fallback !== null) series.fallback[diff.fallback].inc();
    series.latency.primary.observe(primaryLastByteUs / 1e6);
    series.latency.shadow.observe(shadowLastByteUs / 1e6);
  }

  missing(route: string, outcome: 'shadow_missing' | 'primary_missing'): void {
    this.series(route).outcomes[outcome].inc();
  }

  private series(route: string): RouteSeries {
    let series = this.perRoute.get(route);
    if (series === undefined) {
      series = {
        outcomes: bind(OUTCOMES, (outcome) => zeroed(this.pairs.labels({ route, outcome }))),
        kinds: bind(KINDS, (kind) => zeroed(this.divergences.labels({ route, kind }))),
        fallback: bind(FALLBACKS, (reason) => zeroed(this.bodyFallback.labels({ route, reason }))),
        latency: bind(LEGS, (leg) => this.latency.labels({ route, leg })),
      };
      this.perRoute.set(route, series);
    }
    return series;
  }
}
