import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EDGE_LISTENER } from '../../envoy/bootstrap.js';
import type { JsonObject } from '../../envoy/json.js';
import { envoyBinary } from './envoyBinary.js';
import { PROJECT_ROOT } from './paths.js';

export type EnvoyLogLevel = 'trace' | 'debug' | 'info' | 'warning' | 'error' | 'critical' | 'off';

export interface StartEnvoyOptions {
  logLevel?: EnvoyLogLevel;
  /** Worker threads; 1 keeps per-worker state (queues, buckets) easy to reason about in tests. */
  concurrency?: number;
  /** How long to wait for the admin `/ready` to say LIVE. */
  readyTimeoutMs?: number;
}

export interface EnvoyInstance {
  /** The Envoy process, e.g. to read its RSS from /proc. */
  pid: number;
  adminUrl: string;
  /** The edge listener, for client traffic. */
  edgeUrl: string;
  /** Counters and gauges from the admin `/stats`, by full name. */
  stats(): Promise<Map<string, number>>;
  /** Everything Envoy printed so far. */
  logs(): string;
  stop(): Promise<void>;
}

/** Every Envoy this process started and has not stopped, so none outlives the test run. */
const running = new Set<ChildProcess>();
let nextBaseId = 0;

function killAllRunning(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

process.on('exit', killAllRunning);
// A test runner that stops a worker by signal skips 'exit' handlers: clean up, then die by the same signal.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAllRunning();
    process.kill(process.pid, signal);
  });
}

/**
 * Runs Envoy on `config` (a bootstrap object; listener ports may be 0) from a temp dir, waits until
 * it is LIVE, and reads back the ports it bound. Envoy runs with the project root as its working
 * directory, so relative paths in a config mean the same as in the shipped envoy/envoy.yaml.
 */
export async function startEnvoy(config: JsonObject, options: StartEnvoyOptions = {}): Promise<EnvoyInstance> {
  const binary = await envoyBinary();
  const dir = await mkdtemp(join(tmpdir(), 'shadowdiff-envoy-'));
  const configPath = join(dir, 'envoy.json');
  const adminAddressPath = join(dir, 'admin-address');
  await writeFile(configPath, JSON.stringify(config, null, 2));

  // Unique per process and per start, so two Envoys (of one test or of two workers) never share
  // a base id; hot restart is off, which keeps them from looking for each other at all.
  const baseId = (process.pid % 40_000) * 100 + (nextBaseId++ % 100);
  const child = spawn(
    binary,
    [
      '--config-path', configPath,
      '--admin-address-path', adminAddressPath,
      '--base-id', String(baseId),
      '--disable-hot-restart',
      '--concurrency', String(options.concurrency ?? 1),
      '--log-level', options.logLevel ?? 'info',
    ],
    { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('exit', () => running.delete(child));

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const graceful = await Promise.race([exited.then(() => true), sleep(5_000, false, { ref: false })]);
      if (!graceful) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const adminUrl = await waitForAdmin(adminAddressPath, exited, () => output, options.readyTimeoutMs ?? 30_000);
    const edgeUrl = await listenerUrl(adminUrl, EDGE_LISTENER);
    return { pid: child.pid ?? 0, adminUrl, edgeUrl, stats: () => readStats(adminUrl), logs: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForAdmin(
  adminAddressPath: string,
  exited: Promise<number | null>,
  logs: () => string,
  timeoutMs: number,
): Promise<string> {
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`Envoy exited (code ${exitCode}) before it was ready:\n${logs()}`);
    const adminUrl = await readAdminUrl(adminAddressPath);
    if (adminUrl !== undefined && (await isLive(adminUrl))) return adminUrl;
    await sleep(50);
  }
  throw new Error(`Envoy was not LIVE within ${timeoutMs} ms:\n${logs()}`);
}

/** Envoy writes `127.0.0.1:PORT` there once the admin listener is bound. */
async function readAdminUrl(adminAddressPath: string): Promise<string | undefined> {
  try {
    const address = (await readFile(adminAddressPath, 'utf8')).trim();
    return address === '' ? undefined : `http://${address}`;
  } catch {
    return undefined;
  }
}

async function isLive(adminUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${adminUrl}/ready`);
    return response.ok && (await response.text()).trim() === 'LIVE';
  } catch {
    return false;
  }
}

interface ListenerStatus {
  name: string;
  local_address?: { socket_address?: { address: string; port_value?: number } };
}

/** Listeners configured with port 0 report the port the kernel gave them. */
async function listenerUrl(adminUrl: string, listenerName: string): Promise<string> {
  const response = await fetch(`${adminUrl}/listeners?format=json`);
  const body = (await response.json()) as { listener_statuses?: ListenerStatus[] };
  const socket = body.listener_statuses?.find((listener) => listener.name === listenerName)?.local_address?.socket_address;
  if (socket?.port_value === undefined) throw new Error(`Envoy has no bound listener named ${listenerName}`);
  return `http://${socket.address}:${socket.port_value}`;
}

interface StatsJson {
  stats: Array<{ name?: string; value?: number }>;
}

async function readStats(adminUrl: string): Promise<Map<string, number>> {
  const response = await fetch(`${adminUrl}/stats?format=json`);
  const body = (await response.json()) as StatsJson;
  const stats = new Map<string, number>();
  for (const stat of body.stats) {
    // Histograms come as their own entry without a name/value pair.
    if (stat.name !== undefined && typeof stat.value === 'number') stats.set(stat.name, stat.value);
  }
  return stats;
}
