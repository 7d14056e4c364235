// The pair page's rows: both legs side by side, one row per property, header and field either leg
// has, each marked with how it differed (the pair's diff decides, so ignored fields and fields
// within tolerance are not highlighted as differences). Pure.

import type { DiffChange, FieldDiff } from '../compare/divergence.js';
import { display } from '../ingest/capturedValue.js';
import type { PairView } from '../report/reportSchema.js';

export type LegRecord = NonNullable<PairView['primary']>;

/** How a row differed: a change the diff counted, `within_tolerance` (shown, not counted), or null when equal. */
export type RowDifference = DiffChange | 'within_tolerance' | 'inconclusive' | null;

export interface PairRow {
  key: string;
  primary: string | null;
  shadow: string | null;
  difference: RowDifference;
}

export interface PairRows {
  summary: PairRow[];
  headers: PairRow[];
  fields: PairRow[];
}

const legValue = (record: LegRecord | null, read: (record: LegRecord) => string): string | null => (record === null ? null : read(record));

/** A field as the page shows it: its captured value when the filter captured one, else its hash. */
function fieldText(record: LegRecord | null, path: string, diffValue: string | null | undefined): string | null {
  if (diffValue !== undefined && diffValue !== null) return diffValue;
  if (record === null) return null;
  const captured = record.values?.[path];
  if (captured !== undefined) return display(captured);
  const hash = record.fields[path];
  return hash === undefined ? null : `#${hash}`;
}

function union(...lists: ReadonlyArray<Iterable<string>>): string[] {
  const seen = new Set<string>();
  for (const list of lists) for (const item of list) seen.add(item);
  return [...seen];
}

export function pairRows(pair: PairView): PairRows {
  const { primary, shadow, diff } = pair;
  const summaryRow = (key: string, read: (record: LegRecord) => string, differs: boolean): PairRow => ({
    key,
    primary: legValue(primary, read),
    shadow: legValue(shadow, read),
    difference: differs ? 'changed' : null,
  });
  const summary = [
    summaryRow('status', (r) => String(r.status), diff !== null && diff.status.primary !== diff.status.shadow),
    summaryRow('complete', (r) => (r.complete ? 'yes' : 'no'), diff?.completionChanged === true),
    summaryRow('body hash', (r) => r.bodyHash, diff?.bodyHashDiffers === true),
    summaryRow('body', (r) => `${r.respBytes} bytes, JSON ${r.json}${r.fieldsTruncated ? ' (fields truncated)' : ''}`, false),
    summaryRow('latency (last byte)', (r) => `${r.lastByteUs / 1000} ms`, false),
    summaryRow('segment', (r) => r.segment, false),
    summaryRow('request', (r) => `${r.method} ${r.path}`, false),
  ];

  const headerChanges = new Map((diff?.headers ?? []).map((h) => [h.name, h.change]));
  const headers = union(Object.keys(primary?.headers ?? {}), Object.keys(shadow?.headers ?? {}), headerChanges.keys())
    .sort()
    .map(
      (name): PairRow => ({
        key: name,
        primary: primary?.headers[name] ?? null,
        shadow: shadow?.headers[name] ?? null,
        difference: headerChanges.get(name) ?? null,
      }),
    );

  const fieldDiffs = new Map<
    string,
    { difference: RowDifference; primaryValue: string | null | undefined; shadowValue: string | null | undefined }
  >();
  const note = (list: readonly FieldDiff[], as?: RowDifference): void => {
    for (const f of list) fieldDiffs.set(f.path, { difference: as ?? f.change, primaryValue: f.primaryValue, shadowValue: f.shadowValue });
  };
  note(diff?.withinTolerance ?? [], 'within_tolerance');
  note(diff?.inconclusive ?? [], 'inconclusive');
  note(diff?.fields ?? []);
  // Document order of the primary, then what only the shadow has.
  const fields = union(Object.keys(primary?.fields ?? {}), Object.keys(shadow?.fields ?? {}), fieldDiffs.keys()).map((path): PairRow => {
    const found = fieldDiffs.get(path);
    return {
      key: path,
      primary: fieldText(primary, path, found?.primaryValue),
      shadow: fieldText(shadow, path, found?.shadowValue),
      difference: found?.difference ?? null,
    };
  });
  return { summary, headers, fields };
}

/** In words, for the row's badge (never colour alone). */
export const DIFFERENCE_LABELS: Record<NonNullable<RowDifference>, string> = {
  changed: 'differs',
  missing_in_shadow: 'missing in shadow',
  extra_in_shadow: 'only in shadow',
  within_tolerance: 'within tolerance',
  inconclusive: 'inconclusive',
};
