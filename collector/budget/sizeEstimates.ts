// Cheap estimates of what the collector's state costs in heap bytes, from the validated values
// themselves: string lengths plus a fixed overhead per object, array slot and property. They are
// calibrated against V8 (one-byte strings; a parsed record with 4,096 fields of 1,000-character
// paths holds ~4.2 MB, 10 fields of 20 characters ~1 KB) and err on the high side. Each costs a
// walk over a record's keys, no more than validation already did.

import type { FieldDiff, PairDiff } from '../compare/divergence.js';
import type { PairView } from '../report/reportSchema.js';
import type { IngestedRecord } from '../ingest/ingestedRecord.js';
import { CORRELATION_ID } from '../ingest/wireSchema.js';
import { EXAMPLE_VALUE_CHARS } from '../score/fieldValues.js';
import { MAGNITUDE_SAMPLE_SIZE } from '../score/magnitudeSummary.js';
import { VALUE_SAMPLE_SIZE } from '../score/noise.js';

/** a V8 string's header */
const STRING = 16;
/** a property of a dictionary-mode object (the record's fields and headers): key, value, details, table slack; plus the 8-hex value string */
const MAP_PROPERTY = 72;
/** the record object and its fixed-shape fields */
const RECORD = 512;
/** a diff entry: an object with four fields */
const DIFF_ENTRY = 64;
/** a pair view, its diff object and the arrays in it */
const PAIR_VIEW = 384;
/** a pending join entry and its slots in the insertion-ordered map */
const JOIN_ENTRY = 160;

/** Two latency sketches (Uint32Array of ~1,100 buckets each), the kind and fallback tallies, the route string's object. */
const ROUTE_TALLY = 10_240;
/** A field or header tally: the object, its examples' arrays and value sample (values and keys), its heap slot and index entry. */
const CHANGE_TALLY = 256 + 16 * VALUE_SAMPLE_SIZE;

function mapBytes(map: Readonly<Record<string, string>>): number {
  let bytes = 0;
  for (const key in map) bytes += key.length + MAP_PROPERTY;
  return bytes;
}

/** A record as received or decoded, with the subtree digest and captured values a version 2 record may carry. */
export function recordBytes(record: IngestedRecord): number {
  return (
    RECORD +
    4 * STRING +
    record.id.length +
    record.path.length +
    record.authority.length +
    (record.requestId?.length ?? 0) +
    mapBytes(record.fields) +
    mapBytes(record.headers) +
    (record.subtrees === undefined ? 0 : mapBytes(record.subtrees)) +
    capturedBytes(record.values)
  );
}

/** Captured values: a property each, and the value string's own length (longer than a hash). */
function capturedBytes(values: Readonly<Record<string, string>> | undefined): number {
  if (values === undefined) return 0;
  let bytes = 0;
  for (const key in values) bytes += key.length + MAP_PROPERTY + STRING + (values[key]?.length ?? 0);
  return bytes;
}

export function pendingLegBytes(record: IngestedRecord): number {
  return JOIN_ENTRY + recordBytes(record);
}

/** The records a retained pair holds (shared with nobody once the join let go of them) and its diffs (a triple's secondary and its diff too). */
export function pairViewBytes(view: PairView): number {
  let bytes = PAIR_VIEW + view.id.length + (view.route?.length ?? 0);
  for (const leg of [view.primary, view.shadow, view.secondary]) if (leg !== null && leg !== undefined) bytes += recordBytes(leg);
  for (const diff of [view.diff, view.secondaryDiff]) if (diff !== null && diff !== undefined) bytes += diffBytes(diff);
  return bytes;
}

/** A diff's entries, and what captured values add to them. */
function diffBytes(diff: PairDiff): number {
  const entries = (diff.fields.length + diff.headers.length + (diff.inconclusive?.length ?? 0)) * DIFF_ENTRY;
  return entries + valuedDiffBytes(diff.fields) + valuedDiffBytes(diff.withinTolerance ?? []);
}

/** What captured values add to diff entries: their strings, a magnitude object; and the entries within tolerance. */
function valuedDiffBytes(diffs: readonly FieldDiff[]): number {
  let bytes = 0;
  for (const diff of diffs) {
    if (diff.primaryValue === undefined && diff.shadowValue === undefined) continue;
    bytes +=
      DIFF_ENTRY +
      2 * STRING +
      (diff.primaryValue?.length ?? 0) +
      (diff.shadowValue?.length ?? 0) +
      (diff.magnitude === undefined ? 0 : DIFF_ENTRY);
  }
  return bytes;
}

export function routeTallyBytes(route: string): number {
  return ROUTE_TALLY + STRING + route.length;
}

/** A field (path) or header (name) tally with `examples` correlation ids. */
export function changeTallyBytes(key: string, examples: number): number {
  // per example: its id (a slot and the string) and its time
  return CHANGE_TALLY + STRING + key.length + examples * (16 + STRING + CORRELATION_ID.maxLength);
}

/** A field's value parts (score/fieldValues.ts): the magnitude sample and `examples` pairs of cut values. */
export function fieldValueBytes(examples: number): number {
  const valuePair = 32 + 2 * (STRING + EXAMPLE_VALUE_CHARS + 1);
  // the sample with its keys, the examples' value pairs, and the smallest and largest difference's pair with its id
  return 128 + MAGNITUDE_SAMPLE_SIZE * 56 + examples * valuePair + 2 * (valuePair + 64 + STRING + CORRELATION_ID.maxLength);
}
