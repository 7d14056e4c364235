// Decodes wire format 2 (wireSchemaV2.ts, published as filter/wire-format-v2.schema.json): each
// schema-valid version 2 record becomes the in-memory record a version 1 batch gives (`fields`:
// path -> hash, in document order), so joining and comparing do not know which version a leg
// arrived in. What the schema cannot say (an index past the
// table, a count that does not match the hashes, a path named twice) is checked here and named
// by field, like a schema error.

import type { IngestedRecord } from './ingestedRecord.js';
import { HASH_DIGITS, WIRE_V1_HASH, type DigestRecordV2, type HashAlgorithm } from './wireSchemaV2.js';

export type DecodedRecord = { record: IngestedRecord } | { field: string; message: string };

/**
 * The in-memory record of one schema-valid version 2 record, or the first problem with its
 * fields. `hash` is set on the record only when it is not FNV-1a, so a version 2 FNV-1a record
 * is exactly the record its version 1 spelling gives.
 */
export function decodeRecordV2(raw: DigestRecordV2, paths: readonly string[], hash: HashAlgorithm): DecodedRecord {
  const { pathRuns, hashes, fieldsTruncated, subtreeRuns, subtreeHashes, subtreesTruncated, values, valuesTruncated, ...members } = raw;
  const fields: Record<string, string> = {};
  /** the paths in the order pathRuns names them: what `values` indexes */
  const named: string[] = [];
  if (pathRuns !== undefined && hashes !== undefined) {
    const problem = decodeRuns(pathRuns, hashes, paths, fields, named, { runs: 'pathRuns', hashes: 'hashes', named: 'paths' });
    if (problem !== null) return problem;
  }
  // In version 1's member order, so a record reads the same whichever version it came in.
  const record: IngestedRecord = { ...members, fields, fieldsTruncated };
  if (hash !== WIRE_V1_HASH) record.hash = hash;
  if (subtreeRuns !== undefined && subtreeHashes !== undefined) {
    const subtrees: Record<string, string> = {};
    const problem = decodeRuns(subtreeRuns, subtreeHashes, paths, subtrees, [], {
      runs: 'subtreeRuns',
      hashes: 'subtreeHashes',
      named: 'entries',
    });
    if (problem !== null) return problem;
    record.subtrees = subtrees;
    record.subtreesTruncated = subtreesTruncated ?? false;
  }
  if (values !== undefined) {
    const decoded = decodeValues(values, named);
    if ('field' in decoded) return decoded;
    record.values = decoded.values;
  }
  if (valuesTruncated === true) record.valuesTruncated = true;
  return { record };
}

interface RunMembers {
  runs: string;
  hashes: string;
  named: string;
}

/**
 * Fills `into` (name -> hash) from index runs into `paths` and their concatenated hashes, and
 * `order` with the names in run order; the first problem, or null.
 */
function decodeRuns(
  runs: readonly (readonly [number, number])[],
  hashes: string,
  paths: readonly string[],
  into: Record<string, string>,
  order: string[],
  members: RunMembers,
): { field: string; message: string } | null {
  for (let r = 0; r < runs.length; r++) {
    const [first, count] = runs[r]!;
    if (first + count > paths.length) {
      return {
        field: `${members.runs}[${r}]`,
        message: `names paths ${first} to ${first + count - 1} but the batch's paths table has ${paths.length}`,
      };
    }
    for (let index = first; index < first + count; index++) {
      const path = paths[index]!;
      if (Object.hasOwn(into, path))
        return { field: `${members.runs}[${r}]`, message: `names path ${index} (${JSON.stringify(path)}) a second time` };
      const offset = order.length * HASH_DIGITS;
      if (offset + HASH_DIGITS > hashes.length) break;
      into[path] = hashes.slice(offset, offset + HASH_DIGITS);
      order.push(path);
    }
  }
  const sent = hashes.length / HASH_DIGITS;
  const runTotal = runs.reduce((sum, [, count]) => sum + count, 0);
  if (runTotal !== sent)
    return { field: members.hashes, message: `holds ${sent} hashes but ${members.runs} names ${runTotal} ${members.named}` };
  return null;
}

/** `values` keyed by the path of the leaf each names. */
function decodeValues(
  values: ReadonlyArray<readonly [number, string]>,
  named: readonly string[],
): { values: Record<string, string> } | { field: string; message: string } {
  const byPath: Record<string, string> = {};
  for (let i = 0; i < values.length; i++) {
    const [leaf, value] = values[i]!;
    const path = named[leaf];
    if (path === undefined) return { field: `values[${i}]`, message: `names leaf ${leaf} but the record has ${named.length}` };
    if (Object.hasOwn(byPath, path))
      return { field: `values[${i}]`, message: `names leaf ${leaf} (${JSON.stringify(path)}) a second time` };
    byPath[path] = value;
  }
  return { values: byPath };
}
