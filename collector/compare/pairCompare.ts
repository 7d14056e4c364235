// Compares the two legs of one request. The structural digest decides when both legs carry a
// complete one (so ignore rules and key order do not matter); otherwise the whole-body hash
// decides and the diff says why (`fallback`). Legs hashed with different algorithms (filters of
// two releases during a rollout) compare no hash at all: status, completion, body size and JSON
// verdict decide, and the fallback says so, so such a pair is never diverged for its algorithm.

import { diffFields, NO_DIFFS, type FieldDiffResult } from './fieldDiff.js';
import { hasSubtreeRoot, localizeSubtrees, type SubtreeDiffResult } from './subtreeLocalizer.js';
import type { RouteIgnore } from './ignoreRules.js';
import { Tolerances } from './tolerance.js';
import { withValues } from './valueDiff.js';
import { WIRE_V1_HASH } from '../ingest/wireSchemaV2.js';
import type { DivergenceKind, FallbackReason, HeaderDiff, IngestedRecord, PairDiff } from '../types.js';

/** The response headers compared: a fixed list, or every header the filter digested. */
export type HeaderSelection = readonly string[] | 'all';

const NO_HEADER_DIFFS: HeaderDiff[] = [];
Object.freeze(NO_HEADER_DIFFS);
const NO_KINDS: DivergenceKind[] = [];
Object.freeze(NO_KINDS);

export function statusClass(status: number): number {
  return Math.floor(status / 100);
}

/** An error for error-rate purposes: no response, a 5xx, or a response cut short. */
export function isError(record: IngestedRecord): boolean {
  return record.status === 0 || record.status >= 500 || !record.complete;
}

/** False when the legs' hashes cannot be compared (absent `hash`: version 1's FNV-1a). */
export function sameHashAlgorithm(primary: IngestedRecord, shadow: IngestedRecord): boolean {
  return (primary.hash ?? WIRE_V1_HASH) === (shadow.hash ?? WIRE_V1_HASH);
}

export function fallbackReason(primary: IngestedRecord, shadow: IngestedRecord): FallbackReason | null {
  if (!sameHashAlgorithm(primary, shadow)) return 'hash_algorithm_differs';
  if (primary.decoding === 'unsupported' || shadow.decoding === 'unsupported') return 'encoding_unsupported';
  if (notDecoded(primary) || notDecoded(shadow)) return 'decoding_failed';
  if (primary.json !== shadow.json) return 'json_state_differs';
  if (primary.json === 'malformed') return 'json_malformed';
  if (primary.json === 'none') return 'json_none';
  // Documents beyond the leaf budget compare by their subtree digests when both legs have one.
  if (primary.fieldsTruncated || shadow.fieldsTruncated)
    return hasSubtreeRoot(primary) && hasSubtreeRoot(shadow) ? null : 'fields_truncated';
  // Bodies such as [] and {} have no leaves; only the body hash can tell them apart.
  if (primary.bodyHash !== shadow.bodyHash && isEmpty(primary.fields) && isEmpty(shadow.fields)) return 'no_fields';
  return null;
}

/** A content-encoded body whose digest is of its bytes as received, not of its content. */
function notDecoded(record: IngestedRecord): boolean {
  return record.decoding !== undefined && record.decoding !== 'ok';
}

function isEmpty(map: Readonly<Record<string, string>>): boolean {
  for (const _ in map) return false;
  return true;
}

