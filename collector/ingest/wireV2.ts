// Wire format 2 (filter/wire-format-v2.schema.json): version 1 with the leaf paths moved into one
// table per batch. Decoding turns each schema-valid version 2 record into the in-memory record a
// version 1 batch gives (`fields`: path -> hash, in document order), so joining and comparing
// do not know which version a leg arrived in. What the schema cannot say (an index past the
// table, a count that does not match the hashes, a path named twice) is checked here and named
// by field, like a schema error.

import { readFileSync } from 'node:fs';
import type { DigestRecord } from '../types.js';

/** Hash algorithms a batch can name; version 1 batches are always FNV-1a. */
export const HASH_ALGORITHMS = ['fnv1a', 'xxh64'] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];
export const WIRE_V1_HASH: HashAlgorithm = 'fnv1a';

export const WIRE_V2_SCHEMA_URL = new URL('../../filter/wire-format-v2.schema.json', import.meta.url);

/** A version 2 record as the schema admits it: version 1's members, `fields` replaced. */
export interface DigestRecordV2 extends Omit<DigestRecord, 'fields' | 'hash'> {
  /** runs [first index, count] into the batch's `paths` */
  pathRuns?: Array<[number, number]>;
  /** 8 hex digits per path named by pathRuns */
  hashes?: string;
}

export interface DigestBatchV2 {
  v: 2;
  source: string;
  sentUnixMs: number;
  hash: HashAlgorithm;
  records: DigestRecordV2[];
  paths: string[];
}

const HASH_DIGITS = 8;

export type DecodedRecord = { record: DigestRecord } | { field: string; message: string };

/**
 * The in-memory record of one schema-valid version 2 record, or the first problem with its
 * fields. `hash` is set on the record only when it is not FNV-1a, so a version 2 FNV-1a record
 * is exactly the record its version 1 spelling gives.
 */
export function decodeRecordV2(raw: DigestRecordV2, paths: readonly string[], hash: HashAlgorithm): DecodedRecord {
  const { pathRuns, hashes, fieldsTruncated, ...members } = raw;
  const fields: Record<string, string> = {};
  if (pathRuns !== undefined && hashes !== undefined) {
    let named = 0;
    for (let r = 0; r < pathRuns.length; r++) {
      const [first, count] = pathRuns[r]!;
      if (first + count > paths.length) {
        return { field: `pathRuns[${r}]`, message: `names paths ${first} to ${first + count - 1} but the batch's paths table has ${paths.length}` };
      }
      for (let index = first; index < first + count; index++) {
        const path = paths[index]!;
        if (Object.hasOwn(fields, path)) return { field: `pathRuns[${r}]`, message: `names path ${index} (${JSON.stringify(path)}) a second time` };
        const offset = named * HASH_DIGITS;
        if (offset + HASH_DIGITS > hashes.length) break;
        fields[path] = hashes.slice(offset, offset + HASH_DIGITS);
        named++;
      }
    }
    const sent = hashes.length / HASH_DIGITS;
    const runTotal = pathRuns.reduce((sum, [, count]) => sum + count, 0);
    if (runTotal !== sent) return { field: 'hashes', message: `holds ${sent} hashes but pathRuns names ${runTotal} paths` };
  }
  // In version 1's member order, so a record reads the same whichever version it came in.
  const record: DigestRecord = { ...members, fields, fieldsTruncated };
  if (hash !== WIRE_V1_HASH) record.hash = hash;
  return { record };
}

/** Reads the published version 2 schema (it `$ref`s version 1's, which must be loaded beside it). */
export function loadWireSchemaV2(url: URL = WIRE_V2_SCHEMA_URL): { $id: string } {
  const parsed: unknown = JSON.parse(readFileSync(url, 'utf8'));
  const v = parsed as { $id?: unknown; definitions?: { record?: unknown } } | null;
  if (typeof v?.$id !== 'string' || typeof v.definitions?.record !== 'object') {
    throw new Error(`${url.pathname}: not the shadowdiff wire schema version 2 (expected $id and definitions.record)`);
  }
  return v as { $id: string };
}
