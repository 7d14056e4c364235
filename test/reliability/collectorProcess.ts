// The collector as operators run it: `shadowdiff collector --config FILE` in its own process, so a
// test can SIGKILL it (a crash), SIGTERM it (a graceful stop) and read its RSS from /proc.
// Started with `--inspect` among its node flags, it also exposes its inspector's DevTools URL, so
// a test can force a full garbage collection in it (forcedGarbageCollection.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROJECT_ROOT } from '../../devkit/paths.js';
import { waitUntil } from '../../devkit/waitUntil.js';

export interface CollectorProcess {
  url: string;
  pid: number;
  /** Its inspector's DevTools WebSocket URL, when started with `--inspect`. */
  inspectorUrl: string | undefined;
  /** Everything it printed (pino JSON lines) so far. */
  output(): string;
  /** Resident set size in bytes, from /proc. */
  rssBytes(): Promise<number>;
  /** Sends `signal` and waits for the exit; resolves with the exit code (null when killed by the signal). */
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<ChildProcess>();
/** Numbers the config files, so processes started in one directory in the same millisecond keep their own. */
let started = 0;
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A scratch directory holding a collector's config file and store. */
export async function collectorDir(): Promise<{ dir: string; storePath: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'shadowdiff-collector-'));
  return { dir, storePath: join(dir, 'store', 'collector.sqlite'), remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface CollectorProcessOptions {
  /** Flags for node itself, before the script (e.g. `--inspect=127.0.0.1:0`). */
  nodeFlags?: readonly string[];
  /** Flags for `shadowdiff collector` after `--config` (e.g. `--roles ingest`), as an operator passes them. */
  args?: readonly string[];
}

/** Starts the CLI with `config` (written as JSON into `dir`), on a free loopback port. */
export async function startCollectorProcess(
  dir: string,
  config: Record<string, unknown>,
  env: Record<string, string> = {},
  { nodeFlags = [], args = [] }: CollectorProcessOptions = {},
): Promise<CollectorProcess> {
  started += 1;
  const configPath = join(dir, `collector-${Date.now()}-${started}.json`);
  await writeFile(configPath, JSON.stringify({ listen: { host: '127.0.0.1', port: 0 }, ...config }));
  const child = spawn(
    process.execPath,
    [...nodeFlags, join(PROJECT_ROOT, 'collector/bin/shadowdiff.js'), 'collector', '--config', configPath, ...args],
    {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.add(child);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => running.delete(child));

  const stop = async (signal: NodeJS.Signals): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const code = await Promise.race([exited, sleep(15_000, 'timeout' as const)]);
    if (code === 'timeout') {
      child.kill('SIGKILL');
      throw new Error(`collector did not exit within 15 s of ${signal}:\n${output}`);
    }
    return code;
  };
  try {
    const url = await waitUntil(
      'the collector to listen',
      () => {
        if (child.exitCode !== null) throw new Error(`collector exited (${child.exitCode}):\n${output}`);
        return /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      },
      // The store's worker starts its own TypeScript loader: seconds more on a busy machine.
      { timeoutMs: 45_000 },
    );
    return {
      url,
      // Node prints it on stderr before running the script, so it is there once the collector listens.
      inspectorUrl: /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1],
      pid: child.pid ?? 0,
      output: () => output,
      rssBytes: () => processRssBytes(child.pid ?? 0),
      stop,
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

/** VmRSS of a process, in bytes. */
export async function processRssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) * 1024;
}
