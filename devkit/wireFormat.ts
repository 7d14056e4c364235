// The wire format for tests: the collector's types (derived from the wire schemas), strict
// validators compiled from the published schema files themselves (versions 1 and 2), and the
// collector's own validator and decoder, so a test reads every batch as the records the collector
// would ingest.
import { Ajv, type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { WIRE_V1_HASH, type DigestBatchV2, type DigestRecordV2, type HashAlgorithm } from '../collector/ingest/wireSchemaV2.js';
import { WireValidator } from '../collector/ingest/wireValidator.js';
import type { DigestBatch, DigestRecord, IngestedRecord } from '../collector/types.js';
import { WIRE_FORMAT_SCHEMA, WIRE_FORMAT_V2_SCHEMA } from './paths.js';

export type { DigestBatch, DigestRecord } from '../collector/types.js';

const ajv = new Ajv({ allErrors: true });
const publishedV1 = ajv.compile<DigestBatch>(JSON.parse(readFileSync(WIRE_FORMAT_SCHEMA, 'utf8')) as object);
const publishedV2 = ajv.compile<DigestBatchV2>(JSON.parse(readFileSync(WIRE_FORMAT_V2_SCHEMA, 'utf8')) as object);
const collector = new WireValidator();

/** A batch as the filter sent it (`wire`) and as the collector reads it (`records`, version 1's shape). */
export interface DecodedBatch {
  v: 1 | 2;
  source: string;
  sentUnixMs: number;
  hash: HashAlgorithm;
  records: IngestedRecord[];
  wire: unknown;
}

function isV2(value: unknown): value is DigestBatchV2 {
  return typeof value === 'object' && value !== null && (value as { v?: unknown }).v === 2;
}

/**
 * Null when `value` is a valid batch of either version: valid against its published schema file,
 * and every record accepted by the collector (which also checks what a schema cannot, such as
 * version 2's path indices). Else every problem.
 */
export function wireFormatErrors(value: unknown): string | null {
  const published: ValidateFunction = isV2(value) ? publishedV2 : publishedV1;
  if (!published(value)) return ajv.errorsText(published.errors);
  const verdict = collector.check(value);
  const problems = [...verdict.batchErrors, ...verdict.recordErrors].map(
    (e) => `${e.index === undefined ? '' : `records[${e.index}].`}${e.field}: ${e.message}`,
  );
  return problems.length === 0 ? null : problems.join('; ');
}

/** The batch `value` (a parsed export body) as the collector reads it; throws when it is not valid. */
export function decodeBatch(value: unknown): DecodedBatch {
  const errors = wireFormatErrors(value);
  if (errors !== null) throw new Error(`not a valid wire-format batch: ${errors}`);
  const batch = value as DigestBatch | DigestBatchV2;
  const hash = isV2(batch) ? batch.hash : WIRE_V1_HASH;
  return { v: batch.v, source: batch.source, sentUnixMs: batch.sentUnixMs, hash, records: collector.check(value).records, wire: value };
}

/**
 * `records` as a wire format 2 batch, built the way the filter builds one
 * (filter/assembly/outbox/batchEncoder.ts): each distinct path once in the batch's table, in the
 * order the records first name it, each record's paths as runs of table indices, its hashes
 * concatenated; a record without fields has neither.
 */
export function encodeBatchV2(
  records: readonly DigestRecord[],
  envelope: { source: string; sentUnixMs: number; hash?: HashAlgorithm },
): DigestBatchV2 {
  const paths: string[] = [];
  const indexOf = new Map<string, number>();
  const encoded = records.map(({ fields, ...members }): DigestRecordV2 => {
    const entries = Object.entries(fields);
    if (entries.length === 0) return members;
    const pathRuns: Array<[number, number]> = [];
    for (const [path] of entries) {
      let index = indexOf.get(path);
      if (index === undefined) {
        index = paths.push(path) - 1;
        indexOf.set(path, index);
      }
      const last = pathRuns.at(-1);
      if (last !== undefined && last[0] + last[1] === index) last[1]++;
      else pathRuns.push([index, 1]);
    }
    return { ...members, pathRuns, hashes: entries.map(([, value]) => value).join('') };
  });
  const { source, sentUnixMs, hash = WIRE_V1_HASH } = envelope;
  return { v: 2, source, sentUnixMs, hash, records: encoded, paths };
}

/** A key over 256 bytes in a leaf path, named by its hash. */
const HASHED_KEY = /\["#[0-9a-f]{8}"\]/g;

/**
 * `record` with every hash (body, headers, leaves, and the names of over-long keys in leaf paths)
 * replaced by its length: what does not depend on the hash family, to compare records of the two
 * wire versions.
 */
export function hashesBlanked(record: IngestedRecord): IngestedRecord {
  const blank = (hashes: Record<string, string>) =>
    Object.fromEntries(Object.entries(hashes).map(([name, hash]) => [name.replace(HASHED_KEY, '["#8"]'), `${hash.length}`]));
  return { ...record, bodyHash: `${record.bodyHash.length}`, headers: blank(record.headers), fields: blank(record.fields) };
}
