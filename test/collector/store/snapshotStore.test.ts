import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServer } from '../../../collector/http/server.js';
import { CollectorMetrics } from '../../../collector/metrics/collectorMetrics.js';
import { Pipeline, type PipelineSnapshot } from '../../../collector/pipeline.js';
import { SnapshotStore } from '../../../collector/store/snapshotStore.js';
import { config, FakeClock, legs, record } from '../fixtures.js';

function pipeline(): Pipeline {
  return new Pipeline(config(), new FakeClock(), new CollectorMetrics({ defaultMetrics: false }));
}

function learned(): PipelineSnapshot {
  const p = pipeline();
  p.ingest([...legs('a', { status: 503 }), ...legs('b'), record('primary', { id: 'waiting' })]);
  return p.snapshot();
}

function storePath(): string {
  return join(mkdtempSync(join(tmpdir(), 'shadowdiff-store-')), 'collector.sqlite');
}

describe('SnapshotStore', () => {
  it('finds nothing where no snapshot was saved', async () => {
    const store = await SnapshotStore.open(storePath());
    expect(store.load()).toEqual({ kind: 'empty' });
  });

  it('reads back exactly the snapshot it saved', async () => {
    const store = await SnapshotStore.open(storePath());
    const snapshot = learned();
    store.save(snapshot);
    expect(store.load()).toEqual({ kind: 'restored', snapshot });
  });

  it('reads back pairs whose legs came in different hash algorithms, the algorithm kept', async () => {
    const store = await SnapshotStore.open(storePath());
    const p = pipeline();
    p.ingest([...legs('mixed', { hash: 'xxh64' })]);
    const snapshot = p.snapshot();
    const retained = [...snapshot.pairs.diverged, ...snapshot.pairs.other];
    expect(retained.map((pair) => [pair.shadow?.hash, pair.diff?.fallback])).toEqual([['xxh64', 'hash_algorithm_differs']]);
    store.save(snapshot);
    expect(store.load()).toEqual({ kind: 'restored', snapshot });
  });

  it('sets a snapshot that does not match its schema aside, names the field, and leaves nothing to restore', async () => {
    const path = storePath();
    const store = await SnapshotStore.open(path);
    const good = learned();
    store.save({ ...good, scoreboard: { ...good.scoreboard, totals: { ...good.scoreboard.totals, late: -1 } } });
    const loaded = store.load();
    expect(loaded).toMatchObject({
      kind: 'unreadable',
      reason: expect.stringMatching(/does not match its schema: scoreboard\.totals\.late: must be >= 0/),
    });
    expect(readdirSync(join(path, '..')).some((name) => name.startsWith('collector.sqlite.unreadable-'))).toBe(true);
    expect(store.load()).toEqual({ kind: 'empty' });
  });

  it('refuses a retained pair whose record is not a wire record', async () => {
    const store = await SnapshotStore.open(storePath());
    const good = learned();
    const [first, ...rest] = good.pairs.other;
    if (first === undefined) throw new Error('expected a retained pair');
    const broken = { ...first, primary: { ...first.primary, status: 'ok' } } as unknown as typeof first;
    store.save({ ...good, pairs: { ...good.pairs, other: [broken, ...rest] } });
    expect(store.load()).toMatchObject({ kind: 'unreadable', reason: expect.stringMatching(/pairs\.other\[0\]\.primary/) });
  });

  it('at start-up, counts a snapshot set aside and serves an empty report', async () => {
    const path = storePath();
    const store = await SnapshotStore.open(path);
    const good = learned();
    store.save({ ...good, scoreboard: { ...good.scoreboard, routeEvictions: 1.5 } });
    const server = await startServer(
      config((c) => {
        c.listen.port = 0;
        c.logLevel = 'silent';
        c.store.path = path;
      }),
    );
    try {
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/^shadowdiff_collector_snapshots_set_aside_total 1$/m);
      const report = (await (await fetch(`${server.url}/v1/report`)).json()) as {
        totals: { records: { primary: number } };
        routes: unknown[];
      };
      expect(report.totals.records.primary).toBe(0);
      expect(report.routes).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
