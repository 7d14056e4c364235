// Verdicts and tallies as join workers would produce them for a set of legs, with the embedded
// pipeline's report, pair views and metrics for the same legs (the model): the report role's
// tests feed them to report instances, through a broker (reportRole.test.ts) or straight to the
// record handler in several interleavings (reportOrder.test.ts, `served`).

import { Registry } from 'prom-client';
import type { IngestedRecord } from '../../../collector/ingest/ingestedRecord.js';
import { KafkaReportMetrics } from '../../../collector/kafka/reportMetrics.js';
import { verdictRecordHandler } from '../../../collector/kafka/reportRole.js';
import { encodeTally, encodeVerdict } from '../../../collector/kafka/verdictRecord.js';
import type { VerdictMessage } from '../../../collector/kafka/verdictReader.js';
import { CollectorMetrics } from '../../../collector/metrics/collectorMetrics.js';
import { Pipeline } from '../../../collector/pipeline.js';
import type { PairView, Report } from '../../../collector/report/reportSchema.js';
import { pairViewOf, type Resolution } from '../../../collector/score/resolution.js';
import type { CollectorConfig } from '../../../collector/types.js';
import { config as testConfig, FakeClock, legs, record } from '../fixtures.js';

export const PARTITIONS = 4;

/** Counts every resolution the embedded pipeline makes, as the pair view a join worker's verdict carries. */
class RecordingMetrics extends CollectorMetrics {
  readonly views: PairView[] = [];
  constructor(private readonly clock: FakeClock) {
    super({ defaultMetrics: false });
  }
  override resolved(resolution: Resolution): void {
    super.resolved(resolution);
    this.views.push(pairViewOf(resolution, this.clock.now()));
  }
}

export const partitionOf = (id: string): number => [...id].reduce((sum, c) => sum + c.charCodeAt(0), 0) % PARTITIONS;

export type Message = { partition: number; key: Buffer; value: Buffer };

export interface Judged {
  config: CollectorConfig;
  /** every verdict, in the order the embedded pipeline resolved them */
  verdicts: Message[];
  /** one tally per partition: the legs received, duplicates and late legs of its ids, by leg */
  tallies: Message[];
  /** the embedded pipeline: its report, pair views and metrics are the model */
  model: Pipeline;
  modelMetrics: CollectorMetrics;
  /** the ids whose shadow differs */
  divergedIds: string[];
  /** every id resolved */
  ids: string[];
}

/**
 * Legs over two routes, paired (every third diverging in two fields, `$.total` with captured
 * numbers whose differences tie), shadow- and primary-missing, a duplicate and a late leg of each
 * leg, joined by an embedded Pipeline; `pairs` sets how many ids pair. Pairs resolve two at a
 * time (examples of equal resolution time), latencies vary.
 */
