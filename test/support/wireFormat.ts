// The wire format for tests: the collector's types (the one TypeScript mirror of the wire
// schemas), strict validators compiled from the published schemas themselves (version 1 and 2),
// and the collector's own version 2 decoder, so a test reads every batch as the records the
// collector would ingest.
import { Ajv, type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { decodeRecordV2 } from '../../collector/ingest/wireV2Decoder.js';
import { WIRE_V1_HASH, type DigestBatchV2, type HashAlgorithm } from '../../collector/ingest/wireSchemaV2.js';
import type { DigestBatch, DigestRecord } from '../../collector/types.js';
import { WIRE_FORMAT_SCHEMA, WIRE_FORMAT_V2_SCHEMA } from '../../devkit/paths.js';

export type { DigestBatch, DigestRecord } from '../../collector/types.js';

const ajv = new Ajv({ allErrors: true });
const validateV1 = ajv.compile<DigestBatch>(JSON.parse(readFileSync(WIRE_FORMAT_SCHEMA, 'utf8')) as object);
const validateV2 = ajv.compile<DigestBatchV2>(JSON.parse(readFileSync(WIRE_FORMAT_V2_SCHEMA, 'utf8')) as object);

/** A batch as the filter sent it (`wire`) and as the collector reads it (`records`, version 1 shape). */
export interface DecodedBatch {
  v: 1 | 2;
  source: string;
  sentUnixMs: number;
  hash: HashAlgorithm;
  records: DigestRecord[];
  wire: unknown;
}

function isV2(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { v?: unknown }).v === 2;
}

function schemaErrors(validate: ValidateFunction, value: unknown): string | null {
  return validate(value) ? null : ajv.errorsText(validate.errors);
}

/** Null when `value` is a valid batch of either version (decodable, for version 2), else every violation. */
export function wireFormatErrors(value: unknown): string | null {
  if (!isV2(value)) return schemaErrors(validateV1, value);
  const errors = schemaErrors(validateV2, value);
  if (errors !== null) return errors;
  const batch = value as DigestBatchV2;
  const problems: string[] = [];
  batch.records.forEach((record, index) => {
    const decoded = decodeRecordV2(record, batch.paths, batch.hash);
    if ('field' in decoded) problems.push(`records[${index}].${decoded.field}: ${decoded.message}`);
  });
  return problems.length === 0 ? null : problems.join('; ');
}

/** The batch `value` (a parsed export body) as the collector reads it; throws when it is not valid. */
export function decodeBatch(value: unknown): DecodedBatch {
  const errors = wireFormatErrors(value);
  if (errors !== null) throw new Error(`not a valid wire-format batch: ${errors}`);
  if (!isV2(value)) {
    const batch = value as DigestBatch;
    return { v: 1, source: batch.source, sentUnixMs: batch.sentUnixMs, hash: WIRE_V1_HASH, records: batch.records, wire: value };
  }
  const batch = value as DigestBatchV2;
  const records = batch.records.map((record) => {
    const decoded = decodeRecordV2(record, batch.paths, batch.hash);
    if (!('record' in decoded)) throw new Error(`records: ${decoded.field}: ${decoded.message}`);
    return decoded.record;
  });
  return { v: 2, source: batch.source, sentUnixMs: batch.sentUnixMs, hash: batch.hash, records, wire: value };
}
