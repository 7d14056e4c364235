// The report role's handling of verdicts records, without a broker: a verdict counted as the
// embedded pipeline counts a resolution, a repeat within join.rememberMs not counted again (and
// past it, counted: the horizon is the remembered one), a record read again below the state's
// offset skipped, a bad record refused with its field and passed, the offsets kept in the
// snapshot, and the report's pending left unknown.

import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../../collector/cli/reportTable.js';
import { KafkaReportMetrics } from '../../../collector/kafka/reportMetrics.js';
import { verdictRecordHandler, type RefusedRecord } from '../../../collector/kafka/reportRole.js';
import { encodeTally, encodeVerdict } from '../../../collector/kafka/verdictRecord.js';
import { CollectorMetrics } from '../../../collector/metrics/collectorMetrics.js';
import { Pipeline } from '../../../collector/pipeline.js';
import type { PairView } from '../../../collector/report/reportSchema.js';
import { config, FakeClock, legs, T0 } from '../fixtures.js';

function reportRole() {
  const clock = new FakeClock();
  const pipeline = new Pipeline(config(), clock, new CollectorMetrics({ defaultMetrics: false }), { judgedElsewhere: true });
  const registry = new Registry();
  const refused: RefusedRecord[] = [];
  const handle = verdictRecordHandler(pipeline, new KafkaReportMetrics(registry, () => ({ healthy: true, lastError: '' })), (record) =>
    refused.push(record),
  );
  const results = async (): Promise<Record<string, number>> => {
    const metric = await registry.getSingleMetric('shadowdiff_collector_kafka_verdict_records_total')!.get();
    return Object.fromEntries(metric.values.map((value) => [String(value.labels['result']), value.value]));
  };
  return { clock, pipeline, refused, handle, results };
}

/** A verdict as a join worker produces it for an id whose shadow never came. */
function shadowMissing(id: string): PairView {
  const [primary] = legs(id);
  return { id, state: 'shadow_missing', route: 'GET /orders/42', primary, shadow: null, diff: null, resolvedAtUnixMs: T0 };
}

const at = (partition: number, offset: number) => ({ partition, offset });

describe('verdictRecordHandler', () => {
  it('counts a verdict and a tally, a repeat once within join.rememberMs, and skips a record read again below its offset', async () => {
    const role = reportRole();
    const view = shadowMissing('a');
    role.handle({ ...at(0, 0), ...encodeVerdict(view, { partition: 0, offset: 7 }) });
    role.handle({
      ...at(0, 1),
      ...encodeTally({
        legs: { partition: 0, fromOffset: 0, toOffset: 7 },
        records: { primary: 2, shadow: 1 },
        duplicates: { primary: 0, shadow: 1 },
        late: { primary: 0, shadow: 0 },
      }),
    });
    role.handle({ ...at(1, 0), ...encodeVerdict(view, { partition: 0, offset: 7 }) });
    // Read again after the reader reopened: below the state's offset on partition 0.
    role.handle({
      ...at(0, 1),
      ...encodeTally({
        legs: { partition: 0, fromOffset: 0, toOffset: 7 },
        records: { primary: 2, shadow: 1 },
        duplicates: { primary: 0, shadow: 1 },
        late: { primary: 0, shadow: 0 },
      }),
    });
    const report = role.pipeline.report();
    expect(report.totals).toMatchObject({ records: { primary: 2, shadow: 1 }, duplicates: 1, pending: null });
    expect(report.totals.coverage.shadowMissing).toBe(1);
    expect(role.pipeline.pair('a')).toEqual(view);
    expect(await role.results()).toEqual({ counted: 1, repeated: 1, tally: 1, refused: 0 });
    expect(role.pipeline.verdictPositions()).toEqual([
      [0, 2],
      [1, 1],
    ]);
    // Past the remembered horizon, the id is forgotten: a verdict for it counts again.
    role.clock.advance(config().join.rememberMs + 1);
    role.pipeline.tick();
    role.handle({ ...at(1, 1), ...encodeVerdict(view, { partition: 0, offset: 7 }) });
    expect(role.pipeline.report().totals.coverage.shadowMissing).toBe(2);
    expect(renderReport(role.pipeline.report(), 'test')).toContain('pending with the join workers');
  });

  it('refuses a record that is not a verdicts record with its field, counts it, and passes it', async () => {
    const role = reportRole();
    const good = encodeVerdict(shadowMissing('b'), { partition: 0, offset: 1 });
    const pending = JSON.parse(good.value.toString('utf8')) as { pair: PairView };
    pending.pair.state = 'pending';
    const unresolved = JSON.parse(good.value.toString('utf8')) as { pair: PairView };
    unresolved.pair.resolvedAtUnixMs = null;
    role.handle({ ...at(0, 0), key: Buffer.from('x'), value: Buffer.from('{nope') });
    role.handle({ ...at(0, 1), key: good.key, value: Buffer.from(JSON.stringify(pending)) });
    role.handle({ ...at(0, 2), key: Buffer.from('c'), value: good.value });
    role.handle({ ...at(0, 3), key: good.key, value: Buffer.from(JSON.stringify(unresolved)) });
    role.handle({ ...at(0, 4), key: good.key, value: undefined });
    expect(role.refused.map((r) => [r.offset, r.field])).toEqual([
      [0, '(value)'],
      [1, 'pair.state'],
      [2, '(key)'],
      [3, 'pair.resolvedAtUnixMs'],
      [4, '(value)'],
    ]);
    expect(await role.results()).toEqual({ counted: 0, repeated: 0, tally: 0, refused: 5 });
    expect(role.pipeline.report().totals.coverage.shadowMissing).toBe(0);
    // Passed: the state's offset is after them, so a restart does not read them again.
    expect(role.pipeline.verdictOffset(0)).toBe(5);
  });

  it('keeps the offsets in the snapshot, and a restored pipeline resumes after them', () => {
    const role = reportRole();
    role.handle({
      ...at(3, 41),
      ...encodeTally({
        legs: { partition: 3, fromOffset: 0, toOffset: 0 },
        records: { primary: 1, shadow: 0 },
        duplicates: { primary: 0, shadow: 0 },
        late: { primary: 0, shadow: 0 },
      }),
    });
    const snapshot = role.pipeline.snapshot();
    expect(snapshot.verdictOffsets).toEqual([[3, 42]]);
    const restored = reportRole();
    restored.pipeline.restore(snapshot);
    expect(restored.pipeline.verdictOffset(3)).toBe(42);
    expect(restored.pipeline.report().totals.records.primary).toBe(1);
    // An embedded pipeline's snapshot has none.
    expect(new Pipeline(config(), new FakeClock(), new CollectorMetrics({ defaultMetrics: false })).snapshot()).not.toHaveProperty(
      'verdictOffsets',
    );
  });
});
