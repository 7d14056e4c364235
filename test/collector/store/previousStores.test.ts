// An upgrade loses nothing acknowledged: stores the previous release wrote (test/fixtures/
// previous-stores/, made by test/fixtures/makePreviousStores.ts) restore with this build, and the
// report says what that release said before it stopped. Every member it reported must be there
// with the same value; members added since may be there too.
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FALLBACK_REASONS } from '../../../collector/compare/divergence.js';
import { CollectorMetrics } from '../../../collector/metrics/collectorMetrics.js';
import { Pipeline } from '../../../collector/pipeline.js';
import { DurableStore } from '../../../collector/store/durableStore.js';
import type { Report } from '../../../collector/types.js';
import { PROJECT_ROOT } from '../../../devkit/paths.js';
import { config, FakeClock, record } from '../fixtures.js';

const FIXTURES = join(PROJECT_ROOT, 'test/fixtures/previous-stores');
const written = JSON.parse(readFileSync(join(FIXTURES, 'config.json'), 'utf8')) as {
  join: { windowMs: number; sweepIntervalMs: number; rememberMs: number };
  report: { examplesPerField: number };
};
/** The fallback reasons the previous release knew (its reports name all of them). */
const PREVIOUS_REASONS = ['json_none', 'json_malformed', 'json_state_differs', 'fields_truncated', 'no_fields', 'hash_algorithm_differs'];

const stores: DurableStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

/** A copy of the fixture (with its -wal and -shm, as on disk), since opening a store writes to it. */
async function openCopy(name: string): Promise<DurableStore> {
  const dir = mkdtempSync(join(tmpdir(), 'shadowdiff-previous-store-'));
  for (const file of readdirSync(FIXTURES)) if (file.startsWith(`${name}.sqlite`)) cpSync(join(FIXTURES, file), join(dir, file));
  const store = await DurableStore.open(join(dir, `${name}.sqlite`), {
    synchronous: 'NORMAL',
    metrics: new CollectorMetrics({ defaultMetrics: false }),
  });
  stores.push(store);
  return store;
}

/** Restores as the server does at start-up, with the settings the store was written with. */
async function restore(name: string, clock: FakeClock): Promise<{ store: DurableStore; pipeline: Pipeline; replayed: number }> {
  const store = await openCopy(name);
  const loaded = await store.load();
  if (loaded.kind !== 'restored') throw new Error(`the previous release's ${name} store was ${loaded.kind}: ${JSON.stringify(loaded)}`);
  const pipeline = new Pipeline(
    config((c) => {
      Object.assign(c.join, written.join);
      Object.assign(c.report, written.report);
    }),
    clock,
    new CollectorMetrics({ defaultMetrics: false }),
    { durable: true },
  );
  if (loaded.snapshot !== null) pipeline.restore(loaded.snapshot);
  for (const batch of loaded.replay) pipeline.apply(batch);
  return { store, pipeline, replayed: loaded.replay.length };
}

function routeNamed(report: Report, route: string) {
  const found = report.routes.find((r) => r.route === route);
  if (found === undefined) throw new Error(`no route ${route}`);
  return found;
}

describe.each([
  { name: 'clean', replayed: 0 },
  { name: 'crashed', replayed: 2 },
])("the previous release's $name store", ({ name, replayed }) => {
  const before = JSON.parse(readFileSync(join(FIXTURES, `${name}.report.json`), 'utf8')) as Report;

  it('restores, is not set aside, and reports what that release reported', async () => {
    // At the moment it was stopped: the legs it held pending are still within their window.
    const restored = await restore(name, new FakeClock(before.generatedAtUnixMs));
    expect(restored.replayed).toBe(replayed);
    const after = restored.pipeline.report();
    expect(before.totals.pending).toBe(3);
    expect(after.totals).toEqual({ ...before.totals, lostOnRestart: 0 });
    expect(after.routes.map((r) => r.route)).toEqual(before.routes.map((r) => r.route));
    for (const old of before.routes) {
      const now = routeNamed(after, old.route);
      expect(now).toMatchObject(old);
      // Reasons added since: never counted by the previous release.
      expect(Object.keys(old.bodyFallback.reasons)).toEqual(PREVIOUS_REASONS);
      for (const reason of FALLBACK_REASONS) expect(now.bodyFallback.reasons[reason]).toBe(old.bodyFallback.reasons[reason] ?? 0);
    }
    // Checkpointed by this build (as the server does at once after a restore), it restores again to the same report.
    await restored.store.checkpoint(restored.pipeline);
    const loaded = await restored.store.load();
    if (loaded.kind !== 'restored' || loaded.snapshot === null) throw new Error(`checkpointed by this build, the store was ${loaded.kind}`);
    expect(loaded.replay).toEqual([]);
    expect(loaded.snapshot.appliedSeq).toBe(restored.pipeline.snapshot().appliedSeq);
  });

  it('restores its pending legs (no role or byte estimate beside them: read at the load) with one this build logged (left in the store)', async () => {
    const clock = new FakeClock(before.generatedAtUnixMs);
    const { store, pipeline } = await restore(name, clock);
    const records = [record('primary', { id: 'logged-by-this-build' })];
    const arrivedUnixMs = pipeline.admit();
    pipeline.apply({ ...(await store.append(arrivedUnixMs, records, 0)), arrivedUnixMs, records, rejected: 0 });
    await store.checkpoint(pipeline);
    const loaded = await store.load();
    if (loaded.kind !== 'restored' || loaded.snapshot === null) throw new Error(`checkpointed by this build, the store was ${loaded.kind}`);
    expect(loaded.snapshot.pending.map(({ record: leg }) => 'deferred' in leg)).toEqual([false, false, false, true]);
    const again = new Pipeline(
      config((c) => Object.assign(c.join, written.join)),
      clock,
      new CollectorMetrics({ defaultMetrics: false }),
      {
        durable: true,
      },
    );
    again.restore(loaded.snapshot);
    expect(again.report().totals.pending).toBe(4);
    expect(again.report().budget.pending).toEqual(pipeline.report().budget.pending);
    expect(again.pair('logged-by-this-build')).toEqual(pipeline.pair('logged-by-this-build'));
  });

  it('lets its pending legs expire as designed: each one counted missing on its route', async () => {
    const clock = new FakeClock(before.generatedAtUnixMs);
    const { pipeline } = await restore(name, clock);
    clock.advance(written.join.windowMs + 1);
    pipeline.tick();
    const after = pipeline.report();
    // Pending: two primaries (GET /orders/{id}, GET /users/alice/profile), one shadow (POST /cart/{id}/items).
    const { coverage: _coverage, ...counts } = before.totals;
    expect(after.totals).toMatchObject({ ...counts, pending: 0, lostOnRestart: 0 });
    expect(after.totals.coverage).toMatchObject({
      pairs: before.totals.coverage.pairs,
      shadowMissing: before.totals.coverage.shadowMissing + 2,
      primaryMissing: before.totals.coverage.primaryMissing + 1,
    });
    const missing = { 'GET /orders/{id}': [1, 0], 'GET /users/alice/profile': [1, 0], 'POST /cart/{id}/items': [0, 1] } as const;
    for (const [route, [shadowMissing, primaryMissing]] of Object.entries(missing)) {
      const old = routeNamed(before, route);
      const now = routeNamed(after, route);
      expect(now).toMatchObject({ pairs: old.pairs, diverged: old.diverged, kinds: old.kinds });
      expect(now.coverage).toMatchObject({
        shadowMissing: old.coverage.shadowMissing + shadowMissing,
        primaryMissing: old.coverage.primaryMissing + primaryMissing,
      });
    }
  });
});
