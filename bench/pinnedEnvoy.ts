import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JsonObject } from '../envoy/json.js';
import { findEnvoy } from '../scripts/findEnvoy.js';
import { PROJECT_ROOT } from '../test/support/paths.js';
import { onCore, type CoreLayout } from './cpuPinning.js';
import { startProcess, type ManagedProcess } from './managedProcess.js';

/**
 * One Envoy under measurement: `--concurrency 1`, pinned to the system core from exec on (so every
 * thread it ever starts is pinned), with its pid exposed for /proc. test/support's startEnvoy does
 * not expose the pid nor take a CPU list, hence this launcher.
 */
export interface PinnedEnvoy {
  label: string;
  pid: number;
  edgeUrl: string;
  adminUrl: string;
  /** Counters and gauges by name. */
  stats(): Promise<Map<string, number>>;
  process: ManagedProcess;
  stop(): Promise<void>;
}

let envoyPath: Promise<string> | undefined;
let nextBaseId = 0;

export async function startPinnedEnvoy(
  label: string,
  bootstrap: JsonObject,
  ports: { edge: number; admin: number },
  layout: CoreLayout,
): Promise<PinnedEnvoy> {
  envoyPath ??= findEnvoy({ install: true });
  const binary = await envoyPath;
  const dir = await mkdtemp(join(tmpdir(), 'shadowdiff-bench-envoy-'));
  const configPath = join(dir, 'envoy.json');
  await writeFile(configPath, JSON.stringify(bootstrap));
  // Distinct per harness process and per start so concurrent Envoys never share shared memory.
  const baseId = 500_000 + (process.pid % 20_000) * 50 + (nextBaseId++ % 50);
  const [command, args] = onCore(layout, layout.systemCore, binary, [
    '--config-path', configPath,
    '--base-id', String(baseId),
    '--disable-hot-restart',
    '--concurrency', '1',
    '--log-level', 'warning',
  ]);
  // From the repository root, like the shipped bootstrap expects (relative module paths).
  const envoy = startProcess(`envoy ${label}`, command, args, { cwd: PROJECT_ROOT });
  const adminUrl = `http://127.0.0.1:${ports.admin}`;
  const stop = async (): Promise<void> => {
    await envoy.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilLive(adminUrl, envoy);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    label,
    pid: envoy.pid,
    edgeUrl: `http://127.0.0.1:${ports.edge}`,
    adminUrl,
    stats: () => readStats(adminUrl),
    process: envoy,
    stop,
  };
}

async function waitUntilLive(adminUrl: string, envoy: ManagedProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (!envoy.alive()) throw new Error(`${envoy.name} exited before it was ready:\n${envoy.output()}`);
    try {
      const response = await fetch(`${adminUrl}/ready`);
      if (response.ok && (await response.text()).trim() === 'LIVE') return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`${envoy.name} was not LIVE within 60 s:\n${envoy.output()}`);
}

async function readStats(adminUrl: string): Promise<Map<string, number>> {
  const response = await fetch(`${adminUrl}/stats?format=json`);
  const body = (await response.json()) as { stats: Array<{ name?: string; value?: number }> };
  const stats = new Map<string, number>();
  for (const stat of body.stats) if (stat.name !== undefined && typeof stat.value === 'number') stats.set(stat.name, stat.value);
  return stats;
}
