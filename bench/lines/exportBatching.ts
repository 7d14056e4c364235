import { filterBootstrap, floorBootstrap, withoutMirroring, type EnvoyWiring } from '../benchBootstraps.js';
import { documentPath, type BenchContext } from '../benchContext.js';
import { alternate } from '../alternation.js';
import { FILTER_COUNTERS, startEnvoyBed, type LatencySample } from '../envoyBed.js';
import { comparedRow, flooredRow, runsOf, type LineResult } from '../results.js';
import { spread } from '../summary.js';

const FLOOR = 'no-op proxy-wasm floor';
const NO_EXPORT = 'digest, export held';
const PER_RECORD = 'batch 1';
const BATCHED = [32, 256].map((size) => ({ label: `batch ${size}`, size }));

/** Shared by every exporting variant so that only batchSize differs; maxInflight high enough that batch 1 keeps up. */
const exportKnobs = (batchSize: number) => ({ batchSize, maxQueue: 4096, maxInflight: 64, flushIntervalMs: 1000 });

/**
 * Line 3: Envoy CPU per request with batched export, with one export call per record, and with the
 * digest but (almost) no export. The "without export" Envoy points its collector cluster at a stub
 * that accepts the connection and reads the batch but never answers: with maxInflight 1 and a 60 s
 * timeout its first batch stays in flight, its queue fills, and from then on each record is built
 * and encoded (the filter encodes at on_log, before queueing) and dropped at the full queue. That is
 * the digest without the export call, with no change to the filter; one held call per minute remains.
 */
export async function measureExportBatching(context: BenchContext): Promise<LineResult> {
  const path = documentPath('1k');
  const bed = await startEnvoyBed(context, [
    { label: FLOOR, bootstrap: (wiring) => withoutMirroring(floorBootstrap(wiring)) },
    {
      label: NO_EXPORT,
      collector: context.holdingCollector,
      bootstrap: (wiring) =>
        withoutMirroring(
          filterBootstrap(wiring, {
            json: true,
            collectorTimeoutMs: 60_000,
            export: { batchSize: 1024, maxQueue: 1024, maxInflight: 1, flushIntervalMs: 60_000 },
          }),
        ),
    },
    { label: PER_RECORD, bootstrap: (wiring) => withoutMirroring(filterBootstrap(wiring, { json: true, export: exportKnobs(1) })) },
    ...BATCHED.map(({ label, size }) => ({
      label,
      bootstrap: (wiring: EnvoyWiring) => withoutMirroring(filterBootstrap(wiring, { json: true, export: exportKnobs(size) })),
    })),
  ]);
  const line = 3;
  try {
    await bed.warm(path);
    const rate = context.plan.latencyLoad * (context.saturationPerSecond.get('1k') ?? 0);
    const runs = await alternate<string, LatencySample>(bed.labels, context.plan.runs, (label) => bed.latency(label, path, rate));
    const cpu = (label: string): number[] => runsOf(runs, label, (s) => s.cpuUsPerRequest);
    const baseline = cpu(NO_EXPORT);
    // Export cost per request = CPU with export minus CPU without, run by run (the runs alternated together).
    const exportCost = (label: string): number[] => cpu(label).map((value, i) => value - (baseline[i] ?? Number.NaN));
    const perRecordCost = exportCost(PER_RECORD);
    const counters: Record<string, unknown> = {};
    for (const label of bed.labels.filter((label) => label !== FLOOR)) counters[label] = await bed.stats(label, FILTER_COUNTERS);
    return {
      line,
      title: 'Batched export against one http_call per record (Envoy CPU per request)',
      method:
        `Four Envoys with the filter, the full JSON digest on the 1 KB document, mirroring removed, ${Math.round(rate)} req/s fixed rate, ` +
        'and the no-op proxy-wasm floor (bench/noopFilter) beside them for the floor column. ' +
        'Exporting variants differ only in export.batchSize (maxQueue 4096, maxInflight 64, flush 1 s) and post to the ' +
        'accepting stub. The baseline holds its single export call forever, so its records are encoded and dropped at the ' +
        "full queue: the digest and record encoding without the export call. Export cost = CPU/request minus the baseline's, per run pair.",
      rows: [
        flooredRow(line, 'CPU/request, per-record export (batch 1) vs no export', 'µs', null, {
          baseline,
          floor: cpu(FLOOR),
          measured: cpu(PER_RECORD),
        }),
        ...BATCHED.flatMap(({ label }) => [
          flooredRow(
            line,
            `CPU/request, ${label} vs no export`,
            'µs',
            { bound: 'atMost', limit: 1.03, on: 'ratio' },
            { baseline, floor: cpu(FLOOR), measured: cpu(label) },
          ),
          comparedRow(
            line,
            `export cost, ${label} vs per-record`,
            'µs',
            { bound: 'atMost', limit: 0.2, on: 'ratio' },
            perRecordCost,
            exportCost(label),
          ),
        ]),
      ],
      details: { rateTarget: rate, runs: Object.fromEntries(runs), perRecordExportCostUs: spread(perRecordCost), filterCounters: counters },
    };
  } finally {
    await bed.stop();
  }
}
