import { resolve } from 'node:path';
import type { BenchContext } from '../benchContext.js';
import { alternate } from '../alternation.js';
import { startChildServer, type ChildServer } from '../childServer.js';
import { BatchSequence, ingestClosedLoop, type LoadWireVersion } from '../collectorLoad.js';
import { runFixedRate } from '../fixedRateClient.js';
import { cpuSeconds, rssBytes } from '../procStats.js';
import { absoluteRow, comparedRow, runsOf, type LineResult } from '../results.js';
import { percentile, spread } from '../summary.js';

/** The collector's entry point, run in its own Node process. */
export const COLLECTOR_SERVER_ENTRY = resolve(import.meta.dirname, '../collectorServer.ts');
export const BATCHED = 64;
const PER_RECORD = 1;
/** POSTs in flight in the closed loop: enough to keep one collector core busy. */
export const CONNECTIONS = 8;
/** Share of the batched closed-loop throughput the soak runs at. */
const SOAK_LOAD = 0.5;
/** RSS samples taken before this share of the soak has passed are the warm-up (pools, JIT, the remembered-id set filling). */
const SOAK_WARMUP_SHARE = 0.2;

interface IngestSample {
  recordsPerSecond: number;
  failures: number;
  collectorCoreUse: number;
}

async function startCollector(context: BenchContext): Promise<ChildServer> {
  return startChildServer(context.layout, context.layout.systemCore, COLLECTOR_SERVER_ENTRY, []);
}

