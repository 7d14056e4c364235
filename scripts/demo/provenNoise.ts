// With --secondary, what the second orders v1 proved: how many of the report's field rows (each
// route's) are noise by the triples' evidence, under which paths, and what the rollout gate then
// leaves out. The demo declares no ignore rules in that mode, so this is the whole of its noise.

import type { Report } from '../../collector/types.js';

/** The summary line, or null when the run has no triples (no --secondary). */
export function renderProvenNoise(report: Report): string | null {
  if (report.totals.coverage.triples === undefined) return null;
  const proven = report.routes.flatMap((route) => route.fields.filter((field) => field.secondary?.finding === 'noise'));
  const paths = [...new Set(proven.map((field) => field.path))].sort();
  const noiseOnly = report.routes.reduce((sum, route) => sum + (route.gate?.noiseOnly ?? 0), 0);
  return (
    `proven noise: the secondary proved ${proven.length} fields noise on ${report.routes.length} routes ` +
    `(${paths.join(', ') || 'none'}) with no ignore rules declared; the rollout gate leaves out ${noiseOnly} pairs that differed only in them`
  );
}
