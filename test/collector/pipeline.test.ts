import { describe, expect, it } from 'vitest';
import { CollectorMetrics } from '../../collector/metrics/collectorMetrics.js';
import { Pipeline } from '../../collector/pipeline.js';
import type { CollectorConfig } from '../../collector/types.js';
import { config, FakeClock, legs, record } from './fixtures.js';

function pipeline(overrides: (c: CollectorConfig) => void = () => {}) {
  const clock = new FakeClock();
  const metrics = new CollectorMetrics({ defaultMetrics: false });
  return { p: new Pipeline(config(overrides), clock, metrics), clock, metrics };
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('Pipeline', () => {
  it('joins, compares and scores a pair, and answers with what ingest did', () => {
    const { p } = pipeline();
    expect(p.ingest(legs('a', { status: 201 }))).toEqual({ accepted: 2, duplicates: 0, late: 0 });
    const report = p.report();
    expect(report.totals).toMatchObject({ records: { primary: 1, shadow: 1 }, matched: 0, diverged: 1, pending: 0 });
    expect(report.routes[0]).toMatchObject({ route: 'GET /orders/{id}', pairs: 1, diverged: 1, kinds: { status: 1 } });
    expect(p.pair('a')).toMatchObject({ state: 'paired', route: 'GET /orders/{id}', diff: { kinds: ['status'] } });
  });

  it('judges a pair on the first copy of a leg: a re-delivered, different copy is a duplicate and changes nothing', () => {
    const { p } = pipeline();
    const [primary, shadow] = legs('d');
    expect(p.ingest([primary])).toEqual({ accepted: 1, duplicates: 0, late: 0 });
    expect(p.ingest([{ ...primary, status: 503, bodyHash: 'ffffffffffffffff' }])).toEqual({ accepted: 1, duplicates: 1, late: 0 });
    p.ingest([shadow]);
    const view = p.pair('d');
    expect(view?.primary?.status).toBe(200);
    expect(view?.diff?.diverged).toBe(false);
    expect(p.report().totals).toMatchObject({ matched: 1, diverged: 0, duplicates: 1 });
    // After the pair is resolved too.
    expect(p.ingest([{ ...shadow, status: 500 }])).toEqual({ accepted: 1, duplicates: 1, late: 0 });
    expect(p.pair('d')?.shadow?.status).toBe(200);
  });

  it('reports a completion-only difference as a divergence', () => {
    const { p } = pipeline();
    p.ingest(legs('c', { complete: false }));
    expect(p.report().routes[0]).toMatchObject({ diverged: 1, kinds: { completion: 1, status: 0, body: 0, field: 0 } });
  });

  it('closes windows on tick: a primary without shadow is shadow_missing, its late shadow is late', () => {
    const { p, clock } = pipeline();
    const [primary, shadow] = legs('m');
    p.ingest([primary]);
    expect(p.pair('m')?.state).toBe('pending');
    const before = p.changeCount;
    clock.advance(30_000);
    p.tick();
    expect(p.changeCount).toBeGreaterThan(before);
    expect(p.pair('m')?.state).toBe('shadow_missing');
    expect(p.ingest([shadow])).toEqual({ accepted: 1, duplicates: 0, late: 1 });
    expect(p.report().totals.coverage).toMatchObject({ pairs: 0, shadowMissing: 1 });
  });

  it('counts an eviction once, in the report, the pair store and the metrics alike', async () => {
    const { p, metrics } = pipeline((c) => {
      c.join.maxPending = 1;
    });
    p.ingest([record('primary', { id: 'old' }), record('primary', { id: 'new' })]);
    expect(p.pair('old')?.state).toBe('evicted');
    expect(p.report().totals.coverage.evicted).toBe(1);
    const text = await metrics.render(p.metricsReading());
    expect(sample(text, 'shadowdiff_collector_join_evictions_total')).toBe(1);
    expect(sample(text, 'shadowdiff_collector_pending_joins')).toBe(1);
  });

  it('derives metrics from the same outcomes the scoreboard counted', async () => {
    const { p, metrics } = pipeline();
    p.ingest([...legs('a'), ...legs('b', { status: 500 }), ...legs('c', { complete: false })]);
    const report = p.report();
    const text = await metrics.render(p.metricsReading());
    const route = 'GET /orders/{id}';
    expect(sample(text, `shadowdiff_collector_pairs_total{route="${route}",outcome="match"}`)).toBe(report.totals.matched);
    expect(sample(text, `shadowdiff_collector_pairs_total{route="${route}",outcome="diverged"}`)).toBe(report.totals.diverged);
    for (const [kind, n] of Object.entries(report.routes[0]?.kinds ?? {})) {
      expect(sample(text, `shadowdiff_collector_divergences_total{route="${route}",kind="${kind}"}`)).toBe(n);
    }
    expect(sample(text, `shadowdiff_collector_divergence_ratio{route="${route}"}`)).toBeCloseTo(2 / 3);
  });

  it('restores a snapshot into a fresh pipeline, with the legs that were pending still waiting for their partner', () => {
    const { p } = pipeline();
    p.ingest([...legs('a', { status: 500 }), record('primary', { id: 'waiting' })]);
    const { p: fresh } = pipeline();
    fresh.restore(p.snapshot());
    const before = p.report();
    const after = fresh.report();
    expect(after.routes).toEqual(before.routes);
    expect(after.totals).toEqual(before.totals);
    expect(after.totals.lostOnRestart).toBe(0);
    expect(after.totals.pending).toBe(1);
    expect(fresh.pair('a')?.diff?.kinds).toEqual(['status_class']);
    // The remembered id survives too: a re-delivered leg of a resolved pair is a duplicate.
    expect(fresh.ingest([record('shadow', { id: 'a' })])).toEqual({ accepted: 1, duplicates: 1, late: 0 });
    expect(fresh.ingest([record('shadow', { id: 'waiting' })])).toEqual({ accepted: 1, duplicates: 0, late: 0 });
    expect(fresh.pair('waiting')?.state).toBe('paired');
  });

  it('applies a batch admitted before a window closed as if at its arrival: the clock waits for it', () => {
    const { p, clock } = pipeline();
    p.ingest([record('primary', { id: 'edge' })]);
    clock.advance(config().join.windowMs - 1);
    const arrived = p.admit();
    clock.advance(5);
    // A read while the batch is being made durable does not close the window it can still pair.
    expect(p.report().totals.pending).toBe(1);
    expect(p.apply({ seq: 1, arrivedUnixMs: arrived, records: [record('shadow', { id: 'edge' })], rejected: 2 })).toEqual({
      accepted: 1,
      duplicates: 0,
      late: 0,
    });
    expect(p.report().totals).toMatchObject({ matched: 1, pending: 0, rejectedRecords: 2 });
    expect(p.snapshot().appliedSeq).toBe(1);
  });
});

describe('Pipeline, batches applied in slices (the ingest route)', () => {
  function durable() {
    const clock = new FakeClock();
    const metrics = new CollectorMetrics({ defaultMetrics: false });
    return { p: new Pipeline(config(), clock, metrics, { durable: true }), clock };
  }

  /** Pairs enough to take many slices of 2 ms: 1,000 requests of 200 fields each. */
  function largeBatch(prefix: string): ReturnType<typeof record>[] {
    const fields = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`$.items[${i}].sku`, ((i * 2654435761) >>> 0).toString(16).padStart(8, '0')]),
    );
    return Array.from({ length: 1000 }, (_, i) => legs(`${prefix}-${i}`, {}, { fields })).flat();
  }

  it('applies batches one after the other, in the order handed over, each whole before the next', async () => {
    const { p } = durable();
    const first = [...largeBatch('a'), record('primary', { id: 'shared' })];
    const second = [record('primary', { id: 'shared' }), record('shadow', { id: 'shared' })];
    const at = [p.admit(), p.admit()] as const;
    const applying = [
      p.applyInSlices({ seq: 1, arrivedUnixMs: at[0], records: first, rejected: 0 }),
      p.applyInSlices({ seq: 2, arrivedUnixMs: at[1], records: second, rejected: 0 }),
    ];
    // The first batch's copy of `shared` is the one judged: the second's is the duplicate.
    expect(await applying[0]).toEqual({ accepted: 2001, duplicates: 0, late: 0 });
    expect(await applying[1]).toEqual({ accepted: 2, duplicates: 1, late: 0 });
    expect(p.report().totals).toMatchObject({ matched: 1001, pending: 0 });
  });

  it('holds the clock at the batch arrival until its last record is in: a window its last record pairs into stays open', async () => {
    const { p, clock } = durable();
    p.ingest([record('primary', { id: 'late-partner' })]);
    clock.advance(config().join.windowMs - 1);
    const arrivedUnixMs = p.admit();
    const applying = p.applyInSlices({
      seq: 1,
      arrivedUnixMs,
      records: [...largeBatch('b'), record('shadow', { id: 'late-partner' })],
      rejected: 0,
    });
    // Meanwhile the clock passes the window's end and the sweep runs, between slices.
    let done = false;
    let sweptWhileApplying = 0;
    const sweep = (): void => {
      if (done) return;
      clock.advance(1000);
      p.tick();
      sweptWhileApplying++;
      setImmediate(sweep);
    };
    setImmediate(sweep);
    expect(await applying).toEqual({ accepted: 2001, duplicates: 0, late: 0 });
    done = true;
    expect(sweptWhileApplying).toBeGreaterThan(0);
    expect(p.pair('late-partner')?.state).toBe('paired');
    expect(p.report().totals).toMatchObject({ matched: 1001, late: 0 });
  });

  it('takes a checkpoint between two batches, never of half of one', async () => {
    const { p } = durable();
    const arrivedUnixMs = p.admit();
    const applying = p.applyInSlices({ seq: 1, arrivedUnixMs, records: largeBatch('c'), rejected: 0 });
    const checkpoint = await p.checkpoint({ whole: true });
    await applying;
    expect(checkpoint.appliedSeq).toBe(1);
    expect(checkpoint.totals.records).toEqual({ primary: 1000, shadow: 1000 });
    expect([...checkpoint.routes.written][0]?.pairs).toBe(1000);
  });
});
