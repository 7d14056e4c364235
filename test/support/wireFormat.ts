// The wire format for tests: the collector's types (derived from the wire schemas), strict
// validators compiled from the published schema files themselves (versions 1 and 2), and the
// collector's own validator and decoder, so a test reads every batch as the records the collector
// would ingest.
import { Ajv, type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { WIRE_V1_HASH, type DigestBatchV2, type HashAlgorithm } from '../../collector/ingest/wireSchemaV2.js';
import { WireValidator } from '../../collector/ingest/wireValidator.js';
import type { DigestBatch, IngestedRecord } from '../../collector/types.js';
import { WIRE_FORMAT_SCHEMA, WIRE_FORMAT_V2_SCHEMA } from '../../devkit/paths.js';

export type { DigestBatch, DigestRecord } from '../../collector/types.js';

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
  const problems = [...verdict.batchErrors, ...verdict.recordErrors].map((e) => `${e.index === undefined ? '' : `records[${e.index}].`}${e.field}: ${e.message}`);
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
