import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export interface OpenLoopOptions {
  ratePerSecond: number;
  seconds: number;
  /** Task `i`; started when due whatever earlier ones are doing. A rejection fails the run, after the rest settle. */
  task(i: number): Promise<void>;
}

export interface OpenLoopResult {
  /** Per task, in schedule order: from when it was due (not when it started) to its end, ms. */
  latencyMs: Float64Array;
  /** Per task: how late it started behind its schedule, ms. */
  startLagMs: Float64Array;
  /** The most tasks unfinished at once. */
  maxInFlight: number;
  /** Tasks started per second: the intervals between the first and the last start. */
  achievedPerSecond: number;
}

/**
 * In-process open-loop load: task i is due at start + i/rate, whatever happened to earlier ones,
 * and starts on a turn of its own (setImmediate), as an I/O event would. Latency is measured from
 * when a task was due, so a pacer or an event loop running late adds to it instead of delaying
 * the tasks after it (coordinated omission). Node timers fire at 1 ms granularity: tasks due
 * within the same millisecond are started together. The in-process analogue of fixedRateClient.
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const total = Math.max(1, Math.round(options.ratePerSecond * options.seconds));
  const latencyMs = new Float64Array(total);
  const startLagMs = new Float64Array(total);
  const tasks: Array<Promise<void>> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const intervalMs = 1000 / options.ratePerSecond;
  const startMs = performance.now();
  const failures: unknown[] = [];
  // Never rejects: a failure is kept for the end, not left unhandled while later tasks are still due.
  const start = (i: number, dueMs: number): Promise<void> =>
    new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => {
        startLagMs[i] = performance.now() - dueMs;
        return options.task(i);
      })
      .catch((error: unknown) => {
        failures.push(error);
      })
      .finally(() => {
        latencyMs[i] = performance.now() - dueMs;
        inFlight--;
      });
  let started = 0;
  while (started < total) {
    const due = Math.min(total, Math.floor((performance.now() - startMs) / intervalMs) + 1);
    for (; started < due; started++) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      tasks.push(start(started, startMs + started * intervalMs));
    }
    if (started < total) await sleep(Math.max(1, startMs + started * intervalMs - performance.now()));
  }
  const elapsedMs = performance.now() - startMs;
  await Promise.all(tasks);
  if (failures.length > 0) throw failures[0];
  const achievedPerSecond = total > 1 ? ((total - 1) * 1000) / elapsedMs : options.ratePerSecond;
  return { latencyMs, startLagMs, maxInFlight, achievedPerSecond };
}
