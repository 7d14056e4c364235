// The rollout verdict at the top of the overview: the gate of the shipped alert rule, the worst
// route's upper bound against report.gateMaxUpperBound (the report's rolloutGate), and the routes
// ranked as the report ranks them. Pure.

import type { Report, RouteReport, WilsonInterval } from '../report/reportSchema.js';

/** The interval the gate judges a route by: its gate count's with triples (secondary-proven noise left out), else its divergence's. */
export function gateInterval(route: RouteReport): WilsonInterval | null {
  return route.gate?.ci95 ?? route.divergenceCi95;
}

export type Verdict =
  | { kind: 'no_data'; threshold: number }
  | { kind: 'open' | 'closed'; threshold: number; worst: RouteReport; upperBound: number; routesOver: number };

export function rolloutVerdict(report: Report): Verdict {
  const threshold = report.rolloutGate.maxUpperBound;
  let worst: RouteReport | null = null;
  let upperBound = -1;
  let routesOver = 0;
  for (const route of report.routes) {
    const high = gateInterval(route)?.high;
    if (high === undefined) continue;
    if (high > threshold) routesOver++;
    if (high > upperBound) {
      upperBound = high;
      worst = route;
    }
  }
  if (worst === null) return { kind: 'no_data', threshold };
  return { kind: upperBound > threshold ? 'closed' : 'open', threshold, worst, upperBound, routesOver };
}
