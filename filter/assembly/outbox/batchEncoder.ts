// Joins queued records into one export batch body, in wire format 1
// (filter/wire-format.schema.json: every record lists its fields as "path":"hash") or 2
// (filter/wire-format-v2.schema.json: the batch carries a path table, each record names its
// paths by runs of table indices and its hashes as one hex string).
import { ByteWriter } from "../lib/byteWriter";
import { HashAlgorithm } from "../lib/streamingHash";
import { boolText, EncodedRecord } from "./recordEncoder";
import { literalEnd, MAX_TABLE_PATHS, PathTable } from "./pathTable";

export const WIRE_V1: i32 = 1;
export const WIRE_V2: i32 = 2;

/**
 * The hash family of the digests a wire format version carries: version 1 has always carried
 * FNV-1a (its collectors know no other), version 2 carries XXH64 and names it in `hash`.
 */
export function wireHash(version: i32): HashAlgorithm {
  if (version == WIRE_V1) return HashAlgorithm.Fnv1a64;
  return HashAlgorithm.XxHash64;
}

/** A hash algorithm as version 2's `hash` member names it. */
function hashName(algorithm: HashAlgorithm): string {
  if (algorithm == HashAlgorithm.XxHash64) return "xxh64";
  return "fnv1a";
}

export class BatchEncoder {
  private out: ByteWriter = new ByteWriter(16384);
  private table: PathTable = new PathTable();
  private leafRuns: PathRuns = new PathRuns();
  private subtreeRuns: PathRuns = new PathRuns();

  /** How many records the last `encode` took from the front of its `records`. */
  taken: i32 = 0;

  /**
   * One batch body of the records at the front of `records`, in the wire format version of the
   * first (each record keeps the version its digest was hashed for): all of them, except that the
   * batch ends early (never before its first record) at a record of another version, or, in
   * version 2, when the next record's paths could push the path table past its limit.
   */
  encode(records: Array<EncodedRecord>, source: string, sentUnixMs: u64): ArrayBuffer {
    const out = this.out;
    const version = records.length > 0 ? unchecked(records[0]).wireVersion : WIRE_V2;
    out.reset();
    out.raw("{\"v\":");
    out.decimal(<u64>version);
    out.raw(",\"source\":");
    out.jsonString(source);
    out.raw(",\"sentUnixMs\":");
    out.decimal(sentUnixMs);
    if (version == WIRE_V2) {
      out.raw(",\"hash\":\"");
      out.raw(hashName(wireHash(version)));
      out.byte(0x22);
      this.table.reset();
      this.leafRuns.forget();
      this.subtreeRuns.forget();
    }
    out.raw(",\"records\":[");
    let i = 0;
    for (; i < records.length; i++) {
      const record = unchecked(records[i]);
      if (record.wireVersion != version) break;
      if (version == WIRE_V2 && i > 0 && this.table.size + record.fieldCount + subtreeCount(record) > MAX_TABLE_PATHS) break;
      if (i > 0) out.byte(0x2c);
      out.bytes(changetype<usize>(record.head), record.head.byteLength);
      if (version == WIRE_V2 && record.upstreamUs >= 0) {
        out.raw(",\"upstreamUs\":");
        out.decimal(<u64>record.upstreamUs);
      }
      if (version == WIRE_V2) this.fieldsV2(record);
      else this.fieldsV1(record);
      out.raw(",\"fieldsTruncated\":");
      out.raw(boolText(record.fieldsTruncated));
      if (version == WIRE_V2) this.subtreesV2(record);
      out.byte(0x7d);
    }
    this.taken = i;
    out.byte(0x5d);
    if (version == WIRE_V2) {
      out.raw(",\"paths\":[");
      const literals = this.table.literals;
      if (literals.length > 0) out.bytes(literals.dataStart, literals.length - 1);
      out.byte(0x5d);
    }
    out.byte(0x7d);
    return out.toArrayBuffer();
  }

  /** `,"fields":{"path":"hash",...}`: present in every version 1 record, empty unless json is ok. */
  private fieldsV1(record: EncodedRecord): void {
    this.out.raw(",\"fields\":{");
    writeFieldMembers(this.out, changetype<usize>(record.paths), record.paths.byteLength, changetype<usize>(record.hashes), record.fieldCount);
  }

