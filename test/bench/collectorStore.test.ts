// Line 8 (bench/lines/collectorStore.ts) on its own, in a short plan: which rows carry the goals
// (the fixed-rate ones; the saturation rows are information), that the fixed rate is the plan's
// share of the closed loop's throughput, and that checkpoints ran while each ingest was measured.
// Numbers are never judged: this machine is shared.
import { describe, expect, it } from 'vitest';
import { QUICK_PLAN } from '../../bench/benchPlan.js';
import { measureCollectorStore } from '../../bench/lines/collectorStore.js';
import { spread } from '../../bench/summary.js';

interface IngestDetails {
  checkpoints: number;
  appends: number;
}

describe('line 8: the collector store', () => {
  it('puts the latency goals on the fixed-rate rows, at the plan share of the saturation', { timeout: 120_000 }, async () => {
    // Long enough for the default checkpoint interval (1 s) to come round in each ingest run.
    const plan = { ...QUICK_PLAN, collectorSeconds: 2.5 };
    const result = await measureCollectorStore({ plan });

    for (const row of result.rows) expect(Number.isFinite(row.measured.median), `"${row.metric}" measured`).toBe(true);
    const goals = (part: string) =>
      result.rows.filter((row) => row.metric.includes(part)).map((row) => [row.metric, row.goal?.limit ?? null]);
    const ingest = (at: string, goal: (limit: number) => number | null) => [
      [`append latency p50, ${at}`, null],
      [`append latency p99, ${at}`, goal(50)],
      [`append latency max, ${at}`, null],
      [`event-loop delay p50, ingest + checkpoints, ${at}`, null],
      [`event-loop delay p99, ingest + checkpoints, ${at}`, null],
      [`event-loop delay max, ingest + checkpoints, ${at}`, goal(10)],
      [`append: event-loop part (serialise + post a batch), max, ${at}`, goal(10)],
    ];
    expect(goals('at saturation')).toEqual([
      ['ingest throughput at saturation (closed loop), legs', null],
      ['ingest throughput at saturation (closed loop), leg JSON', null],
      ...ingest('at saturation (closed loop)', () => null),
    ]);
    expect(goals('at 50% of saturation')).toEqual(ingest('at 50% of saturation (open loop)', (limit) => limit));
    expect(goals('full checkpoint')).toEqual([
      ['event-loop delay max, full checkpoint of 20k pending legs', 10],
      ['full checkpoint time, 20k pending legs', null],
    ]);

    const details = result.details as {
      saturation: Array<IngestDetails & { legsPerSecond: number }>;
      fixedRate: { batchesPerSecond: number; runs: IngestDetails[] };
    };
    const saturation = spread(details.saturation.map((run) => run.legsPerSecond)).median;
    expect(details.fixedRate.batchesPerSecond * 64).toBeCloseTo(plan.latencyLoad * saturation, 6);
    // The open loop sends what its schedule holds, whatever the appends took.
    for (const run of details.fixedRate.runs)
      expect(run.appends).toBe(Math.round(details.fixedRate.batchesPerSecond * plan.collectorSeconds));
    for (const run of [...details.saturation, ...details.fixedRate.runs]) expect(run.checkpoints).toBeGreaterThan(0);
  });
});
