// Triples across a crash: the durable store keeps the secondary's tallies and pair views, and the
// legs of a triple still waiting for its secondary come back into the join together, so the
// restored collector reports what an uninterrupted one does.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { IngestedRecord } from '../../../collector/ingest/ingestedRecord.js';
import { CollectorMetrics } from '../../../collector/metrics/collectorMetrics.js';
import { Pipeline } from '../../../collector/pipeline.js';
import { DurableStore } from '../../../collector/store/durableStore.js';
import type { Report } from '../../../collector/types.js';
import { config, FakeClock, record, triple } from '../fixtures.js';

const stores: DurableStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

async function open(path: string): Promise<DurableStore> {
  const store = await DurableStore.open(path, { synchronous: 'NORMAL', metrics: new CollectorMetrics({ defaultMetrics: false }) });
  stores.push(store);
  return store;
}

function pipeline(clock: FakeClock, durable: boolean): Pipeline {
  return new Pipeline(config(), clock, new CollectorMetrics({ defaultMetrics: false }), { durable });
}

async function feed(store: DurableStore, p: Pipeline, records: IngestedRecord[]): Promise<void> {
  const arrivedUnixMs = p.admit();
  const { seq, legBytes } = await store.append(arrivedUnixMs, records, 0);
  p.apply({ seq, arrivedUnixMs, records, rejected: 0, legBytes });
}

async function restored(store: DurableStore, clock: FakeClock): Promise<Pipeline> {
  const loaded = await store.load();
  if (loaded.kind !== 'restored') throw new Error(`expected a restorable store, found ${loaded.kind}`);
  const p = pipeline(clock, true);
  if (loaded.snapshot !== null) p.restore(loaded.snapshot);
  for (const batch of loaded.replay) p.apply(batch);
  return p;
}

function learned(r: Report): Omit<Report, 'generatedAtUnixMs'> {
  const { generatedAtUnixMs: _at, ...rest } = r;
  return rest;
}

const noisy = (n: number, leg: number) => ({ fields: { '$.id': '0000002a', '$.at': (3 * n + leg).toString(16).padStart(8, '0') } });

/** Triples t-0…t-24 (joined), w-1 and w-2 waiting for their secondary, a lone secondary, one not comparable (u-1: a 503 of a secondary that is down). */
const BATCHES: IngestedRecord[][] = [
  Array.from({ length: 25 }, (_, n) => triple(`t-${n}`, noisy(n, 1), noisy(n, 2), noisy(n, 0))).flat(),
  [...triple('w-1').slice(0, 2), record('secondary', { id: 'lone' }), ...triple('u-1', {}, { status: 503 })],
  [...triple('w-2').slice(0, 2)],
];

describe('DurableStore with secondary legs', () => {
  it('restores triples, their tallies and the legs of a triple still waiting, after a crash between checkpoints', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'shadowdiff-store-')), 'collector.sqlite');
    const clock = new FakeClock();
    const model = pipeline(clock, false);
    const live = pipeline(clock, true);
    const store = await open(path);
    for (const [index, records] of BATCHES.entries()) {
      model.ingest(records);
      await feed(store, live, records);
      // Checkpointed with w-1 waiting for its secondary; w-2 is only in the log.
      if (index === 1) await store.checkpoint(live);
      clock.advance(100);
    }
    await store.close();

    const reopened = await open(path);
    const after = await restored(reopened, clock);
    expect(learned(after.report())).toEqual(learned(model.report()));
    const route = after.report().routes[0]!;
    expect(route.fields.find((field) => field.path === '$.at')?.secondary).toMatchObject({ triples: 25, finding: 'noise' });
    expect(route.gate).toMatchObject({ diverged: 0, noiseOnly: 25 });
    expect(after.pair('t-3')).toEqual(model.pair('t-3'));
    expect(after.pair('w-1')).toMatchObject({ state: 'pending', primary: { id: 'w-1' }, shadow: { id: 'w-1' } });

    // The secondary of w-1 joins the legs restored from the store; w-2's window closes without its own.
    const secondary = [triple('w-1')[2]];
    model.ingest(secondary);
    after.ingest(secondary);
    expect(after.pair('w-1')).toEqual(model.pair('w-1'));
    expect(after.pair('w-1')?.secondary).toMatchObject({ leg: 'secondary' });

    // Checkpointed and restored again (the secondary tallies as the store wrote them), then every window closes.
    await reopened.checkpoint(after);
    const again = await restored(reopened, clock);
    clock.advance(config().join.windowMs);
    model.tick();
    expect(learned(again.report())).toEqual(learned(model.report()));
    expect(again.report().totals.coverage).toMatchObject({ triples: 26, secondaryMissing: 1, secondaryUnusable: 1, secondaryOrphaned: 1 });
    expect(again.pair('w-2')).toMatchObject({ state: 'paired', secondary: null });
  });
});
