// After the last response the demo waits until every digest has reached the collector and been
// joined: mirrored copies can still be in flight, and the filter exports in batches on a timer.
// The report printed then is the whole run, not a snapshot of half of it.

import type { Report } from '../../collector/types.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EnvoyInstance } from '../../devkit/envoyProcess.js';
import { sameFilterStats } from '../../devkit/filterStats.js';

/** Longer than the demo filters' tick (export.flushIntervalMs, demoFilterConfigs.ts). */
const SETTLE_MS = 300;

const ROLES = ['edge', 'shadow'] as const;

/** True when each role's filter has nothing queued or in flight and every digest was exported or counted as dropped. */
export function exportsDrained(stats: ReadonlyMap<string, number>): boolean {
  return ROLES.every((role) => {
    const stat = (name: string): number => stats.get(`wasmcustom.shadowdiff.${role}.${name}`) ?? 0;
    const accounted = stat('exported_records') + stat('dropped_queue_full') + stat('dropped_export_failed');
    return stat('queue_depth') === 0 && stat('inflight') === 0 && accounted === stat('digested');
  });
}

export async function fetchReport(collectorUrl: string): Promise<Report> {
  const response = await fetch(`${collectorUrl}/v1/report`);
  if (!response.ok) throw new Error(`GET ${collectorUrl}/v1/report answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Report;
}

/**
 * The report once Envoy has exported everything and the collector has no leg waiting for its
 * partner; null if that did not happen within `timeoutMs` (the caller reports what there is).
 */
export async function settledReport(envoy: EnvoyInstance, collectorUrl: string, timeoutMs: number): Promise<Report | null> {
  const deadline = Date.now() + timeoutMs;
  // The filter publishes its counters on its tick: drained counts only once they held still for
  // longer than a tick, or the last records' counts may not be out yet.
  let previous = await envoy.stats();
  while (Date.now() < deadline) {
    await sleep(SETTLE_MS);
    const current = await envoy.stats();
    if (exportsDrained(current) && sameFilterStats(previous, current)) {
      const report = await fetchReport(collectorUrl);
      if (report.totals.pending === 0) return report;
    }
    previous = current;
  }
  return null;
}