export function judge(pairs: number, settings: (c: CollectorConfig) => void = () => {}): Judged {
  const config = testConfig(settings);
  const clock = new FakeClock();
  const modelMetrics = new RecordingMetrics(clock);
  const model = new Pipeline(config, clock, modelMetrics);
  const divergedIds: string[] = [];
  const zero = () => ({ primary: 0, shadow: 0 });
  const received = Array.from({ length: PARTITIONS }, () => ({ records: zero(), duplicates: zero(), late: zero(), legs: 0 }));
  let offered = 0;
  const offer = (leg: IngestedRecord): void => {
    const summary = model.ingest([leg], clock.now());
    const tally = received[partitionOf(leg.id)]!;
    const role = leg.leg;
    if (role === 'secondary') throw new Error('this fixture makes pairs only: no secondary legs here');
    tally.records[role]++;
    tally.duplicates[role] += summary.duplicates;
    tally.late[role] += summary.late;
    tally.legs++;
    offered++;
    if (offered % 4 === 0) clock.advance(3);
  };
  for (let i = 0; i < pairs; i++) {
    const path = i % 2 === 0 ? `/orders/${i}` : `/users/${i}`;
    const diverges = i % 3 === 0;
    if (diverges) divergedIds.push(`p-${i}`);
    const latency = { lastByteUs: 10_000 + ((i * 37) % 50) * 100 };
    const shadow = diverges
      ? {
          fields: { '$.id': '0000002a', '$.total': `${String(i).padStart(8, '0')}` },
          values: { '$.total': `n${100 + (i % 4)}` },
          lastByteUs: latency.lastByteUs + 2_000,
        }
      : { lastByteUs: latency.lastByteUs + 1_000 };
    for (const leg of legs(`p-${i}`, shadow, { path, values: { '$.total': 'n100' }, ...latency })) offer(leg);
  }
  for (let i = 0; i < 3; i++) offer(record('primary', { id: `m-${i}`, path: `/orders/${100 + i}` }));
  offer(record('shadow', { id: 's-0', path: '/users/7' }));
  offer(record('primary', { id: 'p-0', path: '/orders/0' })); // a duplicate primary
  offer(record('shadow', { id: 'p-1', path: '/users/1' })); // a duplicate shadow
  clock.advance(config.join.windowMs + 1);
  model.tick();
  offer(record('shadow', { id: 'm-0', path: '/orders/100' })); // late: its window closed
  offer(record('primary', { id: 's-0', path: '/users/7' })); // late too
  const next = Array.from({ length: PARTITIONS }, () => 0);
  const verdicts = modelMetrics.views.map((view) => {
    const partition = partitionOf(view.id);
    const offset = next[partition] ?? 0;
    next[partition] = offset + 1;
    return { partition, ...encodeVerdict(view, { partition, offset }) };
  });
  const tallies = received.map((tally, partition) => ({
    partition,
    ...encodeTally({
      legs: { partition, fromOffset: 0, toOffset: Math.max(0, tally.legs - 1) },
      records: tally.records,
      duplicates: tally.duplicates,
      late: tally.late,
    }),
  }));
  return { config, verdicts, tallies, model, modelMetrics, divergedIds, ids: [...new Set(modelMetrics.views.map((view) => view.id))] };
}

/** Each partition's log as the report role reads it: its verdicts in order, then its tally; with offsets. */
export function partitionLogs(judged: Judged): VerdictMessage[][] {
  return Array.from({ length: PARTITIONS }, (_, partition) =>
    [...judged.verdicts, ...judged.tallies]
      .filter((message) => message.partition === partition)
      .map((message, offset) => ({ partition, offset, key: message.key, value: message.value })),
  );
}

/** The collector's counters and histograms (but their float sums) the report role serves as the embedded collector does, by series. */
export function reportSeries(metricsText: string): Record<string, number> {
  const series: Record<string, number> = {};
  const families =
    /^(shadowdiff_collector_(?:records_(?:received|duplicate|late)_total|pairs_total|divergences_total|body_fallback_total|response_latency_seconds_(?:bucket|count)))(\{[^}]*\})? (\S+)$/gm;
  for (const match of metricsText.matchAll(families)) series[`${match[1]}${match[2] ?? ''}`] = Number(match[3]);
  return series;
}

/** What a report instance serves once it has read `messages` (in that order): its report, the pair view of each of `ids` (null: not kept), its series. */
export interface Served {
  report: Report;
  pairs: Array<PairView | null>;
  series: Record<string, number>;
  /** the whole /metrics text */
  metricsText: string;
}

/** A report role's pipeline fed `messages` as its reader hands them over, with none refused. */
export async function served(config: CollectorConfig, messages: Iterable<VerdictMessage>, ids: readonly string[]): Promise<Served> {
  const metrics = new CollectorMetrics({ defaultMetrics: false });
  const pipeline = new Pipeline(config, new FakeClock(), metrics, { judgedElsewhere: true });
  const handle = verdictRecordHandler(
    pipeline,
    new KafkaReportMetrics(new Registry(), () => ({ healthy: true, lastError: '' })),
    (refused) => {
      throw new Error(`a verdicts record was refused: ${JSON.stringify(refused)}`);
    },
  );
  for (const message of messages) handle(message);
  const metricsText = await metrics.registry.metrics();
  return { report: pipeline.report(), pairs: ids.map((id) => pipeline.pair(id) ?? null), series: reportSeries(metricsText), metricsText };
}
