import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** A child process the harness started: its pid for /proc, its output for errors, and a stop that always reaps it. */
export interface ManagedProcess {
  readonly pid: number;
  readonly name: string;
  alive(): boolean;
  /** The last few kB the process printed. */
  output(): string;
  /** SIGTERM, then SIGKILL after a grace period; resolves once it exited. */
  stop(): Promise<void>;
}

const OUTPUT_TAIL_BYTES = 16 * 1024;
/** Every process the harness started and has not stopped: killed when the harness exits however it exits. */
const running = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    process.kill(process.pid, signal);
  });
}

export function startProcess(name: string, command: string, args: string[], options: { cwd?: string } = {}): ManagedProcess {
  const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  running.add(child);
  let output = '';
  const keep = (chunk: string): void => {
    output = (output + chunk).slice(-OUTPUT_TAIL_BYTES);
  };
  child.stdout?.setEncoding('utf8').on('data', keep);
  child.stderr?.setEncoding('utf8').on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => running.delete(child));
  const pid = child.pid;
  return {
    pid,
    name,
    alive: () => child.exitCode === null && child.signalCode === null,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const graceful = await Promise.race([exited.then(() => true), sleep(5_000, false, { ref: false })]);
      if (!graceful) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
