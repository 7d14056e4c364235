import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { filterBootstrap, floorBootstrap, noFilterBootstrap, withoutMirroring, type EnvoyWiring } from './benchBootstraps.js';
import { documentPath } from './benchContext.js';
import { startChildServer } from './childServer.js';
import { cutDocuments, type CutName } from './corpusCuts.js';
import { coreLayout, pinThisProcessToLoadCore } from './cpuPinning.js';
import { freePort } from '../devkit/freePort.js';
import { buildNoopFilter } from './noopFilter/build.js';
import { startNginxUpstream } from './nginxUpstream.js';
import { startEnvoy } from '../devkit/envoyProcess.js';
import { measuredEnvoyOptions } from './envoyBed.js';
import { cpuSeconds } from './procStats.js';
import { ensureSystemTools, PERF_TOOL } from './systemTools.js';
import { runWrk } from './wrkClosedLoop.js';

const run = promisify(execFile);

/** The Envoys the profile can look at: the baselines and filter configurations of lines 1 and 2. */
export const ENVOY_PROFILE_VARIANTS = {
  'no-filter': (wiring: EnvoyWiring) => withoutMirroring(noFilterBootstrap(wiring)),
  floor: (wiring: EnvoyWiring) => withoutMirroring(floorBootstrap(wiring)),
  'edge-unsampled': (wiring: EnvoyWiring) => withoutMirroring(filterBootstrap(wiring, { json: true, sampledPercent: 0 })),
  'edge-5': (wiring: EnvoyWiring) => withoutMirroring(filterBootstrap(wiring, { json: true, sampledPercent: 5 })),
  edge: (wiring: EnvoyWiring) => withoutMirroring(filterBootstrap(wiring, { json: false })),
  digest: (wiring: EnvoyWiring) => withoutMirroring(filterBootstrap(wiring, { json: true })),
} as const;
export type EnvoyProfileVariant = keyof typeof ENVOY_PROFILE_VARIANTS;

export interface EnvoyProfile {
  variant: EnvoyProfileVariant;
  document: CutName;
  requestsPerSecond: number;
  cpuUsPerRequest: number;
  perfData: string;
  /** `perf report` by thread and shared object, then by symbol (Envoy's binary is stripped: its own code shows as addresses). */
  byObject: string;
  bySymbol: string;
}

const WARM_SECONDS = 3;
const CONNECTIONS = 64;

/** The `perf report` table without its comment header, cut to `rows` rows. */
async function perfReport(perfData: string, sort: string, rows: number): Promise<string> {
  const { stdout } = await run('perf', ['report', '-i', perfData, '--stdio', '--no-children', '--sort', sort, '--percent-limit', '0.5'], {
    maxBuffer: 64 * 2 ** 20,
  });
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .slice(0, rows)
    .join('\n');
}

/**
 * One Envoy of the bench (pinned, --concurrency 1) under closed-loop wrk load on `document`, its
 * threads sampled by `perf record -e cpu-clock` (software clock: this VM exposes no hardware
 * counters, so no instruction counts) for `seconds`.
 */
export async function profileEnvoy(
  variant: EnvoyProfileVariant,
  document: CutName,
  seconds: number,
  outDir: string,
): Promise<EnvoyProfile> {
  await ensureSystemTools((line) => process.stderr.write(`${line}\n`), [PERF_TOOL]);
  const layout = coreLayout();
  const unpin = await pinThisProcessToLoadCore(layout);
  await mkdir(outDir, { recursive: true });
  if (variant === 'floor') await buildNoopFilter();
  const upstream = await startNginxUpstream(layout, cutDocuments());
  const stops: Array<() => Promise<void>> = [() => upstream.stop()];
  try {
    const collector = await startChildServer(layout, layout.loadCore, join(import.meta.dirname, 'collectorSink.ts'), ['accept']);
    stops.push(() => collector.process.stop());
    const ports = { edge: await freePort(), admin: await freePort() };
    const bootstrap = ENVOY_PROFILE_VARIANTS[variant]({
      edgePort: ports.edge,
      adminPort: ports.admin,
      primary: upstream.primary,
      shadow: upstream.shadow,
      collector: { address: '127.0.0.1', port: collector.port },
    });
    const envoy = await startEnvoy(bootstrap, measuredEnvoyOptions(variant, layout));
    stops.push(() => envoy.stop());
    const url = `${envoy.edgeUrl}${documentPath(document)}`;
    await runWrk(layout, url, WARM_SECONDS, CONNECTIONS);
    const perfData = join(outDir, `envoy-${variant}-${document}.perf.data`);
    const cpuBefore = await cpuSeconds(envoy.pid);
    const [load] = await Promise.all([
      runWrk(layout, url, seconds, CONNECTIONS),
      run('perf', ['record', '-e', 'cpu-clock', '-F', '999', '-p', String(envoy.pid), '-o', perfData, '--', 'sleep', String(seconds)]),
    ]);
    const cpu = (await cpuSeconds(envoy.pid)) - cpuBefore;
    return {
      variant,
      document,
      requestsPerSecond: load.requestsPerSecond,
      cpuUsPerRequest: (cpu / load.requests) * 1e6,
      perfData,
      byObject: await perfReport(perfData, 'comm,dso', 12),
      bySymbol: await perfReport(perfData, 'dso,sym', 20),
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
    await unpin();
  }
}
