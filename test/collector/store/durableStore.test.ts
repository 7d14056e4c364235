import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { pendingLegBytes } from '../../../collector/budget/sizeEstimates.js';
import { ConfigError } from '../../../collector/config.js';
import { startServer } from '../../../collector/http/server.js';
import type { IngestedRecord } from '../../../collector/ingest/ingestedRecord.js';
import { CollectorMetrics } from '../../../collector/metrics/collectorMetrics.js';
import { Pipeline } from '../../../collector/pipeline.js';
import { DurableStore, StoreWriteError } from '../../../collector/store/durableStore.js';
import type { PairView, Report } from '../../../collector/types.js';
import { waitUntil } from '../../../devkit/waitUntil.js';
import { config, FakeClock, legs, record } from '../fixtures.js';

const stores: DurableStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

function storePath(): string {
  return join(mkdtempSync(join(tmpdir(), 'shadowdiff-store-')), 'collector.sqlite');
}

async function open(path: string): Promise<DurableStore> {
  const store = await DurableStore.open(path, { synchronous: 'NORMAL', metrics: new CollectorMetrics({ defaultMetrics: false }) });
  stores.push(store);
  return store;
}

function pipeline(clock: FakeClock, durable: boolean, overrides: Parameters<typeof config>[0] = () => {}): Pipeline {
  return new Pipeline(config(overrides), clock, new CollectorMetrics({ defaultMetrics: false }), { durable });
}

/** What the ingest route does: log, wait for the commit, apply. */
async function feed(store: DurableStore, p: Pipeline, records: IngestedRecord[], rejected = 0): Promise<void> {
  const arrivedUnixMs = p.admit();
  const { seq, legBytes } = await store.append(arrivedUnixMs, records, rejected);
  // The estimates beside the rows, handed to the join so that it does not make them again.
  expect(legBytes).toEqual(records.map(pendingLegBytes));
  p.apply({ seq, arrivedUnixMs, records, rejected, legBytes });
}

/** Restores what the store holds into a fresh durable pipeline, as the server does at start-up. */
async function restored(store: DurableStore, clock: FakeClock, overrides: Parameters<typeof config>[0] = () => {}): Promise<Pipeline> {
  const loaded = await store.load();
  if (loaded.kind !== 'restored') throw new Error(`expected a restorable store, found ${loaded.kind}`);
  const p = pipeline(clock, true, overrides);
  if (loaded.snapshot !== null) p.restore(loaded.snapshot);
  for (const batch of loaded.replay) p.apply(batch);
  return p;
}

/** Opens the store at `path` with metrics of its own and restores its checkpoint into a fresh durable pipeline (nothing to replay). */
async function restoredCheckpoint(
  path: string,
  clock: FakeClock,
): Promise<{ store: DurableStore; after: Pipeline; metrics: CollectorMetrics }> {
  const metrics = new CollectorMetrics({ defaultMetrics: false });
  const store = await DurableStore.open(path, { synchronous: 'NORMAL', metrics });
  stores.push(store);
  const loaded = await store.load();
  if (loaded.kind !== 'restored' || loaded.snapshot === null) throw new Error(`expected a checkpoint, found ${loaded.kind}`);
  const after = new Pipeline(config(), clock, metrics, { durable: true });
  after.restore(loaded.snapshot);
  return { store, after, metrics };
}

/**
 * BATCHES into an in-memory pipeline (the uninterrupted run) and a durable one with its store,
 * which checkpoints after batch `checkpointAfter`.
 */
async function fedBesideModel(path: string, checkpointAfter: number) {
  const clock = new FakeClock();
  const model = pipeline(clock, false);
  const live = pipeline(clock, true);
  const store = await open(path);
  for (const [index, { records, rejected }] of BATCHES.entries()) {
    model.ingest(records);
    model.countRejected(rejected);
    await feed(store, live, records, rejected);
    if (index === checkpointAfter) await store.checkpoint(live);
    clock.advance(100);
  }
  return { clock, model, live, store };
}

/** `use` on the store's file through a connection of the test's own, closed after. */
function inStoreFile(path: string, use: (db: Database.Database) => void, options: { readonly: boolean } = { readonly: true }): void {
  const db = new Database(path, options);
  try {
    use(db);
  } finally {
    db.close();
  }
}

type RememberedRow = [string, number, number];

function learned(r: Report): Omit<Report, 'generatedAtUnixMs'> {
  const { generatedAtUnixMs: _at, ...rest } = r;
  return rest;
}

const BATCHES: Array<{ records: IngestedRecord[]; rejected: number }> = [
  { records: [...legs('a', { status: 503 }), ...legs('b'), record('primary', { id: 'waiting-1' })], rejected: 1 },
  { records: [...legs('c', { fields: { '$.id': '0000002a', '$.total': '99999999' } }), record('shadow', { id: 'a' })], rejected: 0 },
  { records: [record('primary', { id: 'waiting-2' }), record('shadow', { id: 'waiting-1' }), ...legs('d')], rejected: 2 },
];

