// The model a Kafka join is checked against: the embedded Pipeline fed the same legs at their
// arrival times, then left until every window closed; what it tells of each id (its pair view)
// is what the join's one verdict for that id must say.

import { Pipeline } from '../../../collector/pipeline.js';
import { CollectorMetrics } from '../../../collector/metrics/collectorMetrics.js';
import type { PairView, Report } from '../../../collector/report/reportSchema.js';
import { WIRE_LEGS, type WireLeg } from '../../../collector/ingest/wireSchema.js';
import type { SecondaryOutcome } from '../../../collector/join/outcomes.js';
import { zeroCounts } from '../../../collector/schema/countsBy.js';
import { pairViewOf, type Resolution } from '../../../collector/score/resolution.js';
import type { CollectorConfig, IngestedRecord } from '../../../collector/types.js';
import { FakeClock } from '../fixtures.js';

export interface ArrivedLeg {
  arrivedUnixMs: number;
  record: IngestedRecord;
}

export interface LegTotals {
  records: Record<WireLeg, number>;
  duplicates: Record<WireLeg, number>;
  late: Record<WireLeg, number>;
}

export interface ModelOutcome {
  /** the last resolution of each id, as GET /v1/pairs/:id shows it */
  pairs: Map<string, PairView>;
  /** every resolution in order (an id seen again after its tombstone was forgotten resolves again), without its time */
  resolutions: PairView[];
  /** by leg, secondary included (0 when none) */
  totals: LegTotals;
  /** the route of each secondary leg whose pair never came, in order */
  orphaned: string[];
  /** the pipeline's report once every window closed */
  report: Report;
  /** its metrics (the series the report role serves too) */
  metrics: CollectorMetrics;
}

/** Feeds `legs` (arrival order) one by one, then closes every window at `endUnixMs`. */
export function embeddedModel(config: CollectorConfig, legs: readonly ArrivedLeg[], endUnixMs: number): ModelOutcome {
  // Every resolved pair stays retrievable, whatever the test's size.
  const modelConfig: CollectorConfig = { ...config, pairs: { keepDiverged: 1_000_000, keepOther: 1_000_000 } };
  const clock = new FakeClock(legs[0]?.arrivedUnixMs ?? endUnixMs);
  const metrics = new ResolutionsSeen({ defaultMetrics: false });
  const pipeline = new Pipeline(modelConfig, clock, metrics);
  for (const { arrivedUnixMs, record } of legs) {
    clock.t = arrivedUnixMs;
    pipeline.ingest([record], arrivedUnixMs);
  }
  clock.t = endUnixMs;
  pipeline.tick();
  const pairs = new Map<string, PairView>();
  for (const id of new Set(legs.map((leg) => leg.record.id))) {
    const pair = pipeline.pair(id);
    if (pair !== undefined) pairs.set(id, pair);
  }
  const report = pipeline.report();
  return {
    pairs,
    resolutions: metrics.seen,
    totals: {
      records: { ...report.totals.records, secondary: report.totals.records.secondary ?? 0 },
      duplicates: metrics.duplicatesByLeg,
      late: metrics.lateByLeg,
    },
    orphaned: metrics.orphaned,
    report,
    metrics,
  };
}

/** The pipeline's metrics, keeping every resolution they are told of (the pipeline's one place of counting), and the duplicates and late legs by leg. */
class ResolutionsSeen extends CollectorMetrics {
  readonly seen: PairView[] = [];
  readonly duplicatesByLeg = zeroCounts(WIRE_LEGS);
  readonly lateByLeg = zeroCounts(WIRE_LEGS);
  readonly orphaned: string[] = [];
  override resolved(resolution: Resolution): void {
    super.resolved(resolution);
    this.seen.push({ ...pairViewOf(resolution, 0), resolvedAtUnixMs: null });
  }
  override secondary(route: string, outcome: SecondaryOutcome, count = 1): void {
    super.secondary(route, outcome, count);
    if (outcome === 'secondary_orphaned') this.orphaned.push(route);
  }
  override duplicate(leg: WireLeg, count = 1): void {
    super.duplicate(leg, count);
    this.duplicatesByLeg[leg] += count;
  }
  override late(leg: WireLeg, count = 1): void {
    super.late(leg, count);
    this.lateByLeg[leg] += count;
  }
}
