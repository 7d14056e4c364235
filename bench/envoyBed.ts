import type { Endpoint } from '../envoy/bootstrap.js';
import { startEnvoy, type EnvoyInstance, type StartEnvoyOptions } from '../devkit/envoyProcess.js';
import { freePort } from '../devkit/freePort.js';
import type { JsonObject } from '../envoy/json.js';
import type { EnvoyWiring } from './benchBootstraps.js';
import type { BenchContext } from './benchContext.js';
import type { CoreLayout } from './cpuPinning.js';
import { runFixedRate } from './fixedRateClient.js';
import { cpuSeconds, rssBytes } from './procStats.js';
import { comparedRow, type Goal, type ResultRow } from './results.js';
import { percentile } from './summary.js';
import { runWrk } from './wrkClosedLoop.js';

/** One configuration of a line: a bootstrap built for given wiring, and where its shadow and collector point. */
export interface EnvoyVariant {
  label: string;
  bootstrap(wiring: EnvoyWiring): JsonObject;
  shadow?: Endpoint;
  collector?: Endpoint;
}

export interface LatencySample {
  p50Ms: number;
  p99Ms: number;
  firstByteP50Ms: number;
  firstByteP99Ms: number;
  /** Envoy's utime+stime over the run divided by the requests completed. */
  cpuUsPerRequest: number;
  /** Non-2xx answers, connection errors and resets; see FixedRateResult. */
  errors: number;
  /** Requests the client still had queued at the end (the rate overloaded Envoy): not errors. */
  notSentInTime: number;
  achievedPerSecond: number;
  waitedForConnection: number;
  scheduleLagP99Ms: number;
}

export interface ThroughputSample {
  requestsPerSecond: number;
  errors: number;
  /** Envoy's CPU seconds per wall second: near 1 means Envoy, not the load core, was the limit. */
  envoyCoreUse: number;
}

