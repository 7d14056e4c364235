import { filterBootstrap, floorBootstrap, noFilterBootstrap, withoutMirroring, type FilterKnobs } from '../benchBootstraps.js';
import { documentPath, type BenchContext } from '../benchContext.js';
import { alternate } from '../alternation.js';
import { FILTER_COUNTERS, rssRows, startEnvoyBed, type LatencySample, type ThroughputSample } from '../envoyBed.js';
import { comparedRow, flooredRow, runsOf, type Goal, type LineResult, type ResultRow } from '../results.js';

const NO_FILTER = 'no filter';
const FLOOR = 'no-op proxy-wasm floor';

const atMost = (limit: number): Goal => ({ bound: 'atMost', limit, on: 'ratio' });
const atLeast = (limit: number): Goal => ({ bound: 'atLeast', limit, on: 'ratio' });

interface EdgeVariant {
  label: string;
  knobs: FilterKnobs;
  goals: { p50: Goal | null; p99: Goal | null; cpu: Goal | null; throughput: Goal | null };
}

/** The sampling an operator runs (none, a few percent with the full digest) and the 100% body-hash-only variant of earlier runs. */
const EDGE_VARIANTS: readonly EdgeVariant[] = [
  {
    label: 'edge filter, 0% sampled',
    knobs: { json: true, sampledPercent: 0 },
    goals: { p50: atMost(1.05), p99: atMost(1.1), cpu: atMost(1.02), throughput: atLeast(0.97) },
  },
  {
    label: 'edge filter, 5% sampled, full JSON digest',
    knobs: { json: true, sampledPercent: 5 },
    goals: { p50: atMost(1.05), p99: atMost(1.1), cpu: atMost(1.05), throughput: atLeast(0.93) },
  },
  {
    label: 'edge filter, 100% sampled, digest.json false',
    knobs: { json: false },
    goals: { p50: atMost(1.05), p99: atMost(1.1), cpu: atMost(1.1), throughput: atLeast(0.9) },
  },
];

/**
 * Line 1: the edge filter at 0%, 5% (full digest) and 100% (status, headers and body hash) sampled,
 * against no filter and against the no-op proxy-wasm floor, all in the same alternated runs.
 */
export async function measureEdgeFilter(context: BenchContext): Promise<LineResult> {
  const path = documentPath('1k');
  const bed = await startEnvoyBed(context, [
    { label: NO_FILTER, bootstrap: (wiring) => withoutMirroring(noFilterBootstrap(wiring)) },
    { label: FLOOR, bootstrap: (wiring) => withoutMirroring(floorBootstrap(wiring)) },
    ...EDGE_VARIANTS.map(({ label, knobs }) => ({
      label,
      bootstrap: (wiring: Parameters<typeof filterBootstrap>[0]) => withoutMirroring(filterBootstrap(wiring, knobs)),
    })),
  ]);
  try {
    await bed.warm(path);
    const throughput = await alternate<string, ThroughputSample>(bed.labels, context.plan.runs, (label) => bed.throughput(label, path));
    const rate = context.plan.latencyLoad * (context.saturationPerSecond.get('1k') ?? 0);
    const latency = await alternate<string, LatencySample>(bed.labels, context.plan.runs, (label) => bed.latency(label, path, rate));
    const line = 1;
    const metrics = [
      { name: 'latency p50', unit: 'ms', goal: 'p50', runs: (label: string) => runsOf(latency, label, (s) => s.p50Ms) },
      { name: 'latency p99', unit: 'ms', goal: 'p99', runs: (label: string) => runsOf(latency, label, (s) => s.p99Ms) },
      { name: 'Envoy CPU per request', unit: 'µs', goal: 'cpu', runs: (label: string) => runsOf(latency, label, (s) => s.cpuUsPerRequest) },
      {
        name: 'saturation throughput',
        unit: 'req/s',
        goal: 'throughput',
        runs: (label: string) => runsOf(throughput, label, (s) => s.requestsPerSecond),
      },
    ] as const;
    // The floor against no filter (what any proxy-wasm filter costs), then each variant against both.
    const floorRows = metrics.map((metric) =>
      comparedRow(line, `${metric.name}, floor`, metric.unit, null, metric.runs(NO_FILTER), metric.runs(FLOOR)),
    );
    const variantRows = (variant: EdgeVariant): ResultRow[] =>
      metrics.map((metric) =>
        flooredRow(line, `${metric.name}, ${variant.label.replace('edge filter, ', '')}`, metric.unit, variant.goals[metric.goal], {
          baseline: metric.runs(NO_FILTER),
          floor: metric.runs(FLOOR),
          measured: metric.runs(variant.label),
        }),
      );
    const filterCounters: Record<string, unknown> = {};
    for (const { label } of EDGE_VARIANTS) filterCounters[label] = await bed.stats(label, FILTER_COUNTERS);
    return {
      line,
      title: 'Edge filter at 0%, 5% and 100% sampled against no filter and the proxy-wasm floor, 1 KB JSON',
      method:
        `Five Envoys serve the 1 KB document with mirroring removed from the routes, all exporting to the accepting stub ` +
        `collector (batch 32, the default): no filter; the floor, a no-op proxy-wasm module with shadowdiff's exports ` +
        `(bench/noopFilter); the edge filter with nothing sampled; 5% sampled per request (keyed on Envoy's x-request-id) ` +
        `with the full JSON digest; and 100% sampled with digest.json false (the body hash, XXH64 under wire format 2, still ` +
        `runs: only the structural JSON digest is off). Every variant differs from the floor only by the filter's own work: ` +
        `the same routes with mirroring removed (so no variant pays for a shadow leg), the same upstream, and for the filter ` +
        `its host calls, the route re-match after its one header write and its export calls (to a sink on the load core, ` +
        `not Envoy's). Goals are on the ratio against no filter; the floor columns show the filter's cost above any ` +
        `proxy-wasm filter's. Latency at ${Math.round(rate)} req/s (fixed rate: half the no-filter saturation, so a variant ` +
        `whose CPU per request is higher runs its core busier, and its queueing shows in p50), throughput closed-loop.`,
      rows: [
        ...floorRows,
        ...EDGE_VARIANTS.flatMap(variantRows),
        ...(await rssRows(line, bed, NO_FILTER, FLOOR)),
        ...(await Promise.all(EDGE_VARIANTS.map(({ label }) => rssRows(line, bed, NO_FILTER, label)))).flat(),
      ],
      details: {
        rateTarget: rate,
        latencyRuns: Object.fromEntries(latency),
        throughputRuns: Object.fromEntries(throughput),
        filterCounters,
      },
    };
  } finally {
    await bed.stop();
  }
}
