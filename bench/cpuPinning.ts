import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { withCpuAffinity } from '../devkit/cpuAffinity.js';

const run = promisify(execFile);

/**
 * Which core runs what. On two or more cores the process under test (Envoy, or the collector) gets
 * core 0 to itself and everything that makes or serves load (wrk, nginx, this harness, the stub
 * servers) shares core 1, so the proxy's cost is not blurred by the load's. With one core nothing
 * is pinned and the report says so.
 */
export interface CoreLayout {
  pinned: boolean;
  /** e.g. "0" */
  systemCore: string;
  loadCore: string;
  describe: string;
}

export function coreLayout(): CoreLayout {
  if (availableParallelism() < 2) {
    return { pinned: false, systemCore: '', loadCore: '', describe: 'not pinned (fewer than 2 cores)' };
  }
  return {
    pinned: true,
    systemCore: '0',
    loadCore: '1',
    describe: 'system under test on core 0; load, upstreams and harness on core 1 (taskset)',
  };
}

/** The command line that runs `command` on `core` (unchanged when not pinned). */
export function onCore(layout: CoreLayout, core: string, command: string, args: string[]): [string, string[]] {
  return withCpuAffinity(layout.pinned ? core : undefined, command, args);
}

/**
 * Moves every thread of this Node process (the harness and its in-process clients) onto the load
 * core, and returns how to put it back (a test worker must not stay pinned after the run).
 */
export async function pinThisProcessToLoadCore(layout: CoreLayout): Promise<() => Promise<void>> {
  if (!layout.pinned) return async () => {};
  const { stdout } = await run('taskset', ['-p', '-c', String(process.pid)]);
  const original = stdout.slice(stdout.lastIndexOf(':') + 1).trim();
  await run('taskset', ['-a', '-p', '-c', layout.loadCore, String(process.pid)]);
  return async () => {
    await run('taskset', ['-a', '-p', '-c', original, String(process.pid)]);
  };
}
