import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../../collector/config.js';
import type { DigestRecord } from '../../collector/ingest/wireSchema.js';
import { CollectorMetrics } from '../../collector/metrics/collectorMetrics.js';
import { Pipeline } from '../../collector/pipeline.js';
import { DurableStore } from '../../collector/store/durableStore.js';
import type { BenchContext } from '../benchContext.js';
import { eventLoopDelayDuring, type EventLoopDelay } from '../eventLoopDelay.js';
import { absoluteRow, type LineResult } from '../results.js';
import { percentile } from '../summary.js';

const BATCH = 64;
/** Batches in flight, as the filter's workers would have them. */
const CONCURRENT = 8;
/** Per leg: about 10 KB of JSON, the size the soak's corpus documents digest to. */
const FIELDS_PER_LEG = 200;

/** The part every leg shares: built once, so that making a batch costs the loop nothing it would not cost the filter. */
const LEG_TEMPLATE: Omit<DigestRecord, 'id' | 'leg'> = {
  segment: 'default',
  reason: 'default',
  method: 'GET',
  path: '/orders/42',
  authority: 'shop.example',
  startUnixMs: Date.now(),
  firstByteUs: 8000,
  lastByteUs: 12000,
  status: 200,
  complete: true,
  respBytes: 4096,
  headers: { 'content-type': '1a2b3c4d' },
  bodyHash: '00112233445566aa',
  json: 'ok',
  fields: Object.fromEntries(
    Array.from({ length: FIELDS_PER_LEG }, (_, i) => [
      `$.items[${i}].sku`,
      ((i * 2654435761) >>> 0).toString(16).padStart(8, '0').slice(-8),
    ]),
  ),
  fieldsTruncated: false,
};

function leg(id: string, leg: 'primary' | 'shadow'): DigestRecord {
  return { ...LEG_TEMPLATE, id, leg };
}

async function openStore(path: string, metrics: CollectorMetrics): Promise<{ store: DurableStore; pipeline: Pipeline }> {
  const config = defaultConfig();
  config.join.maxPending = 10_000_000;
  config.join.windowMs = 3_600_000;
  // Every stored leg must come back: the pending byte budget is not what is measured here.
  config.budget.pendingBytes = 64 * 2 ** 30;
  const store = await DurableStore.open(path, { synchronous: 'NORMAL', metrics });
  return { store, pipeline: new Pipeline(config, { now: () => Date.now() }, metrics, { durable: true }) };
}

/**
 * Line 8: the durable store, in this process as the collector runs it (SQLite in its worker).
 * Closed-loop ingest of batches of 64 legs (pairs completing across batches), checkpointed every
 * second: append latency (admit to commit answered and applied) and the event loop's delay
 * meanwhile. Then a store of pending legs (the state a restart must bring back whole) is
 * restored: the time per MB of store file, extrapolated to 1 GB, and the event loop's delay while
 * the worker reads it back.
 */