describe('DurableStore', () => {
  it('finds nothing where nothing was stored', async () => {
    expect(await (await open(storePath())).load()).toEqual({ kind: 'empty' });
  });

  it('after a crash between checkpoints, restores the checkpoint and the pending legs and replays the batches logged after it: the report equals an uninterrupted run', async () => {
    const path = storePath();
    const { clock, model, store } = await fedBesideModel(path, 0);
    // The crash: the store is left as it is, the last two batches only in the log.
    await store.close();

    const reopened = await open(path);
    const after = await restored(reopened, clock);
    expect(learned(after.report())).toEqual(learned(model.report()));
    expect(after.report().totals).toMatchObject({ pending: 1, lostOnRestart: 0, rejectedRecords: 3, duplicates: 1 });
    expect(after.pair('waiting-2')?.state).toBe('pending');
    expect(after.pair('c')).toEqual(model.pair('c'));

    // Checkpointed, restored again: nothing is replayed twice.
    await reopened.checkpoint(after);
    const again = await restored(reopened, clock);
    expect(learned(again.report())).toEqual(learned(model.report()));
    // The window of a restored pending leg closes at its own deadline.
    clock.advance(config().join.windowMs);
    model.tick();
    expect(learned(again.report())).toEqual(learned(model.report()));
  });

  it('leaves restored pending legs in the store, taking the bytes their records took; read back when evicted, paired or looked up', async () => {
    const path = storePath();
    const clock = new FakeClock();
    const live = pipeline(clock, true);
    const store = await open(path);
    const waiting = ['w1', 'w2', 'w3', 'w4'].map((id, n) => record('primary', { id, status: 200 + n, fields: { '$.n': `0000000${n}` } }));
    for (const leg of waiting) {
      await feed(store, live, [leg]);
      clock.advance(10);
    }
    await store.checkpoint(live);
    await store.close();
    const db = new Database(path, { readonly: true });
    try {
      expect(db.prepare('SELECT id, leg, bytes FROM legs ORDER BY batch').raw().all()).toEqual(
        waiting.map((leg) => [leg.id, 'primary', pendingLegBytes(leg)]),
      );
    } finally {
      db.close();
    }

    const reopened = await open(path);
    const loaded = await reopened.load();
    if (loaded.kind !== 'restored' || loaded.snapshot === null) throw new Error(`expected a checkpoint, found ${loaded.kind}`);
    expect(loaded.snapshot.pending.map(({ record }) => 'deferred' in record)).toEqual([true, true, true, true]);
    const same = pipeline(clock, true);
    same.restore(loaded.snapshot);
    expect(learned(same.report())).toEqual(learned(live.report()));
    expect(same.pair('w3')).toEqual(live.pair('w3'));
    const partner = [record('shadow', { id: 'w2', status: 201, fields: { '$.n': '00000001' } })];
    live.ingest(partner);
    same.ingest(partner);
    expect(same.pair('w2')).toEqual(live.pair('w2'));
    expect(same.pair('w2')?.diff?.diverged).toBe(false);

    // Under a smaller cap the oldest are evicted at the restore, with their records, as live.
    const smaller = pipeline(clock, true, (c) => {
      c.join.maxPending = 2;
    });
    smaller.restore(loaded.snapshot);
    expect(smaller.pair('w1')).toMatchObject({ state: 'evicted', primary: waiting[0] });
    expect(smaller.pair('w2')).toMatchObject({ state: 'evicted', primary: waiting[1] });
    expect(smaller.pair('w4')).toMatchObject({ state: 'pending', primary: waiting[3] });
    expect(smaller.report().totals.pending).toBe(2);
  });

  it('reads restored pending legs ahead of their window closing, oldest first, so that closing them reads nothing', async () => {
    const path = storePath();
    const clock = new FakeClock();
    const live = pipeline(clock, true);
    const store = await open(path);
    const windowMs = config().join.windowMs;
    for (const id of ['early', 'late']) {
      await feed(store, live, [record('primary', { id })]);
      clock.advance(windowMs / 2);
    }
    await store.checkpoint(live);
    await store.close();
    const reopened = await open(path);
    const after = await restored(reopened, clock);
    expect(after.hasDeferredLegs).toBe(true);
    // Only the window closing within the horizon: 'early' closes now, 'late' in half a window.
    await after.readAhead(windowMs / 4);
    expect(after.hasDeferredLegs).toBe(true);
    const db = new Database(path);
    db.exec("DELETE FROM legs WHERE id = 'early'");
    db.close();
    clock.advance(1);
    live.tick();
    after.tick();
    expect(after.pair('early')).toEqual(live.pair('early'));
    expect(after.pair('early')?.state).toBe('shadow_missing');
    await after.readAhead(windowMs);
    expect(after.hasDeferredLegs).toBe(false);
    expect(after.pair('late')).toEqual(live.pair('late'));
    expect(reopened.lastError).toBe('');
  });

  it('reads back pairs whose legs came in different hash algorithms, the algorithm kept (checkpointed and logged)', async () => {
    const path = storePath();
    const clock = new FakeClock();
    const p = pipeline(clock, true);
    const store = await open(path);
    await feed(store, p, [...legs('mixed', { hash: 'xxh64' })]);
    await store.checkpoint(p);
    await feed(store, p, [...legs('logged', { hash: 'xxh64' })]);
    const snapshot = p.snapshot();
    const retained = [...snapshot.pairs.diverged, ...snapshot.pairs.other];
    expect(retained.map((pair) => [pair.shadow?.hash, pair.diff?.fallback])).toEqual([
      ['xxh64', 'hash_algorithm_differs'],
      ['xxh64', 'hash_algorithm_differs'],
    ]);
    await store.close();
    const after = await restored(await open(path), clock);
    expect(after.snapshot().pairs).toEqual(snapshot.pairs);
  });

  it('deletes a route folded into other at the checkpoint that follows, so a restart does not count it twice', async () => {
    const path = storePath();
    const clock = new FakeClock();
    const oneRoute = (c: Parameters<Parameters<typeof config>[0] & object>[0]): void => {
      c.routes.max = 1;
    };
    const live = pipeline(clock, true, oneRoute);
    const store = await open(path);
    await feed(store, live, [...legs('a1', {}, { path: '/a' })]);
    await store.checkpoint(live);
    // /b is heavier: /a gives up its place and is folded into other.
    await feed(store, live, [...legs('b1', {}, { path: '/b' }), ...legs('b2', {}, { path: '/b' })]);
    await store.checkpoint(live);
    const db = new Database(path, { readonly: true });
    try {
      expect(db.prepare('SELECT route FROM routes').all()).toEqual([{ route: 'GET /b' }]);
    } finally {
      db.close();
    }
    await store.close();
    const loaded = await (await open(path)).load();
    if (loaded.kind !== 'restored' || loaded.snapshot === null) throw new Error(`expected a checkpoint, found ${loaded.kind}`);
    const after = pipeline(clock, true, oneRoute);
    after.restore(loaded.snapshot);
    // Budget readings included: the restored tables hold what the live ones held, so their bytes agree.
    const restoredReport = learned(after.report());
    expect(restoredReport).toEqual(learned(live.report()));
    expect(restoredReport.routes.map((route) => route.route).sort()).toEqual(['GET /b', 'other']);
  });

  it('after a failed checkpoint writes the next one in full, in slices, while batches are applied and windows close: it holds the state it was taken of, and restored, the state is the uninterrupted one', async () => {
    const path = storePath();
    const clock = new FakeClock();
    // Small caps and windows, so that while the full checkpoint is made legs pair, windows close,
    // tombstones expire and are forgotten past their cap, and pending legs are evicted.
    const small: Parameters<typeof config>[0] = (c) => {
      c.join.windowMs = 5_000;
      c.join.rememberMs = 8_000;
      c.join.maxRemembered = 12_000;
      c.join.maxPending = 12_000;
    };
    const model = pipeline(clock, false, small);
    const live = pipeline(clock, true, small);
    const store = await open(path);
    let n = 0;
    /** A batch as the ingest route applies it (in slices), beside the model, then 100 ms and a sweep. */
    const step = async (): Promise<void> => {
      // The primaries of 400 new ids; shadows of half of the previous batch's (pairs), of some
      // whose windows closed 2 steps ago (late), and primaries of some whose tombstones were
      // forgotten (past the cap, ~30 steps after their windows closed): pending anew, their earlier
      // legs logged since the last checkpoint, or before a failed one.
      const records = [
        ...Array.from({ length: 400 }, (_, i) => record('primary', { id: `b${n}-${i}` })),
        ...Array.from({ length: 200 }, (_, i) => record('shadow', { id: `b${n - 1}-${2 * i}` })),
        ...Array.from({ length: 100 }, (_, i) => record('shadow', { id: `b${n - 52}-${4 * i + 1}` })),
        ...Array.from({ length: 50 }, (_, i) => record('primary', { id: `b${n - 90}-${8 * i + 3}` })),
      ];
      n++;
      model.ingest(records);
      const arrivedUnixMs = live.admit();
      const { seq, legBytes } = await store.append(arrivedUnixMs, records, 0);
      await live.applyInSlices({ seq, arrivedUnixMs, records, rejected: 0, legBytes });
      clock.advance(100);
      model.tick();
      live.tick();
    };
    for (let i = 0; i < 100; i++) await step();
    await store.checkpoint(live);
    // A checkpoint that fails (an SQLite error in its transaction): the store's state is behind by a delta it no longer knows.
    const trigger = (sql: string): void => inStoreFile(path, (db) => db.exec(sql), { readonly: false });
    trigger(
      "CREATE TRIGGER fail_checkpoint BEFORE INSERT ON meta WHEN NEW.key = 'appliedSeq' BEGIN SELECT RAISE(ABORT, 'checkpoint refused'); END",
    );
    for (let i = 0; i < 5; i++) await step();
    await expect(store.checkpoint(live)).rejects.toThrow(StoreWriteError);
    trigger('DROP TRIGGER fail_checkpoint');
    for (let i = 0; i < 5; i++) await step();

    // The full checkpoint, taken now; batches keep coming, and windows closing, until it is written.
    const takenAt = { ...model.snapshot(), appliedSeq: live.snapshot().appliedSeq };
    let written = false;
    const full = store.checkpoint(live).finally(() => {
      written = true;
    });
    let stepsWhileWriting = 0;
    while (!written) {
      await step();
      stepsWhileWriting++;
    }
    await full;
    expect(stepsWhileWriting).toBeGreaterThan(0);
    expect(takenAt.pending.length).toBeGreaterThan(5_000);
    inStoreFile(path, (db) => {
      // What it wrote is the state it was taken of: every tombstone, and the logged legs of exactly the ids then pending.
      const remembered = (db.prepare('SELECT id, legs, forget_at FROM remembered').raw().all() as RememberedRow[]).map((r) => r.join());
      expect(remembered.sort()).toEqual(takenAt.remembered.map((r) => r.join()).sort());
      const appliedSeq = Number(db.prepare("SELECT value FROM meta WHERE key = 'appliedSeq'").pluck().get());
      expect(appliedSeq).toBe(takenAt.appliedSeq);
      const logged = db
        .prepare(
          'SELECT DISTINCT id FROM legs WHERE batch <= ? AND NOT EXISTS (SELECT 1 FROM settled WHERE settled.id = legs.id AND legs.batch <= settled.upto)',
        )
        .pluck()
        .all(appliedSeq) as string[];
      expect(logged.sort()).toEqual(takenAt.pending.map((leg) => leg.record.id).sort());
    });
    // ...not the state it was written at: the ids changed while it was made.
    expect(model.snapshot().remembered.map((r) => r.join())).not.toEqual(takenAt.remembered.map((r) => r.join()));

    // The crash, some batches after it.
    for (let i = 0; i < 5; i++) await step();
    await store.close();
    const reopened = await open(path);
    const after = await restored(reopened, clock, small);
    expect(learned(after.report())).toEqual(learned(model.report()));
    const ids = (p: Pipeline) => {
      const { pending, remembered } = p.snapshot();
      return {
        pending: pending.map((leg) => `${leg.record.id}/${leg.record.leg}`).sort(),
        remembered: remembered.map((r) => r.join()).sort(),
      };
    };
    expect(ids(after)).toEqual(ids(model));
    // The run went through every change the snapshot copies: late legs (a tombstone gains a leg), evictions, forgotten tombstones.
    expect(model.report().totals.late).toBeGreaterThan(0);
    expect(model.report().totals.coverage.evicted).toBeGreaterThan(0);
  });

  it('keeps one logged leg per pending id and role under a flood of its copies; restarted, the state is the uninterrupted one', async () => {
    const path = storePath();
    const clock = new FakeClock();
    const model = pipeline(clock, false);
    const live = pipeline(clock, true);
    const store = await open(path);
    const both = async (records: IngestedRecord[]): Promise<void> => {
      model.ingest(records);
      await feed(store, live, records);
    };
    const first = record('primary', { id: 'held', status: 200 });
    // A client re-sending one pending leg, and one other leg that is pending too: only copies go.
    await both([first, record('primary', { id: 'other-pending' })]);
    await store.checkpoint(live);
    const copies = Array.from({ length: 10 }, () => ({ ...first, status: 503 }));
    const db = new Database(path, { readonly: true });
    const logged = () => ({
      held: (db.prepare("SELECT count(*) AS n FROM legs WHERE id = 'held'").get() as { n: number }).n,
      legs: (db.prepare('SELECT count(*) AS n FROM legs').get() as { n: number }).n,
      batches: (db.prepare('SELECT count(*) AS n FROM batches').get() as { n: number }).n,
    });
    try {
      for (let round = 0; round < 20; round++) {
        for (let batch = 0; batch < 5; batch++) await both(copies);
        // Within an interval the copies are logged (each batch is durable before its answer)...
        expect(logged().held).toBe(1 + 50);
        await store.checkpoint(live);
        // ...and the checkpoint leaves the first leg only, whatever the number of rounds.
        expect(logged()).toEqual({ held: 1, legs: 2, batches: 1 });
        clock.advance(10);
      }
    } finally {
      db.close();
    }
    // The crash, with copies logged after the last checkpoint: they are replayed, and counted once.
    await both(copies);
    await both([{ ...first, status: 504 }, ...copies.slice(0, 2)]);
    await store.close();
    const reopened = await open(path);
    const after = await restored(reopened, clock);
    expect(learned(after.report())).toEqual(learned(model.report()));
    expect(after.report().totals).toMatchObject({ pending: 2, duplicates: 20 * 50 + 10 + 3 });
    // The pair is judged on the first copy (status 200), as it would have been without the restart.
    const partner = [record('shadow', { id: 'held', status: 200 })];
    model.ingest(partner);
    await feed(reopened, after, partner);
    expect(after.pair('held')?.diff?.diverged).toBe(false);
    expect(learned(after.report())).toEqual(learned(model.report()));
  });

  it('keeps the leg of an id pending anew after a copy of its earlier leg: only copies of the leg the join holds are dropped', async () => {
    const path = storePath();
    const clock = new FakeClock();
    const live = pipeline(clock, true, (c) => {
      c.join.maxRemembered = 1;
    });
    const store = await open(path);
    await store.checkpoint(live);
    const earlier = record('primary', { id: 'again', status: 200 });
    // A copy of the pending leg, its pair, a pair that pushes the id out of memory, then the id anew.
    await feed(store, live, [earlier, { ...earlier, status: 503 }, record('shadow', { id: 'again' })]);
    await feed(store, live, [...legs('push-out')]);
    await feed(store, live, [record('primary', { id: 'again', status: 201 })]);
    expect(live.pair('again')?.state).toBe('pending');
    await store.checkpoint(live);
    const db = new Database(path, { readonly: true });
    try {
      const kept = db.prepare("SELECT record FROM legs WHERE id = 'again'").pluck().all() as string[];
      // Only the new leg: the earlier request's (its copy, its pair) went with this checkpoint.
      expect(kept.map((text) => (JSON.parse(text) as IngestedRecord).status)).toEqual([201]);
    } finally {
      db.close();
    }
  });

  describe('an id resolved, its tombstone forgotten, and pending anew within one checkpoint interval', () => {
    type Variant = {
      leg: 'primary' | 'shadow';
      duplicate?: boolean;
      checkpointBetween?: 'written' | 'failed';
      checkpointAfter?: 'failed';
      /** the earlier request, the pair pushing its tombstone out and the new leg in one batch */
      oneBatch?: boolean;
    };
    const variants: Array<[string, Variant]> = [
      ['the new leg a primary', { leg: 'primary' }],
      ['the new leg a shadow', { leg: 'shadow' }],
      ['with a copy of the new leg', { leg: 'primary', duplicate: true }],
      ['its tombstone checkpointed before it was forgotten', { leg: 'shadow', checkpointBetween: 'written' }],
      ['a failed checkpoint between (the next one full)', { leg: 'primary', duplicate: true, checkpointBetween: 'failed' }],
      ['a failed checkpoint after it (the next one full)', { leg: 'shadow', duplicate: true, checkpointAfter: 'failed' }],
      ['all in one batch', { leg: 'shadow', duplicate: true, oneBatch: true }],
    ];
    it.each(variants)('%s: restarted, only the new leg is pending and nothing is counted twice', async (_name, variant) => {
      const path = storePath();
      const clock = new FakeClock();
      // One tombstone at most: the next id resolved pushes the earlier one out.
      const small: Parameters<typeof config>[0] = (c) => {
        c.join.maxRemembered = 1;
      };
      const model = pipeline(clock, false, small);
      const live = pipeline(clock, true, small);
      const store = await open(path);
      const both = async (records: IngestedRecord[]): Promise<void> => {
        model.ingest(records);
        await feed(store, live, records);
        clock.advance(10);
      };
      await both([record('primary', { id: 'other-pending' })]);
      await store.checkpoint(live);
      const anew = record(variant.leg, { id: 'again', status: 201 });
      // The first request, in two batches: paired.
      const earlier = [record('primary', { id: 'again', status: 200 }), record('shadow', { id: 'again', status: 200 })];
      if (variant.oneBatch === true) await both([...earlier, ...legs('push-out'), record('primary', { id: 'x' }), anew]);
      else for (const leg of earlier) await both([leg]);
      const trigger = (sql: string): void => inStoreFile(path, (db) => db.exec(sql), { readonly: false });
      const failedCheckpoint = async (): Promise<void> => {
        trigger(
          "CREATE TRIGGER fail_checkpoint BEFORE INSERT ON meta WHEN NEW.key = 'appliedSeq' BEGIN SELECT RAISE(ABORT, 'checkpoint refused'); END",
        );
        await expect(store.checkpoint(live)).rejects.toThrow(StoreWriteError);
        trigger('DROP TRIGGER fail_checkpoint');
      };
      if (variant.checkpointBetween === 'written') await store.checkpoint(live);
      if (variant.checkpointBetween === 'failed') await failedCheckpoint();
      // A pair that pushes the tombstone out, then the id anew (and a copy of its new leg).
      if (variant.oneBatch !== true) {
        await both([...legs('push-out')]);
        await both([record('primary', { id: 'x' }), anew]);
      }
      if (variant.checkpointAfter === 'failed') await failedCheckpoint();
      if (variant.duplicate === true) await both([{ ...anew, status: 503 }]);
      expect(live.pair('again')?.state).toBe('pending');
      await store.checkpoint(live);
      await store.close();
      inStoreFile(path, (db) => {
        const kept = db.prepare("SELECT record FROM legs WHERE id = 'again'").pluck().all() as string[];
        expect(kept.map((text) => (JSON.parse(text) as IngestedRecord).status)).toEqual([201]);
        expect(db.prepare("SELECT count(*) FROM remembered WHERE id = 'again'").pluck().get()).toBe(0);
      });

      const reopened = await open(path);
      const after = await restored(reopened, clock, small);
      const pending = after.snapshot().pending.map(({ record: r }) => `${r.id}/${r.leg}/${r.status}`);
      expect(pending.sort()).toEqual([`again/${variant.leg}/201`, 'other-pending/primary/200', 'x/primary/200']);
      expect(learned(after.report())).toEqual(learned(model.report()));
      expect(after.report().totals).toMatchObject({ matched: 2, pending: 3 });
      // Its partner pairs with the new leg, counted once, as in the uninterrupted run.
      const partner = [record(variant.leg === 'primary' ? 'shadow' : 'primary', { id: 'again', status: 201 })];
      model.ingest(partner);
      await feed(reopened, after, partner);
      expect(after.pair('again')?.diff?.diverged).toBe(false);
      expect(learned(after.report())).toEqual(learned(model.report()));
      expect(after.report().totals).toMatchObject({ matched: 3, pending: 2 });
    });
  });

  it('restores a store written before ids pending anew lost their earlier legs: what a later leg supersedes is dropped and counted, nothing counted twice', async () => {
    const path = storePath();
    const clock = new FakeClock();
    const store = await open(path);
    const live = pipeline(clock, true);
    await feed(store, live, [record('primary', { id: 'other-pending' })]);
    await feed(store, live, [record('primary', { id: 'again', status: 201 })]);
    await store.checkpoint(live);
    const report = learned(live.report());
    await store.close();
    // What the earlier build left: the earlier request's pair logged before the new leg, its tombstone kept.
    inStoreFile(
      path,
      (db) => {
        const insert = db.prepare('INSERT INTO legs (batch, idx, id, leg, bytes, record) VALUES (1, ?, ?, ?, ?, ?)');
        for (const [idx, leg] of [record('primary', { id: 'again' }), record('shadow', { id: 'again' })].entries())
          insert.run(idx + 1, leg.id, leg.leg, pendingLegBytes(leg), JSON.stringify(leg));
        db.prepare("INSERT INTO remembered (id, legs, forget_at) VALUES ('again', 3, ?)").run(clock.now() + 60_000);
      },
      { readonly: false },
    );
    const { store: reopened, after, metrics } = await restoredCheckpoint(path, clock);
    const pending = after.snapshot().pending.map(({ record: r }) => `${r.id}/${r.leg}/${r.status}`);
    expect(pending.sort()).toEqual(['again/primary/201', 'other-pending/primary/200']);
    expect(learned(after.report())).toEqual(report);
    // The tombstone, the earlier primary, the earlier shadow.
    expect(
      (await metrics.registry.getSingleMetricAsString('shadowdiff_collector_store_superseded_on_restore_total')).split('\n').at(-1),
    ).toBe('shadowdiff_collector_store_superseded_on_restore_total 3');
    // The next checkpoint deletes the tombstone's row.
    await reopened.checkpoint(after);
    inStoreFile(path, (db) => expect(db.prepare("SELECT count(*) FROM remembered WHERE id = 'again'").pluck().get()).toBe(0));
  });

  it('keeps only the legs still pending once a checkpoint has their pairs (the others deleted after its commit, by close at the latest)', async () => {
    const path = storePath();
    const clock = new FakeClock();
    const p = pipeline(clock, true);
    const store = await open(path);
    for (const { records, rejected } of BATCHES) await feed(store, p, records, rejected);
    await store.checkpoint(p);
    await store.close();
    inStoreFile(path, (db) => {
      expect(db.prepare('SELECT id FROM legs').all()).toEqual([{ id: 'waiting-2' }]);
      expect(db.prepare('SELECT count(*) AS n FROM batches').get()).toEqual({ n: 1 });
      expect(db.prepare('SELECT count(*) AS n FROM settled').get()).toEqual({ n: 0 });
    });
  });

  it('after a crash between a checkpoint and the deletes of the legs it settled, restores the uninterrupted state: a settled leg does not come back as pending', async () => {
    const path = storePath();
    const { clock, model, store } = await fedBesideModel(path, BATCHES.length - 1);
    await store.close();
    // What a kill -9 after the checkpoint's commit leaves: both legs of the settled `a` still
    // logged (in batch 1, at or below appliedSeq, where pending legs are), marked settled; its
    // tombstone gone, as the maxRemembered cap drops one, so that only the mark keeps it settled.
    inStoreFile(
      path,
      (db) => {
        db.prepare('INSERT INTO batches (seq, arrived, rejected) VALUES (1, 0, 1)').run();
        legs('a', { status: 503 }).forEach((leg, index) =>
          db.prepare('INSERT INTO legs (batch, idx, id, record) VALUES (1, ?, ?, ?)').run(index, leg.id, JSON.stringify(leg)),
        );
        db.prepare("INSERT INTO settled (id, upto) VALUES ('a', 3)").run();
        db.prepare("DELETE FROM remembered WHERE id = 'a'").run();
      },
      { readonly: false },
    );
    const reopened = await open(path);
    const after = await restored(reopened, clock);
    expect(learned(after.report())).toEqual(learned(model.report()));
    expect(after.report().totals).toMatchObject({ pending: 1, matched: 3 });
    expect(after.pair('a')?.state).not.toBe('pending');
    await reopened.close();
    inStoreFile(path, (db) => {
      expect(db.prepare('SELECT id FROM legs').all()).toEqual([{ id: 'waiting-2' }]);
      expect(db.prepare('SELECT count(*) AS n FROM settled').get()).toEqual({ n: 0 });
    });
  });

  it.each([
    [
      'a total that does not match its schema',
      "UPDATE meta SET value = json_set(value, '$.late', -1) WHERE key = 'totals'",
      /does not match its schema: scoreboard\.totals\.late: must be >= 0/,
    ],
    [
      'a retained pair whose record is not a wire record',
      "UPDATE pairs SET view = json_set(view, '$.primary.status', 'ok')",
      /pairs\.(other|diverged)\[0\]\.primary/,
    ],
    ['a store of a later snapshot version', "UPDATE meta SET value = '3' WHERE key = 'version'", /store version 3, expected 2/],
    [
      'a route tally lacking a fallback reason its version always had',
      "UPDATE routes SET tally = json_remove(tally, '$.fallback.json_none')",
      /scoreboard\.routes\[0\]\.fallback\.json_none: is required/,
    ],
    [
      'a route tally counting a fallback reason this build does not know',
      "UPDATE routes SET tally = json_set(tally, '$.fallback.from_the_future', 1)",
      /scoreboard\.routes\[0\]\.fallback/,
    ],
    ['a pending leg whose role column is not a leg', "UPDATE legs SET leg = 'third'", /pending\[0\]\.leg: must be one of primary, shadow/],
    ['a pending leg whose byte estimate is not one', 'UPDATE legs SET bytes = 0', /pending\[0\]\.bytes: must be a positive integer/],
    [
      'a pending leg whose id column is not an id',
      "UPDATE legs SET id = 'not an id'",
      /pending\[0\]\.record\.id: must be a correlation id/,
    ],
    [
      'a logged batch whose leg is not a wire record',
      "UPDATE meta SET value = '0' WHERE key = 'appliedSeq'",
      /logged batch 1 does not match the wire schema: \[0\]\.status/,
    ],
  ])('sets a store with %s aside, names the field, and leaves nothing to restore', async (_what, damage, reason) => {
    const path = storePath();
    const clock = new FakeClock();
    const p = pipeline(clock, true);
    const first = await open(path);
    await feed(first, p, [...legs('a', { status: 503 }), record('primary', { id: 'waiting' })]);
    await first.checkpoint(p);
    await first.close();
    const db = new Database(path);
    db.exec(damage);
    if (damage.includes('appliedSeq')) db.exec("UPDATE legs SET record = json_set(record, '$.status', 'ok')");
    db.close();

    const second = await open(path);
    expect(await second.load()).toMatchObject({ kind: 'unreadable', reason: expect.stringMatching(reason) });
    expect(readdirSync(join(path, '..')).some((name) => name.startsWith('collector.sqlite.unreadable-'))).toBe(true);
    expect(await second.load()).toEqual({ kind: 'empty' });
  });

  it.each([
    ['that is not a wire record', "UPDATE legs SET record = json_set(record, '$.leg', 'third')", /wire schema: leg: must be one of/],
    [
      'whose field hash is not a hash',
      `UPDATE legs SET record = json_set(record, '$.fields."$.total"', 'not hex')`,
      /fields\["\$\.total"\]: must match/,
    ],
    [
      'with a field path that is not one',
      `UPDATE legs SET record = json_set(record, '$.fields."total"', '11111111')`,
      /fields\.total: name must match/,
    ],
    [
      'of another id than its row says',
      "UPDATE legs SET record = json_set(record, '$.id', 'someone-else')",
      /holds someone-else \(primary\)/,
    ],
    // Gone after the load (a load finds no leg of a row deleted before it).
    ['whose row is gone', 'DELETE FROM legs', /its row is gone/],
  ])(
    'restores a store with a pending leg %s, which stays in the store until read; then the leg is dropped unjudged, counted, the field named',
    async (_what, damage, reason) => {
      const path = storePath();
      const damageLeg = (): void => {
        const db = new Database(path);
        db.exec(`${damage} WHERE id = 'waiting'`);
        db.close();
      };
      const clock = new FakeClock();
      const p = pipeline(clock, true);
      const first = await open(path);
      await feed(first, p, [...legs('a', { status: 503 }), record('primary', { id: 'waiting' }), record('primary', { id: 'fine' })]);
      await first.checkpoint(p);
      await first.close();
      if (!damage.startsWith('DELETE')) damageLeg();

      const { store: second, after, metrics } = await restoredCheckpoint(path, clock);
      expect(after.report().totals.pending).toBe(2);
      if (damage.startsWith('DELETE')) damageLeg();
      const unreadable = async (): Promise<string | undefined> =>
        (await metrics.registry.getSingleMetricAsString('shadowdiff_collector_store_unreadable_legs_total')).split('\n').at(-1);
      expect(await unreadable()).toBe('shadowdiff_collector_store_unreadable_legs_total 0');
      // Looked up, the damaged leg is not shown; its partner then finds nothing to pair with.
      expect(after.pair('waiting')).toMatchObject({ state: 'pending', primary: null, shadow: null });
      expect(second.lastError).toMatch(reason);
      after.ingest([record('shadow', { id: 'waiting' }), record('shadow', { id: 'fine' })]);
      expect(after.pair('fine')).toMatchObject({ state: 'paired', diff: { diverged: false } });
      expect(after.pair('waiting')).toBeUndefined();
      expect(after.report().totals).toMatchObject({ pending: 0, late: 1 });
      expect(await unreadable()).toBe('shadowdiff_collector_store_unreadable_legs_total 2');
    },
  );

  it('sets a file that is not a database aside', async () => {
    const path = storePath();
    writeFileSync(path, 'this is not a SQLite database');
    const store = await open(path);
    expect(await store.load()).toMatchObject({
      kind: 'unreadable',
      reason: expect.stringMatching(/not a database/),
      movedTo: expect.stringMatching(/collector\.sqlite\.unreadable-\d+$/),
    });
    expect(await store.load()).toEqual({ kind: 'empty' });
  });

  it('refuses a store path that is a directory, or under a file, naming store.path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadowdiff-store-'));
    mkdirSync(join(dir, 'collector.sqlite'));
    await expect(open(join(dir, 'collector.sqlite'))).rejects.toThrow(ConfigError);
    await expect(open(join(dir, 'collector.sqlite'))).rejects.toThrow(
      /^invalid configuration: store\.path: .*collector\.sqlite is a directory/,
    );
    writeFileSync(join(dir, 'file'), '');
    await expect(open(join(dir, 'file', 'collector.sqlite'))).rejects.toThrow(
      /^invalid configuration: store\.path: cannot create the directory .*file: (ENOTDIR|EEXIST)/,
    );
    // The directory given is left where it is.
    expect(readdirSync(dir).sort()).toEqual(['collector.sqlite', 'file']);
  });

  it('at start-up, leaves pending legs in the store; the sweep reads them back before their windows close', async () => {
    const path = storePath();
    const settings = (c: Parameters<Parameters<typeof config>[0] & object>[0]): void => {
      c.listen.port = 0;
      c.logLevel = 'silent';
      c.store.path = path;
      // The read-ahead reaches two sweeps ahead: the whole window.
      c.join.windowMs = 4_000;
      c.join.sweepIntervalMs = 2_000;
    };
    const p = new Pipeline(config(settings), { now: () => Date.now() }, new CollectorMetrics({ defaultMetrics: false }), { durable: true });
    const first = await open(path);
    const waiting = [record('primary', { id: 'w1' }), record('shadow', { id: 'w2', status: 503 })];
    await feed(first, p, waiting);
    await first.checkpoint(p);
    await first.close();
    const server = await startServer(config(settings));
    try {
      // Read back by a sweep (or, on a slow machine, as their windows closed): none is held by reference any more.
      await waitUntil('the restored legs read back', () => (server.app.pipeline.hasDeferredLegs ? undefined : true));
      const db = new Database(path);
      db.exec('DELETE FROM legs');
      db.close();
      const pairs = await waitUntil('both windows closed', async () => {
        const views = await Promise.all(
          waiting.map(async ({ id }) => (await (await fetch(`${server.url}/v1/pairs/${id}`)).json()) as PairView),
        );
        return views.every((view) => view.state !== 'pending') ? views : undefined;
      });
      expect(pairs.map((view) => [view.state, view.primary ?? view.shadow])).toEqual([
        ['shadow_missing', waiting[0]],
        ['primary_missing', waiting[1]],
      ]);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/^shadowdiff_collector_store_unreadable_legs_total 0$/m);
    } finally {
      await server.close();
    }
  });

  it('at start-up, counts a store set aside and serves an empty report', async () => {
    const path = storePath();
    const clock = new FakeClock();
    const p = pipeline(clock, true);
    const first = await open(path);
    await feed(first, p, [...legs('a')]);
    await first.checkpoint(p);
    await first.close();
    const db = new Database(path);
    db.exec("UPDATE meta SET value = '1.5' WHERE key = 'routeEvictions'");
    db.close();
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
      expect(metrics).toMatch(/^shadowdiff_collector_store_healthy 1$/m);
      const report = (await (await fetch(`${server.url}/v1/report`)).json()) as Report;
      expect(report.totals.records.primary).toBe(0);
      expect(report.routes).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
