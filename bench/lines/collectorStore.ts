import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { defaultConfig } from '../../collector/config.js';
import type { DigestRecord } from '../../collector/ingest/wireSchema.js';
import { CollectorMetrics } from '../../collector/metrics/collectorMetrics.js';
import { Pipeline } from '../../collector/pipeline.js';
import { DurableStore } from '../../collector/store/durableStore.js';
import type { BenchContext } from '../benchContext.js';
import { eventLoopDelayDuring, type EventLoopDelay } from '../eventLoopDelay.js';
import { runOpenLoop } from '../openLoop.js';
import { absoluteRow, type LineResult, type ResultRow } from '../results.js';
import { percentile, spread } from '../summary.js';

const BATCH = 64;
/** Batches in flight, as the filter's workers would have them. */
const CONCURRENT = 8;
/** Per leg: about 6 KB of JSON (LEG_JSON_BYTES), 200 captured leaves. */
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

/** A leg's JSON, for the throughput in MB/s (ids differ by a few bytes). */
const LEG_JSON_BYTES = Buffer.byteLength(JSON.stringify(leg('b0-0', 'primary')));

/** Batch `n` of the ingest: primaries of its ids, shadows of the previous batch's (half the legs pair at once). */
function pairedBatch(n: number): DigestRecord[] {
  return Array.from({ length: BATCH / 2 }, (_, i) => [leg(`b${n}-${i}`, 'primary'), leg(`b${n - 1}-${i}`, 'shadow')]).flat();
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
 * Batch `n` as the ingest route takes it: admitted, appended (resolved once committed), applied in
 * slices in log order with the byte estimates the append made. Returns the part of the append the
 * event loop ran (serialising the batch, posting it): until append() returned its promise.
 */
async function ingestBatch(store: DurableStore, pipeline: Pipeline, n: number): Promise<number> {
  const records = pairedBatch(n);
  const started = performance.now();
  const arrivedUnixMs = pipeline.admit();
  const appending = store.append(arrivedUnixMs, records, 0);
  const syncMs = performance.now() - started;
  const { seq, legBytes } = await appending;
  await pipeline.applyInSlices({ seq, arrivedUnixMs, records, rejected: 0, legBytes });
  return syncMs;
}

/**
 * `during`, with the store checkpointed as the collector's server does it (every
 * store.snapshotIntervalMs of the default configuration; one asked for while one runs is written
 * after it), and the event loop's delay meanwhile, up to the last checkpoint's end. A checkpoint
 * that fails fails the run: the next one would be full, which is not what the ingest rows measure.
 */
async function withCheckpoints<T>(
  store: DurableStore,
  pipeline: Pipeline,
  during: () => Promise<T>,
): Promise<{ result: T; delay: EventLoopDelay; checkpoints: number }> {
  let answered = 0;
  const failures: unknown[] = [];
  let last: Promise<void> = Promise.resolve();
  const { result, delay } = await eventLoopDelayDuring(async () => {
    const timer = setInterval(() => {
      last = store.checkpoint(pipeline).then(
        () => {
          answered++;
        },
        (error: unknown) => {
          failures.push(error);
        },
      );
    }, defaultConfig().store.snapshotIntervalMs);
    try {
      return await during();
    } finally {
      clearInterval(timer);
      await last;
    }
  });
  if (failures.length > 0) throw new Error(`store bench: ${failures.length} checkpoint(s) failed during ingest`, { cause: failures[0] });
  return { result, delay, checkpoints: answered };
}

/** One ingest run: per batch, append latency and the append's event-loop part (ms); the event loop's delay; legs/s. */
interface IngestRun {
  appendMs: number[];
  appendSyncMs: number[];
  delay: EventLoopDelay;
  legsPerSecond: number;
  /** checkpoint calls answered (a call made while one ran shares the one after it) */
  checkpoints: number;
}

/** Closed loop: CONCURRENT batches in flight, each sent when the one before it was answered. Append latency from admit. */
async function closedLoop(store: DurableStore, pipeline: Pipeline, seconds: number): Promise<IngestRun> {
  const appendMs: number[] = [];
  const appendSyncMs: number[] = [];
  let next = 0;
  const { result: elapsedMs, ...checkpointed } = await withCheckpoints(store, pipeline, async () => {
    const startedMs = performance.now();
    const until = startedMs + seconds * 1000;
    const worker = async (): Promise<void> => {
      while (performance.now() < until) {
        // A batch arrives as an I/O event does, on a turn of its own: without it this loop
        // would run inside the worker port's message callback and the event loop (and its
        // delay histogram) would never turn.
        await new Promise(setImmediate);
        const started = performance.now();
        appendSyncMs.push(await ingestBatch(store, pipeline, next++));
        appendMs.push(performance.now() - started);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENT }, worker));
    return performance.now() - startedMs;
  });
  return { appendMs, appendSyncMs, legsPerSecond: (next * BATCH * 1000) / elapsedMs, ...checkpointed };
}

