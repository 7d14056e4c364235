import { setTimeout as sleep } from 'node:timers/promises';
import { onCore, type CoreLayout } from './cpuPinning.js';
import { startProcess, type ManagedProcess } from '../devkit/managedProcess.js';

/** The line a server entry point prints once it listens. */
export const LISTENING_LINE = 'listening on port';

/** Tells the harness which port an entry point's server got. */
export function announcePort(port: number): void {
  process.stdout.write(`${LISTENING_LINE} ${port}\n`);
}

export interface ChildServer {
  port: number;
  process: ManagedProcess;
}

/**
 * Runs a TypeScript server entry point of bench/ in its own Node process on `core`: a stub that
 * shared the harness's event loop would add its work to the latency the harness measures.
 * `nodeArgs` go to Node itself (e.g. --cpu-prof).
 */
export async function startChildServer(
  layout: CoreLayout,
  core: string,
  entry: string,
  args: string[],
  nodeArgs: string[] = [],
): Promise<ChildServer> {
  const [command, commandArgs] = onCore(layout, core, process.execPath, [...nodeArgs, '--import', 'tsx', entry, ...args]);
  const child = startProcess(entry, command, commandArgs);
  const deadline = Date.now() + 30_000;
  const pattern = new RegExp(`${LISTENING_LINE} (\\d+)`);
  for (;;) {
    const port = pattern.exec(child.output())?.[1];
    if (port !== undefined) return { port: Number(port), process: child };
    if (!child.alive() || Date.now() > deadline) {
      await child.stop();
      throw new Error(`${entry} did not start:\n${child.output()}`);
    }
    await sleep(20);
  }
}