export function comparePair(
  primary: IngestedRecord,
  shadow: IngestedRecord,
  ignore: RouteIgnore,
  headerSelection: HeaderSelection,
  tolerances: Tolerances = Tolerances.NONE,
): PairDiff {
  const statusClassChanged = statusClass(primary.status) !== statusClass(shadow.status);
  const statusChanged = primary.status !== shadow.status;
  const completionChanged = primary.complete !== shadow.complete;
  const comparable = sameHashAlgorithm(primary, shadow);
  const bodyHashDiffers = comparable && primary.bodyHash !== shadow.bodyHash;
  const headerResult = comparable ? diffHeaders(primary.headers, shadow.headers, ignore, headerSelection) : NO_HEADER_RESULT;
  const fallback = fallbackReason(primary, shadow);
  const bySubtrees = fallback === null && (primary.fieldsTruncated || shadow.fieldsTruncated);
  let fieldResult: FieldDiffResult | SubtreeDiffResult | null = null;
  if (bySubtrees) fieldResult = localizeSubtrees(primary, shadow, ignore);
  else if (fallback === null) fieldResult = diffFields(primary.fields, shadow.fields, ignore);
  // A subtree entry that is a captured leaf (same path) gets its values and tolerance too.
  const valued = withValues(fieldResult?.diffs ?? NO_DIFFS, primary.values, shadow.values, tolerances);
  const fields = valued.diffs;
  const headerDiverged = headerResult.diffs.length > 0;
  // Without comparable hashes, bodies of other sizes or JSON verdicts still certainly differ.
  const bodyDiverged = comparable
    ? fallback !== null && bodyHashDiffers
    : primary.respBytes !== shadow.respBytes || primary.json !== shadow.json;
  const diverged = statusChanged || completionChanged || headerDiverged || bodyDiverged || fields.length > 0;

  let kinds = NO_KINDS;
  if (diverged) {
    kinds = [];
    if (statusClassChanged) kinds.push('status_class');
    else if (statusChanged) kinds.push('status');
    if (completionChanged) kinds.push('completion');
    if (headerDiverged) kinds.push('header');
    if (bodyDiverged) kinds.push('body');
    if (fields.length > 0) kinds.push('field');
  }

  const diff: PairDiff = {
    diverged,
    kinds,
    basis: fallback !== null ? 'body' : bySubtrees ? 'subtrees' : 'fields',
    fallback,
    status: { primary: primary.status, shadow: shadow.status },
    statusClassChanged,
    completionChanged,
    bodyHashDiffers,
    headers: headerResult.diffs,
    fields,
    ignoredHeaders: headerResult.ignored,
    ignoredFields: fieldResult?.ignored ?? 0,
  };
  if (fieldResult !== null && 'inconclusive' in fieldResult) diff.inconclusive = fieldResult.inconclusive;
  if (valued.withinTolerance.length > 0) diff.withinTolerance = valued.withinTolerance;
  return diff;
}

interface HeaderDiffResult {
  diffs: HeaderDiff[];
  ignored: number;
}

const NO_HEADER_RESULT: Readonly<HeaderDiffResult> = Object.freeze({ diffs: NO_HEADER_DIFFS, ignored: 0 });

function diffHeaders(
  primary: Readonly<Record<string, string>>,
  shadow: Readonly<Record<string, string>>,
  ignore: RouteIgnore,
  selection: HeaderSelection,
): HeaderDiffResult {
  const result: HeaderDiffResult = { diffs: NO_HEADER_DIFFS, ignored: 0 };
  if (selection === 'all') {
    for (const name in primary) compareHeader(name, primary, shadow, ignore, result);
    for (const name in shadow) if (!Object.hasOwn(primary, name)) compareHeader(name, primary, shadow, ignore, result);
  } else {
    for (const name of selection) compareHeader(name, primary, shadow, ignore, result);
  }
  return result;
}

function compareHeader(
  name: string,
  primary: Readonly<Record<string, string>>,
  shadow: Readonly<Record<string, string>>,
  ignore: RouteIgnore,
  result: HeaderDiffResult,
): void {
  // Header names such as `constructor` are legal, so look up own properties only.
  const p = Object.hasOwn(primary, name) ? (primary[name] ?? null) : null;
  const s = Object.hasOwn(shadow, name) ? (shadow[name] ?? null) : null;
  if (p === s) return;
  if (ignore.header(name)) {
    result.ignored++;
    return;
  }
  if (result.diffs === NO_HEADER_DIFFS) result.diffs = [];
  const change = s === null ? 'missing_in_shadow' : p === null ? 'extra_in_shadow' : 'changed';
  result.diffs.push({ name, change, primary: p, shadow: s });
}
