// The collector's report once a known number of requests has been joined, and the totals of a
// run in which nothing was lost, duplicated, crossed or late.
import type { Report } from '../../collector/types.js';
import { waitUntil } from '../../devkit/waitUntil.js';

/** Waits until the collector at `url` has resolved at least `requests` pairs, then returns its report. */
export function reportOncePaired(url: string, requests: number, timeoutMs = 30_000): Promise<Report> {
  return waitUntil(
    `${requests} pairs joined`,
    async () => {
      const current = (await (await fetch(`${url}/v1/report`)).json()) as Report;
      return current.totals.coverage.pairs >= requests ? current : undefined;
    },
    { timeoutMs },
  );
}

/** Every one of `requests` requests is exactly one pair, `diverged` of them diverged. */
export function everyRequestOnePair(requests: number, diverged: number): Partial<Report['totals']> {
  return {
    records: { primary: requests, shadow: requests },
    duplicates: 0,
    late: 0,
    rejectedRecords: 0,
    pending: 0,
    matched: requests - diverged,
    diverged,
    coverage: { pairs: requests, shadowMissing: 0, primaryMissing: 0, evicted: 0, shadowCoverage: requests === 0 ? null : 1 },
  };
}