/** Pairs the collector scored so far, from its report: proof that the load was joined, not just received. */
async function pairsScored(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/v1/report?top=1`);
  const report = (await response.json()) as { totals: { matched: number; diverged: number } };
  return report.totals.matched + report.totals.diverged;
}

/**
 * Line 6: the collector on one core. Closed-loop ingest of batches of 64 against one record per
 * POST (records both legs of every request, all joined and scored), in wire format 2 as the filter
 * sends it, with batches of 64 in wire format 1 alternated beside them; then a fresh collector at half
 * the batched rate for the soak: RSS sampled throughout, POST round trip as the join-to-score bound
 * (the pair is scored synchronously before the answer is sent).
 */
export async function measureCollectorIngest(context: BenchContext): Promise<LineResult> {
  const { plan } = context;
  const line = 6;
  // Wire version 2, as the filter sends by default; version 1 (filters of the previous release) beside it.
  const designs: Record<string, { records: number; version: LoadWireVersion }> = {
    [`batch ${BATCHED}`]: { records: BATCHED, version: 2 },
    [`batch ${PER_RECORD}`]: { records: PER_RECORD, version: 2 },
    [`batch ${BATCHED}, wire v1`]: { records: BATCHED, version: 1 },
  };
  const labels = Object.keys(designs);
  const design = (label: string) => designs[label] ?? { records: 1, version: 2 };
  let ingest: Map<string, IngestSample[]>;
  let scored: number;
  const collector = await startCollector(context);
  try {
    const sequences = new Map(
      labels.map((label) => [label, new BatchSequence(design(label).records, collector.port, design(label).version)]),
    );
    const run = async (label: string, seconds: number): Promise<IngestSample> => {
      const cpuBefore = await cpuSeconds(collector.process.pid);
      const started = Date.now();
      const result = await ingestClosedLoop(collector.port, sequences.get(label)!, design(label).records, seconds, CONNECTIONS);
      const cpu = (await cpuSeconds(collector.process.pid)) - cpuBefore;
      return { ...result, collectorCoreUse: cpu / ((Date.now() - started) / 1000) };
    };
    if (plan.warmupSeconds > 0) for (const label of labels) await run(label, plan.warmupSeconds);
    ingest = await alternate(labels, plan.runs, (label) => run(label, plan.collectorSeconds));
    scored = await pairsScored(collector.port);
  } finally {
    await collector.process.stop();
  }

  const batchedRuns = runsOf(ingest, labels[0]!, (s) => s.recordsPerSecond);
  const perCore = (label: string): number[] => runsOf(ingest, label, (s) => s.recordsPerSecond / s.collectorCoreUse);
  const soakRecordsPerSecond = SOAK_LOAD * spread(batchedRuns).median;
  const soak = await startCollector(context);
  let soakResult: Awaited<ReturnType<typeof runFixedRate>>;
  const rss: Array<{ atSeconds: number; bytes: number }> = [];
  let soakScored: number;
  try {
    const sequence = new BatchSequence(BATCHED, soak.port);
    const started = Date.now();
    const sampleEveryMs = (plan.collectorSoakSeconds * 1000) / plan.collectorSoakSamples;
    const sampler = setInterval(() => {
      void rssBytes(soak.process.pid).then((bytes) => rss.push({ atSeconds: (Date.now() - started) / 1000, bytes }));
    }, sampleEveryMs);
    try {
      soakResult = await runFixedRate({
        port: soak.port,
        nextRequest: () => sequence.nextRequest(),
        ratePerSecond: soakRecordsPerSecond / BATCHED,
        seconds: plan.collectorSoakSeconds,
        connections: CONNECTIONS,
      });
    } finally {
      clearInterval(sampler);
    }
    rss.push({ atSeconds: (Date.now() - started) / 1000, bytes: await rssBytes(soak.process.pid) });
    soakScored = await pairsScored(soak.port);
  } finally {
    await soak.process.stop();
  }
  const warm = rss.filter((sample) => sample.atSeconds >= SOAK_WARMUP_SHARE * plan.collectorSoakSeconds);
  const reference = warm[0]?.bytes ?? Number.NaN;
  const deviationPercent = Math.max(...warm.map((sample) => (Math.abs(sample.bytes - reference) / reference) * 100));

  return {
    line,
    title: 'Collector on one core: ingest and join, batches of 64 against one record per POST, wire v2 (v1 beside)',
    method:
      `The collector (buildApp, default configuration) in its own Node process on the system core; ${CONNECTIONS} keep-alive ` +
      'POSTs in flight from the load core, every record of both legs joined and scored (a tenth of the pairs diverge in one ' +
      'field), in wire format 2 as the filter sends it by default (xxh64, one path table per batch), and batches of 64 in ' +
      "wire format 1 alternated with them; per core: digests/s over the collector process's CPU use (all its threads). " +
      `Soak: a fresh collector at ${Math.round(soakRecordsPerSecond)} digests/s in batches of ${BATCHED} for ` +
      `${plan.collectorSoakSeconds} s; RSS deviation measured against the first sample after ${SOAK_WARMUP_SHARE * 100}% of the soak.`,
    rows: [
      absoluteRow(
        line,
        `digests/s ingested and joined, batch ${BATCHED}`,
        'digests/s',
        { bound: 'atLeast', limit: 200_000, on: 'measured' },
        batchedRuns,
      ),
      absoluteRow(
        line,
        `digests/s per core, batch ${BATCHED}`,
        'digests/s',
        { bound: 'atLeast', limit: 200_000, on: 'measured' },
        perCore(labels[0]!),
      ),
      comparedRow(
        line,
        `batch ${BATCHED}: wire v2 vs wire v1`,
        'digests/s',
        null,
        runsOf(ingest, labels[2]!, (s) => s.recordsPerSecond),
        batchedRuns,
      ),
      absoluteRow(line, `digests/s per core, batch ${BATCHED}, wire v1`, 'digests/s', null, perCore(labels[2]!)),
      comparedRow(
        line,
        `batch ${BATCHED} vs one record per POST`,
        'digests/s',
        { bound: 'atLeast', limit: 10, on: 'ratio' },
        runsOf(ingest, labels[1]!, (s) => s.recordsPerSecond),
        batchedRuns,
      ),
      absoluteRow(line, 'join-to-score p99 (POST round trip at the soak rate)', 'ms', null, [percentile(soakResult.totalMs, 99)]),
      absoluteRow(
        line,
        `collector RSS deviation over the ${plan.collectorSoakSeconds} s soak`,
        '%',
        { bound: 'atMost', limit: 10, on: 'measured' },
        [deviationPercent],
      ),
    ],
    details: {
      ingestRuns: Object.fromEntries(ingest),
      pairsScoredDuringIngestRuns: scored,
      soak: {
        digestsPerSecondTarget: soakRecordsPerSecond,
        achievedBatchesPerSecond: soakResult.achievedPerSecond,
        errors: soakResult.errors,
        notSentInTime: soakResult.notSentInTime,
        p50Ms: percentile(soakResult.totalMs, 50),
        p99Ms: percentile(soakResult.totalMs, 99),
        pairsScored: soakScored,
        rssMiB: rss.map((sample) => ({ atSeconds: Math.round(sample.atSeconds), mib: sample.bytes / 2 ** 20 })),
      },
    },
  };
}