/**
 * Open loop: batch i due at start + i/rate whatever the earlier ones are doing, its latency from
 * when it was due (so queueing behind a slow append or a late event loop counts).
 */
async function openLoop(
  store: DurableStore,
  pipeline: Pipeline,
  batchesPerSecond: number,
  seconds: number,
): Promise<IngestRun & { maxInFlight: number; startLagP99Ms: number }> {
  const appendSyncMs: number[] = [];
  const { result, ...checkpointed } = await withCheckpoints(store, pipeline, () =>
    runOpenLoop({
      ratePerSecond: batchesPerSecond,
      seconds,
      task: async (n) => {
        appendSyncMs.push(await ingestBatch(store, pipeline, n));
      },
    }),
  );
  return {
    appendMs: Array.from(result.latencyMs),
    appendSyncMs,
    legsPerSecond: result.achievedPerSecond * BATCH,
    maxInFlight: result.maxInFlight,
    startLagP99Ms: percentile(
      result.startLagMs.sort((a, b) => a - b),
      99,
    ),
    ...checkpointed,
  };
}

/**
 * A full checkpoint (the one written after a failed one) of `pendingLegs` pending legs and half as
 * many remembered ids, alone (no ingest meanwhile), while the event loop's delay is measured: a
 * checkpoint is made to fail by an SQLite trigger on the store's file (the error a full disk
 * gives, without filling one), so the next is full. Small legs: what a full checkpoint copies is
 * ids, not records.
 */
async function fullCheckpoint(
  path: string,
  metrics: CollectorMetrics,
  pendingLegs: number,
): Promise<{ delay: EventLoopDelay; ms: number }> {
  const { store, pipeline } = await openStore(path, metrics);
  try {
    const small = (id: string, role: 'primary' | 'shadow'): DigestRecord => ({ ...leg(id, role), fields: {} });
    const perBatch = 1000;
    for (let n = 0; n * perBatch < pendingLegs * 2; n++) {
      // Of four batches, two stay pending, the third is paired by the fourth (remembered ids).
      const pairing = n % 4 === 3;
      const records = Array.from({ length: perBatch }, (_, i) => small(`c${pairing ? n - 1 : n}-${i}`, pairing ? 'shadow' : 'primary'));
      const arrivedUnixMs = pipeline.admit();
      pipeline.apply({ ...(await store.append(arrivedUnixMs, records, 0)), arrivedUnixMs, records, rejected: 0 });
    }
    await store.checkpoint(pipeline);
    const onFile = (sql: string): void => {
      const db = new Database(path);
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
    };
    onFile("CREATE TRIGGER fail_checkpoint BEFORE INSERT ON meta WHEN NEW.key = 'appliedSeq' BEGIN SELECT RAISE(ABORT, 'refused'); END");
    const failed = await store.checkpoint(pipeline).then(
      () => false,
      () => true,
    );
    onFile('DROP TRIGGER fail_checkpoint');
    if (!failed) throw new Error('full checkpoint bench: the checkpoint meant to fail was written');
    const started = performance.now();
    const { delay } = await eventLoopDelayDuring(() => store.checkpoint(pipeline));
    return { delay, ms: performance.now() - started };
  } finally {
    await store.close();
  }
}

/**
 * Line 8: the durable store, in this process as the collector runs it (SQLite in its worker).
 * Ingest of batches of 64 legs (pairs completing across batches), checkpointed as the server does:
 * first a closed loop (its throughput is the saturation), then an open loop at a fixed rate of a
 * share of it (plan.latencyLoad, half, as lines 1, 2 and 4 measure latency); append latency and
 * the event loop's delay in each. Then a store of pending legs (the state a restart must bring
 * back whole) is restored: the time per MB of store file, extrapolated to 1 GB, and the event
 * loop's delay while the worker reads it back. Last, a full checkpoint's delay on the event loop.
 */
