import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { onCore, type CoreLayout } from './cpuPinning.js';

const run = promisify(execFile);
const REPORT_SCRIPT = resolve(import.meta.dirname, 'wrkReport.lua');

/** What one closed-loop wrk run achieved. */
export interface ClosedLoopResult {
  requestsPerSecond: number;
  requests: number;
  /** Socket errors plus responses with status >= 400 (wrk counts those as status errors). */
  errors: number;
  p50Ms: number;
  p99Ms: number;
}

interface WrkReport {
  requests: number;
  durationUs: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  p50Us: number;
  p99Us: number;
}

/**
 * Saturation throughput: one wrk thread on the load core keeps `connections` requests in flight
 * (closed loop) for `seconds`.
 */
export async function runWrk(layout: CoreLayout, url: string, seconds: number, connections: number): Promise<ClosedLoopResult> {
  const [command, args] = onCore(layout, layout.loadCore, 'wrk', [
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    '--timeout',
    '5s',
    '-s',
    REPORT_SCRIPT,
    url,
  ]);
  const { stdout } = await run(command, args, { timeout: (seconds + 30) * 1000 });
  const line = stdout.trim().split('\n').at(-1) ?? '';
  let report: WrkReport;
  try {
    report = JSON.parse(line) as WrkReport;
  } catch {
    throw new Error(`wrk printed no report:\n${stdout}`);
  }
  const { connect, read, write, status, timeout } = report.errors;
  return {
    requestsPerSecond: report.requests / (report.durationUs / 1e6),
    requests: report.requests,
    errors: connect + read + write + status + timeout,
    p50Ms: report.p50Us / 1000,
    p99Ms: report.p99Us / 1000,
  };
}
