// Decodes wire format 2 (wireSchemaV2.ts, published as filter/wire-format-v2.schema.json): each
// schema-valid version 2 record becomes the in-memory record a version 1 batch gives (`fields`:
// path -> hash, in document order), so joining and comparing do not know which version a leg
// arrived in. What the schema cannot say (an index past the
// table, a path named twice, a count that does not match the hashes) is checked here and named
// by field, like a schema error: the runs first (once per batch for the runs its records share),
// then the hash count.

import type { IngestedRecord } from './ingestedRecord.js';
import { RecordBuilders } from './recordBuilders.js';
import { DigestRecordV2Schema, HASH_DIGITS, WIRE_V1_HASH, type DigestRecordV2, type HashAlgorithm } from './wireSchemaV2.js';

/** The version 2 members the decoder turns into others (or sets in their place); every other member is the record's as it is. */
const DECODED_HERE: ReadonlySet<string> = new Set<keyof DigestRecordV2>([
  'pathRuns',
  'hashes',
  'fieldsTruncated',
  'subtreeRuns',
  'subtreeHashes',
  'subtreesTruncated',
  'values',
  'valuesTruncated',
]);

/** The version 2 record's other members, which a record keeps as they are; one process-wide set of builders for their orders. */
const BUILDERS = new RecordBuilders(
  new Set(Object.keys(DigestRecordV2Schema.properties).filter((name) => !DECODED_HERE.has(name))),
  DECODED_HERE,
);

/** What a record's members fail on, named like a schema error. */
type Problem = { field: string; message: string };

export type DecodedRecord = { record: IngestedRecord } | Problem;

/** Records whose runs are at most this many share their resolution within a batch (a route's records name the same runs). */
const SHARED_RUNS = 16;

/**
 * A batch's path table, and the paths each distinct list of runs names, resolved once per batch:
 * the records of one route name the same runs, so their paths are looked up, and checked for a
 * run past the table or a path named twice, once.
 */
export class PathTable {
  private readonly resolved = new Map<string, readonly string[] | Problem>();
  /** The runs last resolved for each member, and what they name: the next record's are most often the same. */
  private readonly last = new Map<RunMembers, { runs: readonly (readonly [number, number])[]; names: readonly string[] | Problem }>();

  constructor(readonly paths: readonly string[]) {}

  /** The paths `runs` (the record's member `members.runs`) names, in order, or the first problem with them. */
  names(runs: readonly (readonly [number, number])[], members: RunMembers): readonly string[] | Problem {
    if (runs.length > SHARED_RUNS) return this.resolve(runs, members);
    // Compared run by run, not by a key: the key text cost more than the rest of the lookup.
    const last = this.last.get(members);
    if (last !== undefined && sameRuns(runs, last.runs)) return last.names;
    // Every run is two integers (the schema checked it), so the flat text names the runs.
    const key = `${members.runs}:${runs.join(',')}`;
    let names = this.resolved.get(key);
    if (names === undefined) {
      names = this.resolve(runs, members);
      this.resolved.set(key, names);
    }
    this.last.set(members, { runs, names });
    return names;
  }

  private resolve(runs: readonly (readonly [number, number])[], members: RunMembers): readonly string[] | Problem {
    const names: string[] = [];
    const seen = new Set<string>();
    for (let r = 0; r < runs.length; r++) {
      const [first, count] = runs[r]!;
      if (first + count > this.paths.length) {
        return {
          field: `${members.runs}[${r}]`,
          message: `names paths ${first} to ${first + count - 1} but the batch's paths table has ${this.paths.length}`,
        };
      }
      for (let index = first; index < first + count; index++) {
        const path = this.paths[index]!;
        if (seen.has(path))
          return { field: `${members.runs}[${r}]`, message: `names path ${index} (${JSON.stringify(path)}) a second time` };
        seen.add(path);
        names.push(path);
      }
    }
    return names;
  }
}

/**
 * The in-memory record of one schema-valid version 2 record, or the first problem with its
 * fields. `hash` is set on the record only when it is not FNV-1a, so a version 2 FNV-1a record
 * is exactly the record its version 1 spelling gives.
 */
export function decodeRecordV2(raw: DigestRecordV2, table: PathTable, hash: HashAlgorithm): DecodedRecord {
  const { pathRuns, hashes, fieldsTruncated, subtreeRuns, subtreeHashes, subtreesTruncated, values, valuesTruncated } = raw;
  const fields: Record<string, string> = {};
  /** the paths in the order pathRuns names them: what `values` indexes */
  let named: readonly string[] = [];
  if (pathRuns !== undefined && hashes !== undefined) {
    const decoded = decodeRuns(pathRuns, hashes, table, fields, PATH_RUNS);
    if ('field' in decoded) return decoded;
    named = decoded;
  }
  // The members version 1 spells alike, in their order, then the fields: the record reads the same
  // whichever version it came in (recordBuilders.ts; a rest destructuring of the record,
  // `{ pathRuns, …, ...members }`, took four times as long as a copy loop).
  const record = BUILDERS.build(raw, fields, fieldsTruncated, hash === WIRE_V1_HASH ? undefined : hash);
  if (subtreeRuns !== undefined && subtreeHashes !== undefined) {
    const subtrees: Record<string, string> = {};
    const decoded = decodeRuns(subtreeRuns, subtreeHashes, table, subtrees, SUBTREE_RUNS);
    if ('field' in decoded) return decoded;
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

const PATH_RUNS: RunMembers = { runs: 'pathRuns', hashes: 'hashes', named: 'paths' };
const SUBTREE_RUNS: RunMembers = { runs: 'subtreeRuns', hashes: 'subtreeHashes', named: 'entries' };

function sameRuns(a: readonly (readonly [number, number])[], b: readonly (readonly [number, number])[]): boolean {
  if (a.length !== b.length) return false;
  for (let r = 0; r < a.length; r++) if (a[r]![0] !== b[r]![0] || a[r]![1] !== b[r]![1]) return false;
  return true;
}

/** Fills `into` (name -> hash) from index runs into the table and their concatenated hashes; the names in run order, or the first problem. */
function decodeRuns(
  runs: readonly (readonly [number, number])[],
  hashes: string,
  table: PathTable,
  into: Record<string, string>,
  members: RunMembers,
): readonly string[] | Problem {
  const names = table.names(runs, members);
  if ('field' in names) return names;
  const sent = hashes.length / HASH_DIGITS;
  if (names.length !== sent)
    return { field: members.hashes, message: `holds ${sent} hashes but ${members.runs} names ${names.length} ${members.named}` };
  for (let k = 0; k < names.length; k++) into[names[k]!] = hashes.slice(k * HASH_DIGITS, (k + 1) * HASH_DIGITS);
  return names;
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