/** The Envoys of one line, running side by side on the system core while the load alternates between them. */
export interface EnvoyBed {
  readonly labels: readonly string[];
  idleRssBytes: Map<string, number>;
  warm(path: string): Promise<void>;
  latency(label: string, path: string, ratePerSecond: number): Promise<LatencySample>;
  throughput(label: string, path: string): Promise<ThroughputSample>;
  rssBytes(label: string): Promise<number>;
  /** Counters whose names contain one of `fragments`, summed per fragment. */
  stats(label: string, fragments: readonly string[]): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/**
 * How every Envoy under measurement runs: one worker, pinned to the system core from exec on (so
 * every thread it ever starts is pinned), warnings only, and installed when missing.
 */
export function measuredEnvoyOptions(label: string, layout: CoreLayout): StartEnvoyOptions {
  return {
    name: `envoy ${label}`,
    concurrency: 1,
    logLevel: 'warning',
    readyTimeoutMs: 60_000,
    installEnvoy: true,
    logTailBytes: 16 * 1024,
    ...(layout.pinned ? { cpuList: layout.systemCore } : {}),
  };
}

export async function startEnvoyBed(context: BenchContext, variants: readonly EnvoyVariant[]): Promise<EnvoyBed> {
  const envoys = new Map<string, EnvoyInstance>();
  const stop = async (): Promise<void> => {
    await Promise.all([...envoys.values()].map((envoy) => envoy.stop()));
  };
  const idleRssBytes = new Map<string, number>();
  try {
    // Started side by side: the starts (mostly V8 compiling the module) overlap instead of adding up.
    const started = await Promise.allSettled(
      variants.map(async (variant) => {
        const ports = { edge: await freePort(), admin: await freePort() };
        const wiring: EnvoyWiring = {
          edgePort: ports.edge,
          adminPort: ports.admin,
          primary: context.upstream.primary,
          shadow: variant.shadow ?? context.upstream.shadow,
          collector: variant.collector ?? context.acceptingCollector,
        };
        envoys.set(variant.label, await startEnvoy(variant.bootstrap(wiring), measuredEnvoyOptions(variant.label, context.layout)));
      }),
    );
    const failed = started.find((outcome) => outcome.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    await new Promise((resolve) => setTimeout(resolve, context.plan.idleSettleMs));
    for (const [label, envoy] of envoys) idleRssBytes.set(label, await rssBytes(envoy.pid));
  } catch (error) {
    await stop();
    throw error;
  }
  const envoyOf = (label: string): EnvoyInstance => {
    const envoy = envoys.get(label);
    if (envoy === undefined) throw new Error(`no Envoy variant ${label}`);
    if (!envoy.alive()) throw new Error(`Envoy ${label} died:\n${envoy.logs()}`);
    return envoy;
  };
  const { plan, layout } = context;

  return {
    labels: variants.map((variant) => variant.label),
    idleRssBytes,
    warm: async (path) => {
      if (plan.warmupSeconds === 0) return;
      for (const envoy of envoys.values()) await runWrk(layout, `${envoy.edgeUrl}${path}`, plan.warmupSeconds, plan.wrkConnections);
    },
    latency: async (label, path, ratePerSecond) => {
      const envoy = envoyOf(label);
      const port = Number(new URL(envoy.edgeUrl).port);
      const request = Buffer.from(`GET ${path} HTTP/1.1\r\nhost: bench.local\r\nx-user-id: bench-user\r\n\r\n`);
      const cpuBefore = await cpuSeconds(envoy.pid);
      const result = await runFixedRate({
        port,
        nextRequest: () => request,
        ratePerSecond,
        seconds: plan.latencySeconds,
        connections: plan.latencyConnections,
      });
      const cpuAfter = await cpuSeconds(envoy.pid);
      return {
        p50Ms: percentile(result.totalMs, 50),
        p99Ms: percentile(result.totalMs, 99),
        firstByteP50Ms: percentile(result.firstByteMs, 50),
        firstByteP99Ms: percentile(result.firstByteMs, 99),
        cpuUsPerRequest: ((cpuAfter - cpuBefore) / Math.max(1, result.completed)) * 1e6,
        errors: result.errors,
        notSentInTime: result.notSentInTime,
        achievedPerSecond: result.achievedPerSecond,
        waitedForConnection: result.waitedForConnection,
        scheduleLagP99Ms: result.scheduleLagP99Ms,
      };
    },
    throughput: async (label, path) => {
      const envoy = envoyOf(label);
      const cpuBefore = await cpuSeconds(envoy.pid);
      const startedMs = Date.now();
      const result = await runWrk(layout, `${envoy.edgeUrl}${path}`, plan.throughputSeconds, plan.wrkConnections);
      const cpuAfter = await cpuSeconds(envoy.pid);
      return {
        requestsPerSecond: result.requestsPerSecond,
        errors: result.errors,
        envoyCoreUse: (cpuAfter - cpuBefore) / ((Date.now() - startedMs) / 1000),
      };
    },
    rssBytes: (label) => rssBytes(envoyOf(label).pid),
    stats: async (label, fragments) => {
      const stats = await envoyOf(label).stats();
      const sums: Record<string, number> = {};
      for (const fragment of fragments) {
        sums[fragment] = 0;
        for (const [name, value] of stats) if (name.includes(fragment)) sums[fragment] += value;
      }
      return sums;
    },
    stop,
  };
}

/** The filter's counters that tell whether a run was what it claims (every request digested, nothing dropped). */
export const FILTER_COUNTERS = [
  'shadowdiff.edge.digested',
  'shadowdiff.edge.decoded',
  'shadowdiff.edge.decode_failed',
  'shadowdiff.edge.exported_records',
  'shadowdiff.edge.export_batches',
  'shadowdiff.edge.export_failures',
  'shadowdiff.edge.dropped_queue_full',
  'shadowdiff.edge.dropped_export_failed',
  'shadowdiff.shadow.digested',
  'shadowdiff.shadow.exported_records',
  'shadowdiff.shadow.dropped_queue_full',
] as const;

const MIB = 2 ** 20;

/**
 * How much a bounded heap may grow under a line's load: once, while pools and buffers fill to their
 * bounds and V8 tiers the module up. The no-filter Envoy itself grows 5-9 MiB; a leak grows with
 * the load's length (the stream-context pool that leaked reused contexts: 32-95 MiB on line 2).
 */
const RSS_GROWTH_GOAL: Goal = { bound: 'atMost', limit: 12, on: 'measured' };

/**
 * Envoy's RSS at idle (before any load) and after the line's load, the variant beside its baseline;
 * with `growthGoal`, also the variant's growth from idle to after the load, beside the baseline's.
 */
export async function rssRows(line: number, bed: EnvoyBed, baselineLabel: string, label: string, growthGoal = false): Promise<ResultRow[]> {
  const idle = { baseline: (bed.idleRssBytes.get(baselineLabel) ?? 0) / MIB, measured: (bed.idleRssBytes.get(label) ?? 0) / MIB };
  const after = { baseline: (await bed.rssBytes(baselineLabel)) / MIB, measured: (await bed.rssBytes(label)) / MIB };
  const rows = [
    comparedRow(line, `Envoy RSS idle (${label})`, 'MiB', null, [idle.baseline], [idle.measured]),
    comparedRow(line, `Envoy RSS after load (${label})`, 'MiB', null, [after.baseline], [after.measured]),
  ];
  if (growthGoal)
    rows.push(
      comparedRow(
        line,
        `Envoy RSS growth under load (${label})`,
        'MiB',
        RSS_GROWTH_GOAL,
        [after.baseline - idle.baseline],
        [after.measured - idle.measured],
      ),
    );
  return rows;
}