// Only the plan: the line starts no Envoy, upstream or stub, so a test can run it alone.
export async function measureCollectorStore(context: Pick<BenchContext, 'plan'>): Promise<LineResult> {
  const line = 8;
  const { plan } = context;
  const dir = await mkdtemp(join(tmpdir(), 'shadowdiff-bench-store-'));
  const metrics = new CollectorMetrics({ defaultMetrics: false });
  const saturated: IngestRun[] = [];
  const operating: Array<Awaited<ReturnType<typeof openLoop>>> = [];
  const loadDelay: EventLoopDelay[] = [];
  const restoreMsPerMb: number[] = [];
  const applyMs: number[] = [];
  const readBackUs: number[] = [];
  const storeMb: number[] = [];
  const openMs: number[] = [];
  const fullDelay: EventLoopDelay[] = [];
  const fullMs: number[] = [];
  const fullCheckpointLegs = plan.mode === 'full' ? 100_000 : 20_000;
  let batchesPerSecond = Number.NaN;
  try {
    for (let run = 0; run < plan.runs; run++) {
      const { store, pipeline } = await openStore(join(dir, `saturation-${run}.sqlite`), metrics);
      saturated.push(await closedLoop(store, pipeline, plan.collectorSeconds));
      await store.close();
    }
    batchesPerSecond = (plan.latencyLoad * spread(saturated.map((run) => run.legsPerSecond)).median) / BATCH;
    for (let run = 0; run < plan.runs; run++) {
      const { store, pipeline } = await openStore(join(dir, `rate-${run}.sqlite`), metrics);
      operating.push(await openLoop(store, pipeline, batchesPerSecond, plan.collectorSeconds));
      await store.close();
    }

    for (let run = 0; run < plan.runs; run++) {
      // A store of pending legs only: every leg comes back into the join window.
      const restorePath = join(dir, `restore-${run}.sqlite`);
      const filled = await openStore(restorePath, metrics);
      const legsToStore = (plan.mode === 'full' ? 625 : 32) * BATCH;
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

      const full = await fullCheckpoint(join(dir, `full-${run}.sqlite`), metrics, fullCheckpointLegs);
      fullDelay.push(full.delay);
      fullMs.push(full.ms);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const restoreSecondsPerGb = restoreMsPerMb.map((ms) => (ms * 1024) / 1000);
  const fewMs = { bound: 'atMost', limit: 10, on: 'measured' } as const;
  const legsPerSecond = batchesPerSecond * BATCH;
  const mbPerSecond = (legs: number): number => (legs * LEG_JSON_BYTES) / 2 ** 20;
  const atSaturation = 'at saturation (closed loop)';
  const atRate = `at ${plan.latencyLoad * 100}% of saturation (open loop)`;
  const information = 'information: the goal is on the row at the fixed rate';
  /**
   * The same rows for either ingest: with their goals when `judged` (the fixed rate), as information
   * at saturation. Append latencies are pooled over the runs; event-loop delays are per run.
   */
  const ingestRows = (runs: readonly IngestRun[], at: string, judged: boolean): ResultRow[] => {
    const row = (metric: string, atMost: number | null, measuredRuns: number[]): ResultRow =>
      atMost === null
        ? absoluteRow(line, `${metric}, ${at}`, 'ms', null, measuredRuns)
        : judged
          ? absoluteRow(line, `${metric}, ${at}`, 'ms', { bound: 'atMost', limit: atMost, on: 'measured' }, measuredRuns)
          : absoluteRow(line, `${metric}, ${at}`, 'ms', null, measuredRuns, information);
    const appendMs = runs.flatMap((run) => run.appendMs).sort((a, b) => a - b);
    return [
      row('append latency p50', null, [percentile(appendMs, 50)]),
      row('append latency p99', 50, [percentile(appendMs, 99)]),
      row('append latency max', null, [appendMs.at(-1) ?? Number.NaN]),
      row(
        'event-loop delay p50, ingest + checkpoints',
        null,
        runs.map((run) => run.delay.p50Ms),
      ),
      row(
        'event-loop delay p99, ingest + checkpoints',
        null,
        runs.map((run) => run.delay.p99Ms),
      ),
      row(
        'event-loop delay max, ingest + checkpoints',
        10,
        runs.map((run) => run.delay.maxMs),
      ),
      row('append: event-loop part (serialise + post a batch), max', 10, [Math.max(...runs.flatMap((run) => run.appendSyncMs))]),
    ];
  };
  const checkpointsPerRun = (runs: readonly IngestRun[]): string => {
    const { min, max } = spread(runs.map((run) => run.checkpoints));
    return min === max ? String(min) : `${min}–${max}`;
  };
  return {
    line,
    title: 'Collector store',
    method:
      `In-process DurableStore (SQLite WAL, synchronous=NORMAL, in its worker) with a durable Pipeline, batches of ${BATCH} legs (~${Math.round(LEG_JSON_BYTES / 1024)} KB of JSON each), half pairing a leg of the batch before, checkpointed every ${defaultConfig().store.snapshotIntervalMs} ms (store.snapshotIntervalMs's default, as the server does); append = admit → commit answered → applied (in slices). ` +
      `Saturation: closed loop, ${CONCURRENT} batches in flight, each sent when the one before it was answered, ${plan.collectorSeconds} s per run on a fresh store. ` +
      `Latency at a fixed rate, as lines 1, 2 and 4 measure it: open loop at ${plan.latencyLoad * 100}% of the median closed-loop throughput, ${batchesPerSecond.toFixed(1)} batches/s (${Math.round(legsPerSecond)} legs/s, ${mbPerSecond(legsPerSecond).toFixed(1)} MB/s), ${plan.collectorSeconds} s per run on a fresh store; batch i is due at start + i/rate whatever earlier ones are doing, and its latency runs from when it was due (no coordinated omission). Checkpoints answered per run: ${checkpointsPerRun(saturated)} at saturation, ${checkpointsPerRun(operating)} at the fixed rate. ` +
      "Event-loop delay: perf_hooks.monitorEventLoopDelay (1 ms resolution) in this process, which is the collector's main thread here; run by bench/run.ts, the whole process (the store's worker and V8's helper threads too) is pinned to the load core. Restore: open, load, check and restore a store of pending legs (which stay in SQLite, held by reference, each read back and checked when needed), per MB of store file, extrapolated to 1 GB; opening the store (starting its worker) is a fixed cost, its own row; the restore into the pipeline (one synchronous step, done before the collector listens) is its own row; reading every restored leg back afterwards (in slices, as the sweep does ahead of each window's close) is its own row, per leg. " +
      `Full checkpoint: a store of ${fullCheckpointLegs / 1000}k small pending legs and ${fullCheckpointLegs / 2000}k remembered ids, a checkpoint made to fail by an SQLite trigger on the store's file, then the full one that follows, alone.`,
    rows: [
      absoluteRow(
        line,
        'ingest throughput at saturation (closed loop), legs',
        'legs/s',
        null,
        saturated.map((run) => run.legsPerSecond),
      ),
      absoluteRow(
        line,
        'ingest throughput at saturation (closed loop), leg JSON',
        'MB/s',
        null,
        saturated.map((run) => mbPerSecond(run.legsPerSecond)),
      ),
      ...ingestRows(saturated, atSaturation, false),
      ...ingestRows(operating, atRate, true),
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
      absoluteRow(
        line,
        `event-loop delay max, full checkpoint of ${fullCheckpointLegs / 1000}k pending legs`,
        'ms',
        fewMs,
        fullDelay.map((d) => d.maxMs),
        `the checkpoint after a failed one (every route, pair and id, with ${fullCheckpointLegs / 2000}k remembered ids), no ingest meanwhile`,
      ),
      absoluteRow(line, `full checkpoint time, ${fullCheckpointLegs / 1000}k pending legs`, 'ms', null, fullMs),
    ],
    details: {
      legJsonBytes: LEG_JSON_BYTES,
      saturation: saturated.map((run) => ({
        legsPerSecond: run.legsPerSecond,
        appends: run.appendMs.length,
        checkpoints: run.checkpoints,
        delay: run.delay,
      })),
      fixedRate: {
        batchesPerSecond,
        runs: operating.map((run) => ({
          achievedLegsPerSecond: run.legsPerSecond,
          appends: run.appendMs.length,
          checkpoints: run.checkpoints,
          maxInFlight: run.maxInFlight,
          startLagP99Ms: run.startLagP99Ms,
          delay: run.delay,
        })),
      },
      restoreMsPerMb,
      readBackUs,
      storeMb,
      loadDelay,
      fullCheckpoint: { pendingLegs: fullCheckpointLegs, ms: fullMs, delay: fullDelay },
    },
  };
}
