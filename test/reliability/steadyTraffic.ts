// Client traffic at a fixed rate for a fixed time, as a soak needs it: request i is due at
// start + i / rate, whatever happened to the ones before, so a slow proxy shows up as requests
// in flight (bounded) rather than as a lower rate that hides the problem.
import { setTimeout as sleep } from 'node:timers/promises';

export interface SteadyTrafficOptions {
  ratePerSecond: number;
  durationMs: number;
  /** Requests allowed in flight at once; when reached, the next one waits (and the lag is reported). */
  maxInflight: number;
  /** Sends request `index`; resolves with a description of what was wrong with its answer, or undefined. */
  send(index: number): Promise<string | undefined>;
}

export interface SteadyTrafficResult {
  sent: number;
  /** Requests whose answer was not exactly the expected one, or that failed. */
  failed: number;
  /** The first few failures, for the test's message. */
  failures: string[];
  elapsedMs: number;
  /** The most requests in flight at once. */
  peakInflight: number;
}

const FAILURES_KEPT = 20;

export async function sendAtSteadyRate(options: SteadyTrafficOptions): Promise<SteadyTrafficResult> {
  const total = Math.round((options.ratePerSecond * options.durationMs) / 1000);
  const intervalMs = 1000 / options.ratePerSecond;
  const result: SteadyTrafficResult = { sent: 0, failed: 0, failures: [], elapsedMs: 0, peakInflight: 0 };
  const inflight = new Set<Promise<void>>();
  const fail = (problem: string): void => {
    result.failed++;
    if (result.failures.length < FAILURES_KEPT) result.failures.push(problem);
  };
  const start = Date.now();
  for (let index = 0; index < total; index++) {
    const due = start + index * intervalMs;
    if (due > Date.now()) await sleep(due - Date.now());
    while (inflight.size >= options.maxInflight) await Promise.race(inflight);
    const request = options
      .send(index)
      .then((problem) => (problem === undefined ? undefined : fail(`request ${index}: ${problem}`)))
      .catch((error: unknown) => fail(`request ${index}: ${(error as Error).message}`))
      .finally(() => inflight.delete(request));
    inflight.add(request);
    result.sent++;
    result.peakInflight = Math.max(result.peakInflight, inflight.size);
  }
  await Promise.all(inflight);
  result.elapsedMs = Date.now() - start;
  return result;
}
