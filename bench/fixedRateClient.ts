import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { RawHttpConnection } from './rawHttpConnection.js';

export interface FixedRateOptions {
  port: number;
  /** The next complete request (head and body), sent on a keep-alive connection. */
  nextRequest(): Buffer;
  ratePerSecond: number;
  seconds: number;
  /** Open before the run starts; enough that a free one is (nearly) always there at 50% load. */
  connections: number;
}

/** Latencies in milliseconds of the requests that completed with 2xx, sorted ascending. */
export interface FixedRateResult {
  sent: number;
  completed: number;
  /** Real failures: non-2xx answers, connection errors or resets, and requests sent but unanswered when the drain ends. */
  errors: number;
  /**
   * Requests still queued in this client (every connection busy) when the drain ends: the rate was more
   * than the server could take, which is not the server failing them, so they are not errors.
   */
  notSentInTime: number;
  achievedPerSecond: number;
  /** Request written to first response byte. */
  firstByteMs: Float64Array;
  /** Request written to last response byte. */
  totalMs: Float64Array;
  /** Requests that found every connection busy and waited for one (should stay 0 at 50% load). */
  waitedForConnection: number;
  /** 99th percentile of how late the pacer dispatched requests behind their schedule. */
  scheduleLagP99Ms: number;
}

/**
 * Open-loop load at a fixed rate: request i is due at start + i/rate, whatever happened to earlier
 * ones. Node timers fire at 1 ms granularity, so requests due within the same millisecond leave
 * together. Latency is measured from the moment a request is written, and waits for a free
 * connection are counted (they would be coordinated omission if they happened).
 */
export async function runFixedRate(options: FixedRateOptions): Promise<FixedRateResult> {
  const opened: RawHttpConnection[] = [];
  const open = async (): Promise<RawHttpConnection> => {
    const connection = await RawHttpConnection.open(options.port);
    opened.push(connection);
    return connection;
  };
  const idle: RawHttpConnection[] = [];
  for (let i = 0; i < options.connections; i++) idle.push(await open());
  const total = Math.max(1, Math.round(options.ratePerSecond * options.seconds));
  const firstByte = new Float64Array(total);
  const last = new Float64Array(total);
  const lag = new Float64Array(total);
  let sent = 0;
  let completed = 0;
  let errors = 0;
  let waited = 0;
  let backlog = 0;
  let inflight = 0;
  const startMs = performance.now();
  const intervalMs = 1000 / options.ratePerSecond;

  const dispatch = (connection: RawHttpConnection): void => {
    inflight++;
    connection.send(options.nextRequest()).then(
      (timing) => {
        inflight--;
        if (timing.status >= 200 && timing.status < 300) {
          firstByte[completed] = timing.firstByteMs - timing.sentMs;
          last[completed] = timing.lastByteMs - timing.sentMs;
          completed++;
        } else {
          errors++;
        }
        release(connection);
      },
      () => {
        inflight--;
        errors++;
        void reopen();
      },
    );
  };
  const release = (connection: RawHttpConnection): void => {
    if (backlog > 0) {
      backlog--;
      dispatch(connection);
    } else {
      idle.push(connection);
    }
  };
  const reopen = async (): Promise<void> => {
    try {
      release(await open());
    } catch {
      // The pool shrinks; later requests wait and are counted as waited.
    }
  };

  while (sent < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor((now - startMs) / intervalMs) + 1);
    for (; sent < due; sent++) {
      lag[sent] = now - (startMs + sent * intervalMs);
      const connection = idle.pop();
      if (connection === undefined) {
        waited++;
        backlog++;
      } else {
        dispatch(connection);
      }
    }
    await sleep(Math.max(1, startMs + sent * intervalMs - performance.now()));
  }
  const elapsedMs = performance.now() - startMs;
  const drainDeadline = performance.now() + 10_000;
  while ((inflight > 0 || backlog > 0) && performance.now() < drainDeadline) await sleep(5);
  for (const connection of opened) connection.close();
  // In flight at the drain deadline: sent and never answered, a failure of the server. Still queued: never sent.
  errors += inflight;

  return {
    sent,
    completed,
    errors,
    notSentInTime: backlog,
    achievedPerSecond: completed / (elapsedMs / 1000),
    firstByteMs: firstByte.slice(0, completed).sort(),
    totalMs: last.slice(0, completed).sort(),
    waitedForConnection: waited,
    scheduleLagP99Ms: lag.sort()[Math.floor(0.99 * (lag.length - 1))] ?? 0,
  };
}