  /** `,"pathRuns":[[first,count],...],"hashes":"..."`, or nothing for a record without fields. */
  private fieldsV2(record: EncodedRecord): void {
    if (record.fieldCount == 0) return;
    this.runsAndHashes(",\"pathRuns\":", this.leafRuns.of(this.table, record.paths, record.fieldCount), ",\"hashes\":\"", record.hashes);
    const out = this.out;
    out.byte(0x22);
    if (record.values.byteLength > 0) out.bytes(changetype<usize>(record.values), record.values.byteLength);
  }

  /**
   * `,"subtreeRuns":[[first,count],...],"subtreeHashes":"...","subtreesTruncated":bool` for a
   * record with subtree hashes: their names go into the same path table as the leaves'.
   */
  private subtreesV2(record: EncodedRecord): void {
    const subtrees = record.subtrees;
    if (subtrees === null || subtrees.count == 0) return;
    this.runsAndHashes(",\"subtreeRuns\":", this.subtreeRuns.of(this.table, subtrees.paths, subtrees.count), ",\"subtreeHashes\":\"", subtrees.hashes);
    this.out.raw("\",\"subtreesTruncated\":");
    this.out.raw(boolText(subtrees.truncated));
  }

  /** `<runsMember>[[first,count],...]<hashesMember>…`: a path list's table runs, then its hashes' text (the caller closes it). */
  private runsAndHashes(runsMember: string, runs: ByteWriter, hashesMember: string, hashes: ArrayBuffer): void {
    const out = this.out;
    out.raw(runsMember);
    out.bytes(runs.dataStart, runs.length);
    out.raw(hashesMember);
    out.bytes(changetype<usize>(hashes), hashes.byteLength);
  }
}

/**
 * The `[[first,count],...]` runs of table indices of one kind of path list (leaf paths, or subtree
 * names) of the last record that had one in this batch. Records of one route usually repeat the
 * previous record's list exactly, and a path's index never changes within a batch: one compare
 * then replaces a table lookup per path.
 */
class PathRuns {
  private runs: ByteWriter = new ByteWriter(64);
  private previous: ArrayBuffer | null = null;

  /** A new batch (a new table): the kept runs name indices of the old one. */
  forget(): void {
    this.previous = null;
  }

  /** The runs of the `entries` paths in `pathLiterals`, added to `table` where new. */
  of(table: PathTable, pathLiterals: ArrayBuffer, entries: i32): ByteWriter {
    const previous = this.previous;
    const length = pathLiterals.byteLength;
    const same = previous !== null && previous.byteLength == length && memory.compare(changetype<usize>(previous), changetype<usize>(pathLiterals), length) == 0;
    if (!same) this.write(table, pathLiterals, entries);
    this.previous = pathLiterals;
    return this.runs;
  }

  private write(table: PathTable, pathLiterals: ArrayBuffer, entries: i32): void {
    const runs = this.runs;
    runs.reset();
    runs.byte(0x5b);
    const paths = changetype<usize>(pathLiterals);
    const end = paths + <usize>pathLiterals.byteLength;
    let p = paths;
    let first = -1;
    let count = 0;
    for (let i = 0; i < entries; i++) {
      const literal = literalEnd(p, end);
      const index = table.indexOf(p, <i32>(literal - p));
      p = literal + 1;
      if (first >= 0 && index == first + count) {
        count++;
        continue;
      }
      if (first >= 0) this.run(first, count);
      first = index;
      count = 1;
    }
    if (first >= 0) this.run(first, count);
    runs.byte(0x5d);
  }

  private run(first: i32, count: i32): void {
    const runs = this.runs;
    if (runs.length > 1) runs.byte(0x2c);
    runs.byte(0x5b);
    runs.decimal(<u64>first);
    runs.byte(0x2c);
    runs.decimal(<u64>count);
    runs.byte(0x5d);
  }
}

function subtreeCount(record: EncodedRecord): i32 {
  const subtrees = record.subtrees;
  if (subtrees === null) return 0;
  return subtrees.count;
}

/**
 * Writes `count` leaves as version 1's `"path":"hash"` members, then the closing brace: `paths`
 * holds the JSON string literals each followed by `,`, `hashes` 8 hex digits per leaf.
 */
export function writeFieldMembers(out: ByteWriter, paths: usize, pathsLength: i32, hashes: usize, count: i32): void {
  const end = paths + <usize>pathsLength;
  let p = paths;
  for (let i = 0; i < count; i++) {
    const literal = literalEnd(p, end);
    if (i > 0) out.byte(0x2c);
    out.bytes(p, <i32>(literal - p));
    out.raw(":\"");
    out.bytes(hashes + (<usize>i << 3), 8);
    out.byte(0x22);
    p = literal + 1; // past the comma
  }
  out.byte(0x7d);
}
