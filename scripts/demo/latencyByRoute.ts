// The report's latency per route in one table, the route whose shadow got most slower at p95 first,
// with the collector's verdict (a finding only when the paired interval is past the threshold).
// p95 rather than p99: in a run of a few hundred pairs on a busy machine, a handful of scheduling
// stalls decide each leg's p99, while a regression that hits one request in ten or more (the N+1
// on cache misses) moves the shadow's p95 and leaves the primary's alone.

import { LATENCY_RULE, latencyVerdictCells, table } from '../../collector/cli/reportTable.js';
import type { Report } from '../../collector/types.js';

export function renderLatencyByRoute(report: Report): string {
  const routes = [...report.routes].sort((a, b) => (b.latencyMs.delta.p95 ?? -Infinity) - (a.latencyMs.delta.p95 ?? -Infinity));
  return table(
    ['ROUTE', 'P50 P→S', 'P95 P→S', 'FINDING', 'PAIRED P95 Δ, 95% CI', 'P95 Δ'],
    routes.map(({ route, latencyMs: { primary, shadow, delta, verdict } }) => {
      const cells = latencyVerdictCells(verdict);
      return [
        route,
        `${ms(primary.p50)}→${ms(shadow.p50)}`,
        `${ms(primary.p95)}→${ms(shadow.p95)}`,
        cells.finding,
        `${cells.delta} (${cells.interval})`,
        delta.p95 === null ? '-' : `${delta.p95 >= 0 ? '+' : ''}${ms(delta.p95)}`,
      ];
    }),
    ['left', 'right', 'right', 'left', 'right', 'right'],
  );
}

/** The table's title: what the numbers are and when a row is a finding. */
export const LATENCY_BY_ROUTE_TITLE = `latency by route, upstream request to last upstream byte on each leg, the largest p95 increase first (${LATENCY_RULE})`;

function ms(value: number | null): string {
  return value === null ? '-' : `${value.toFixed(1)}ms`;
}
