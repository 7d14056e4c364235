import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** A child process we started: its pid for /proc, its output for errors, and a stop that always reaps it. */
export interface ManagedProcess {
  readonly pid: number;
  readonly name: string;
  alive(): boolean;
  /** Its exit code once it exited by itself; null while it runs or when a signal ended it. */
  exitCode(): number | null;
  /** What the process printed (stdout and stderr), at most the last `outputTailBytes`. */
  output(): string;
  /** SIGTERM, then SIGKILL after a grace period; resolves once it exited. */
  stop(): Promise<void>;
}

export interface StartProcessOptions {
  cwd?: string;
  /** The child's whole environment; this process's when absent. */
  env?: NodeJS.ProcessEnv;
  /** How much of the output to keep; the default (16 KiB) is enough to say why a start failed. */
  outputTailBytes?: number;
}

const DEFAULT_OUTPUT_TAIL_BYTES = 16 * 1024;
/** Every process this Node process started and has not stopped: killed when it exits however it exits. */
const running = new Set<ChildProcess>();

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

export function startProcess(name: string, command: string, args: string[], options: StartProcessOptions = {}): ManagedProcess {
  const tailBytes = options.outputTailBytes ?? DEFAULT_OUTPUT_TAIL_BYTES;
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  running.add(child);
  let output = '';
  const keep = (chunk: string): void => {
    output += chunk;
    if (output.length > tailBytes) output = output.slice(-tailBytes);
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
    exitCode: () => child.exitCode,
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