export async function measureCollectorStore(context: BenchContext): Promise<LineResult> {
  const line = 8;
  const dir = await mkdtemp(join(tmpdir(), 'shadowdiff-bench-store-'));
  const metrics = new CollectorMetrics({ defaultMetrics: false });
  const appendMs: number[] = [];
  const appendSyncMs: number[] = [];
  const ingestDelay: EventLoopDelay[] = [];
  const loadDelay: EventLoopDelay[] = [];
  const restoreMsPerMb: number[] = [];
  const applyMs: number[] = [];
  const readBackUs: number[] = [];
  const storeMb: number[] = [];
  const openMs: number[] = [];
  try {
    for (let run = 0; run < context.plan.runs; run++) {
      const path = join(dir, `ingest-${run}.sqlite`);
      const { store, pipeline } = await openStore(path, metrics);
      const until = Date.now() + context.plan.collectorSeconds * 1000;
      let next = 0;
      const worker = async (): Promise<void> => {
        while (Date.now() < until) {
          // A batch arrives as an I/O event does, on a turn of its own: without it this loop
          // would run inside the worker port's message callback and the event loop (and its
          // delay histogram) would never turn.
          await new Promise(setImmediate);
          const n = next++;
          // Primaries of this batch's ids, shadows of the previous batch's: half the legs pair at once.
          const records = Array.from({ length: BATCH / 2 }, (_, i) => [
            leg(`b${n}-${i}`, 'primary'),
            leg(`b${n - 1}-${i}`, 'shadow'),
          ]).flat();
          const started = performance.now();
          const arrivedUnixMs = pipeline.admit();
          // The part of an append the event loop runs (serialising the batch, posting it): until append() returns its promise.
          const appending = store.append(arrivedUnixMs, records, 0);
          appendSyncMs.push(performance.now() - started);
          const { seq, legBytes } = await appending;
          // As the ingest route does: in slices, in log order, with the byte estimates the append made.
          await pipeline.applyInSlices({ seq, arrivedUnixMs, records, rejected: 0, legBytes });
          appendMs.push(performance.now() - started);
        }
      };
      const ingest = await eventLoopDelayDuring(async () => {
        const checkpoints = setInterval(() => void store.checkpoint(pipeline).catch(() => undefined), 1000);
        await Promise.all(Array.from({ length: CONCURRENT }, worker));
        clearInterval(checkpoints);
      });
      ingestDelay.push(ingest.delay);
      await store.close();

      // A store of pending legs only: every leg comes back into the join window.
      const restorePath = join(dir, `restore-${run}.sqlite`);
      const filled = await openStore(restorePath, metrics);
      const legsToStore = (context.plan.mode === 'full' ? 625 : 32) * BATCH;
      for (let n = 0; n * BATCH < legsToStore; n++) {
        const records = Array.from({ length: BATCH }, (_, i) => leg(`p${n}-${i}`, 'primary'));
        const arrivedUnixMs = filled.pipeline.admit();
        filled.pipeline.apply({ ...(await filled.store.append(arrivedUnixMs, records, 0)), arrivedUnixMs, records, rejected: 0 });
      }
      await filled.store.checkpoint(filled.pipeline);
      await filled.store.close();
      const mb = (await stat(restorePath)).size / 2 ** 20;
      const opening = performance.now();
      const restored = await openStore(restorePath, metrics);
      const started = performance.now();
      openMs.push(started - opening);
      const { result: loaded, delay } = await eventLoopDelayDuring(() => restored.store.load());
      loadDelay.push(delay);
      if (loaded.kind !== 'restored' || loaded.snapshot === null)
        throw new Error(`restore bench: expected a checkpoint, found ${loaded.kind}`);
      const applying = performance.now();
      restored.pipeline.restore(loaded.snapshot);
      for (const batch of loaded.replay) restored.pipeline.apply(batch);
      const ms = performance.now() - started;
      applyMs.push(performance.now() - applying);
      if (restored.pipeline.pendingIds().length !== legsToStore) throw new Error('restore bench: not every pending leg came back');
      // The legs stay in the store until needed: what reading every one back (as the sweep does ahead of its window) costs.
      const reading = performance.now();
      await restored.pipeline.readAhead(Number.POSITIVE_INFINITY);
      readBackUs.push(((performance.now() - reading) * 1000) / legsToStore);
      if (restored.pipeline.hasDeferredLegs) throw new Error('restore bench: a restored leg was not read back');
      await restored.store.close();
      restoreMsPerMb.push(ms / mb);
      storeMb.push(mb);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const restoreSecondsPerGb = restoreMsPerMb.map((ms) => (ms * 1024) / 1000);
  appendMs.sort((a, b) => a - b);
  const fewMs = { bound: 'atMost', limit: 10, on: 'measured' } as const;
  return {
    line,
    title: 'Collector store',
    method: `In-process DurableStore (SQLite WAL, synchronous=NORMAL, in its worker) with a durable Pipeline: ${CONCURRENT} batches of ${BATCH} legs (~10 KB each) in flight, closed loop, ${context.plan.collectorSeconds} s per run, checkpoint every second; append = admit → commit answered → applied. Event-loop delay: perf_hooks.monitorEventLoopDelay (1 ms resolution) in this process, which is the collector's main thread here. Restore: open, load, check and restore a store of pending legs (which stay in SQLite, held by reference, each read back and checked when needed), per MB of store file, extrapolated to 1 GB; opening the store (starting its worker) is a fixed cost, its own row; the restore into the pipeline (one synchronous step, done before the collector listens) is its own row; reading every restored leg back afterwards (in slices, as the sweep does ahead of each window's close) is its own row, per leg.`,
    rows: [
      absoluteRow(line, 'append latency p50', 'ms', null, [percentile(appendMs, 50)]),
      absoluteRow(line, 'append latency p99', 'ms', { bound: 'atMost', limit: 50, on: 'measured' }, [percentile(appendMs, 99)]),
      absoluteRow(
        line,
        'event-loop delay max, ingest + checkpoints',
        'ms',
        fewMs,
        ingestDelay.map((d) => d.maxMs),
      ),
      absoluteRow(line, 'append: event-loop part (serialise + post a batch), max', 'ms', fewMs, [Math.max(...appendSyncMs)]),
      absoluteRow(
        line,
        'event-loop delay p99, ingest + checkpoints',
        'ms',
        null,
        ingestDelay.map((d) => d.p99Ms),
      ),
      absoluteRow(
        line,
        'restore time per GB of store (extrapolated)',
        's',
        // Issue 12: "state of 1 GB restored in seconds, not minutes".
        { bound: 'atMost', limit: 5, on: 'measured' },
        restoreSecondsPerGb,
        `load, check, restore; from stores of ${storeMb.map((mb) => mb.toFixed(0)).join(', ')} MB`,
      ),
      absoluteRow(
        line,
        'event-loop delay max, store read back',
        'ms',
        null,
        loadDelay.map((d) => d.maxMs),
        'before the collector listens: the main thread parses and checks each chunk while the worker reads the next',
      ),
      absoluteRow(line, 'restore into the pipeline (synchronous, before listening)', 'ms', null, applyMs),
      absoluteRow(
        line,
        'read back of a restored pending leg, after listening',
        'µs',
        null,
        readBackUs,
        'read from SQLite, parsed and checked: the per-leg cost the restore no longer pays up front',
      ),
      absoluteRow(line, 'store open (worker start), any size', 'ms', null, openMs),
    ],
    details: {
      appends: appendMs.length,
      appendMsP50: percentile(appendMs, 50),
      appendSyncMsP50: percentile(
        appendSyncMs.sort((a, b) => a - b),
        50,
      ),
      restoreMsPerMb,
      readBackUs,
      storeMb,
      ingestDelay,
      loadDelay,
    },
  };
}
