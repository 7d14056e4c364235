// Two reports of the same verdicts compared as the report role promises them equal.

import type { Report } from '../../../collector/report/reportSchema.js';

/** A report without what differs by construction: when it was made, and `pending` (only the join workers know it). */
export function comparable(report: Report): unknown {
  const { generatedAtUnixMs: _at, totals, ...rest } = report;
  const { pending: _pending, ...counted } = totals;
  return { ...rest, totals: counted };
}

/**
 * `comparable`, against a model whose resolution times are not the join workers' (the embedded
 * pipeline fed the legs in arrival order resolves a pair at its second leg's arrival; a join
 * worker at its partition's event time, the highest arrival read so far there): which ids are a
 * field's examples (the latest by resolution time, collector/score/examples.ts) then differs, so
 * of examples and their values only how many are compared. Everything else is a function of the
 * ids and their outcomes: counts, samples (by a hash of the id) and the latency interval.
 */
export function comparableButExamples(report: Report): unknown {
  return JSON.parse(JSON.stringify(comparable(report)), (key, value: unknown) =>
    (key === 'examples' || key === 'exampleValues') && Array.isArray(value) ? value.length : value,
  );
}
