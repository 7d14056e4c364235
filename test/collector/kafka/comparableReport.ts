// Two reports of the same verdicts compared as the report role promises them equal.

import type { Report } from '../../../collector/report/reportSchema.js';

/**
 * A report without what differs by construction: when it was made, `pending` (only the join
 * workers know it), and which ids a field's examples are: the last report.examplesPerField
 * counted, so they depend on the order the instance read the partitions in (kept: how many).
 */
export function comparable(report: Report): unknown {
  const { generatedAtUnixMs: _at, totals, ...rest } = report;
  const { pending: _pending, ...counted } = totals;
  return JSON.parse(JSON.stringify({ ...rest, totals: counted }), (key, value: unknown) =>
    key === 'examples' && Array.isArray(value) ? value.length : value,
  );
}

/**
 * `comparable`, for two readers that counted the same pairs in another order (the report role's
 * partitions against the embedded pipeline's arrival order): a latency verdict's interval and
 * delta are a bootstrap over the route's pair reservoir in its order, recomputed lazily
 * (collector/score/latencyVerdict.ts), so they differ within the noise; its finding, pairs and
 * the quantiles are compared.
 */
export function comparableInAnyOrder(report: Report): unknown {
  return JSON.parse(JSON.stringify(comparable(report)), (key, value: unknown) =>
    key === 'verdict' && typeof value === 'object' && value !== null && 'ci95' in value ? { ...value, ci95: null, deltaMs: null } : value,
  );
}
