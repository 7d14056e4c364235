// Two report instances read the same verdicts partitions, each in its order, but interleave the
// partitions as the broker hands them out: what they serve (the report with its examples, sampled
// values, magnitudes and latency intervals; the pair views; the per-leg counters and the other
// series the embedded collector has) must be the same, and the embedded collector's for the same
// legs. Here without a broker: the same records handed to report pipelines in several
// interleavings, with tables small enough to overflow (examples per field, retained pairs, the
// latency reservoir).

import { describe, expect, it } from 'vitest';
import type { VerdictMessage } from '../../../collector/kafka/verdictReader.js';
import { encodeTally } from '../../../collector/kafka/verdictRecord.js';
import type { CollectorConfig } from '../../../collector/types.js';
import { comparable } from './comparableReport.js';
import { judge, partitionLogs, PARTITIONS, reportSeries, served } from './judgedVerdicts.js';

/** Small tables, so that every bounded one overflows: 3 examples a field, 16 latency pairs a route, a few retained pairs. */
const small = (c: CollectorConfig): void => {
  c.report.examplesPerField = 3;
  c.score.latency.reservoirPairs = 16;
  c.score.latency.resamples = 200;
  c.score.latency.minPairs = 8;
  c.pairs.keepDiverged = 4;
  c.pairs.keepOther = 6;
};

/** A seeded generator (mulberry32), so an interleaving that fails can be told again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The partitions' logs merged, each kept in its order; `pick` chooses among the partitions with records left. */
function interleave(logs: VerdictMessage[][], pick: (left: number[]) => number): VerdictMessage[] {
  const heads = logs.map(() => 0);
  const merged: VerdictMessage[] = [];
  for (;;) {
    const left = logs.flatMap((log, partition) => ((heads[partition] ?? 0) < log.length ? [partition] : []));
    if (left.length === 0) return merged;
    const partition = pick(left);
    const head = heads[partition] ?? 0;
    merged.push(logs[partition]![head]!);
    heads[partition] = head + 1;
  }
}

const INTERLEAVINGS: Array<[string, (logs: VerdictMessage[][]) => VerdictMessage[]]> = [
  ['partition after partition', (logs) => logs.flat()],
  ['the last partition first', (logs) => [...logs].reverse().flat()],
  ['round robin', (logs) => interleave(logs, (left) => left[0]!)],
  ...[1, 2, 3].map((seed): [string, (logs: VerdictMessage[][]) => VerdictMessage[]] => [
    `at random (seed ${seed})`,
    (logs) => {
      const next = random(seed);
      return interleave(logs, (left) => left[Math.floor(next() * left.length)]!);
    },
  ]),
];

describe('the report role, whatever order the partitions interleave in', () => {
  const judged = judge(60, small);
  const logs = partitionLogs(judged);

  it('has records that fill every bounded table past its size', () => {
    const report = judged.model.report();
    const fields = report.routes.flatMap((route) => route.fields);
    expect(fields.some((field) => field.divergentPairs > 3 && field.examples.length === 3)).toBe(true);
    expect(fields.some((field) => (field.exampleValues?.length ?? 0) === 3 && field.magnitude !== undefined)).toBe(true);
    expect(report.routes.every((route) => route.pairs > 16 && route.latencyMs.verdict.pairs === 16)).toBe(true);
    expect(judged.ids.filter((id) => judged.model.pair(id) !== undefined).length).toBeLessThan(judged.ids.length);
    expect(logs.every((log) => log.length > 1)).toBe(true);
    expect(logs.length).toBe(PARTITIONS);
  });

  it.each(INTERLEAVINGS)("serves the embedded collector's report, pair views and series, read %s", async (_name, order) => {
    const got = await served(judged.config, order(logs), judged.ids);
    expect(comparable(got.report)).toEqual(comparable(judged.model.report()));
    expect(got.pairs).toEqual(judged.ids.map((id) => judged.model.pair(id) ?? null));
    expect(got.series).toEqual(reportSeries(await judged.modelMetrics.registry.metrics()));
    // The per-leg counters come from the tallies: a duplicate and a late leg of each leg.
    for (const leg of ['primary', 'shadow'])
      for (const kind of ['duplicate', 'late']) expect(got.series[`shadowdiff_collector_records_${kind}_total{leg="${leg}"}`]).toBe(1);
  });

  it("counts a previous release's tally (version 1) in the totals, and in no per-leg series", async () => {
    const previous = logs.map((log) =>
      log.map((message) => {
        const value = JSON.parse(message.value!.toString('utf8')) as Record<string, unknown>;
        if (value['kind'] !== 'tally') return message;
        const sum = (counts: unknown): number => Object.values(counts as Record<string, number>).reduce((a, b) => a + b, 0);
        return {
          ...message,
          value: Buffer.from(JSON.stringify({ ...value, v: 1, duplicates: sum(value['duplicates']), late: sum(value['late']) })),
        };
      }),
    );
    const got = await served(judged.config, previous.flat(), judged.ids);
    const model = judged.model.report();
    expect(comparable(got.report)).toEqual(comparable(model));
    expect(got.series['shadowdiff_collector_records_duplicate_total{leg="primary"}']).toBe(0);
    expect(got.series['shadowdiff_collector_records_late_total{leg="shadow"}']).toBe(0);
    expect(got.series['shadowdiff_collector_records_received_total{leg="shadow"}']).toBe(model.totals.records.shadow);
    // The tally this release writes is version 2.
    const tally = encodeTally({
      legs: { partition: 0, fromOffset: 0, toOffset: 0 },
      records: { primary: 1, shadow: 0 },
      duplicates: { primary: 0, shadow: 0 },
      late: { primary: 0, shadow: 0 },
    });
    expect(JSON.parse(tally.value.toString('utf8'))).toMatchObject({ v: 2 });
  });
});
