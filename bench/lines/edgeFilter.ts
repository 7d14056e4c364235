import { filterBootstrap, noFilterBootstrap, withoutMirroring } from '../benchBootstraps.js';
import { documentPath, type BenchContext } from '../benchContext.js';
import { alternate } from '../alternation.js';
import { FILTER_COUNTERS, rssRows, startEnvoyBed, type LatencySample, type ThroughputSample } from '../envoyBed.js';
import { comparedRow, runsOf, type LineResult } from '../results.js';

const NO_FILTER = 'no filter';
const EDGE = 'edge filter, digest.json false';

/** Line 1: the edge filter sampling, tagging and digesting status, headers and body hash, against no filter. */
export async function measureEdgeFilter(context: BenchContext): Promise<LineResult> {
  const path = documentPath('1k');
  const bed = await startEnvoyBed(context, [
    { label: NO_FILTER, bootstrap: (wiring) => withoutMirroring(noFilterBootstrap(wiring)) },
    { label: EDGE, bootstrap: (wiring) => withoutMirroring(filterBootstrap(wiring, { json: false })) },
  ]);
  try {
    await bed.warm(path);
    const throughput = await alternate<string, ThroughputSample>(bed.labels, context.plan.runs, (label) => bed.throughput(label, path));
    const rate = context.plan.latencyLoad * (context.saturationPerSecond.get('1k') ?? 0);
    const latency = await alternate<string, LatencySample>(bed.labels, context.plan.runs, (label) => bed.latency(label, path, rate));
    const line = 1;
    return {
      line,
      title: 'Edge filter: sampling, tagging, status/header digest and body hash (digest.json false), 1 KB JSON',
      method:
        `Both Envoys serve the 1 KB document with mirroring removed from the routes; the filter samples 100% and exports to ` +
        `the accepting stub collector (batch 32, the default). The body hash (FNV-1a 64, byte by byte) still runs: only the ` +
        `structural JSON digest is off. Latency at ${Math.round(rate)} req/s (fixed rate), throughput closed-loop.`,
      rows: [
        comparedRow(line, 'latency p50', 'ms', { bound: 'atMost', limit: 1.05, on: 'ratio' }, runsOf(latency, NO_FILTER, (s) => s.p50Ms), runsOf(latency, EDGE, (s) => s.p50Ms)),
        comparedRow(line, 'latency p99', 'ms', { bound: 'atMost', limit: 1.1, on: 'ratio' }, runsOf(latency, NO_FILTER, (s) => s.p99Ms), runsOf(latency, EDGE, (s) => s.p99Ms)),
        comparedRow(line, 'Envoy CPU per request', 'µs', { bound: 'atMost', limit: 1.1, on: 'ratio' }, runsOf(latency, NO_FILTER, (s) => s.cpuUsPerRequest), runsOf(latency, EDGE, (s) => s.cpuUsPerRequest)),
        comparedRow(line, 'saturation throughput', 'req/s', { bound: 'atLeast', limit: 0.9, on: 'ratio' }, runsOf(throughput, NO_FILTER, (s) => s.requestsPerSecond), runsOf(throughput, EDGE, (s) => s.requestsPerSecond)),
        ...(await rssRows(line, bed, NO_FILTER, EDGE)),
      ],
      details: {
        rateTarget: rate,
        latencyRuns: Object.fromEntries(latency),
        throughputRuns: Object.fromEntries(throughput),
        filterCounters: await bed.stats(EDGE, FILTER_COUNTERS),
      },
    };
  } finally {
    await bed.stop();
  }
}
