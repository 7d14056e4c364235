// Validates digest batches against the filter's wire schema, loaded from filter/ at start-up so
// the filter and the collector can never disagree about the contract.
//
// Policy for a batch with some bad records: the good records are accepted and every bad one is
// reported (index, id, field). A batch whose envelope is wrong, or with no good record, is
// rejected whole. The filter never retries, so dropping 31 good legs for one bad one would
// only turn into spurious shadow_missing/primary_missing counts.

import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { DigestRecord } from './types.js';
import type { ErrorDetail } from './errors.js';
import { formatFieldPath, locateSchemaError } from './schemaErrors.js';

export const WIRE_SCHEMA_URL = new URL('../filter/wire-format.schema.json', import.meta.url);

export interface WireSchema {
  $id: string;
  definitions: { record: { properties: { id: { pattern: string; maxLength: number } } } };
  [key: string]: unknown;
}

export function loadWireSchema(url: URL = WIRE_SCHEMA_URL): WireSchema {
  const parsed: unknown = JSON.parse(readFileSync(url, 'utf8'));
  if (!isWireSchema(parsed)) {
    throw new Error(`${url.pathname}: not the shadowdiff wire schema (expected $id and definitions.record.properties.id)`);
  }
  return parsed;
}

function isWireSchema(value: unknown): value is WireSchema {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { $id?: unknown; definitions?: { record?: { properties?: { id?: { pattern?: unknown; maxLength?: unknown } } } } };
  const id = v.definitions?.record?.properties?.id;
  return typeof v.$id === 'string' && typeof id?.pattern === 'string' && typeof id.maxLength === 'number';
}

export interface BatchVerdict {
  /** records that passed validation, in batch order */
  records: DigestRecord[];
  /** problems with the batch itself (envelope); non-empty means nothing is accepted */
  batchErrors: ErrorDetail[];
  /** problems with individual records */
  recordErrors: ErrorDetail[];
  /** number of distinct records with errors */
  rejectedRecords: number;
  /** length of `records` when it was an array, else 0 */
  received: number;
}

/**
 * Turns one schema-valid record of a schema-valid batch envelope into the in-memory record, or
 * names what the schema could not check (e.g. an index into the batch's path table).
 */
export type RecordDecoder<B, R> = (record: R, batch: B) => DecodedRecord;
export type DecodedRecord = { record: DigestRecord } | { field: string; message: string };

export interface BatchValidatorOptions<B, R> {
  /** Schemas the wire schema `$ref`s by `$id` (version 2 refers to version 1's members). */
  references?: readonly object[];
  /** Absent: the record as validated (version 1). */
  decode?: RecordDecoder<B, R>;
}

export class BatchValidator<R = DigestRecord, B extends { records: R[] } = { records: R[] }> {
  private readonly fast: ValidateFunction<B>;
  private readonly thorough: ValidateFunction<B>;
  private readonly isRecord: ValidateFunction<R>;
  private readonly decode: RecordDecoder<B, R> | undefined;

  constructor(schema: { $id: string }, options: BatchValidatorOptions<B, R> = {}) {
    // Two compilations: the fast one stops at the first error (the common, valid case); the
    // thorough one runs only for bad batches, to name every problem.
    const fast = new Ajv({ strict: true });
    const thorough = new Ajv({ strict: true, allErrors: true });
    for (const reference of options.references ?? []) {
      fast.addSchema(reference);
      thorough.addSchema(reference);
    }
    this.fast = fast.compile<B>(schema);
    this.thorough = thorough.compile<B>(schema);
    const recordValidator = thorough.getSchema<R>(`${schema.$id}#/definitions/record`);
    if (recordValidator === undefined) throw new Error('wire schema has no definitions.record');
    this.isRecord = recordValidator;
    this.decode = options.decode;
  }

  check(body: unknown): BatchVerdict {
    if (this.fast(body)) {
      if (this.decode === undefined) {
        const records = body.records as unknown as DigestRecord[];
        return { records, batchErrors: [], recordErrors: [], rejectedRecords: 0, received: records.length };
      }
      return this.decoded(body, body.records.map((_, i) => i), [], body.records.length);
    }
    this.thorough(body);
    const errors = this.thorough.errors ?? [];
    const batchErrors: ErrorDetail[] = [];
    const recordErrors: ErrorDetail[] = [];
    const badIndices = new Set<number>();
    const rawRecords = recordsOf(body);
    for (const error of errors) {
      const located = locate(error, rawRecords);
      if (located === null) continue;
      if (located.index === undefined) batchErrors.push(located);
      else {
        badIndices.add(located.index);
        recordErrors.push(located);
      }
    }
    const good: number[] = [];
    if (rawRecords !== null) {
      for (let i = 0; i < rawRecords.length; i++) {
        if (!badIndices.has(i) && this.isRecord(rawRecords[i])) good.push(i);
      }
    }
    const received = rawRecords?.length ?? 0;
    if (this.decode === undefined || batchErrors.length > 0) {
      const records = good.map((i) => rawRecords![i] as DigestRecord);
      return { records, batchErrors, recordErrors, rejectedRecords: badIndices.size, received };
    }
    return this.decoded(body as B, good, recordErrors, received);
  }

  /** Decodes the records at `indices` of a batch whose envelope is valid; a record that fails is rejected like a schema error. */
  private decoded(batch: B, indices: readonly number[], recordErrors: ErrorDetail[], received: number): BatchVerdict {
    const decode = this.decode!;
    const records: DigestRecord[] = [];
    let rejected = new Set(recordErrors.map((error) => error.index)).size;
    for (const i of indices) {
      const raw = batch.records[i]!;
      const decoded = decode(raw, batch);
      if ('record' in decoded) {
        records.push(decoded.record);
        continue;
      }
      rejected++;
      const detail: ErrorDetail = { index: i, field: decoded.field, message: decoded.message };
      const id = readableId(raw);
      if (id !== undefined) detail.id = id;
      recordErrors.push(detail);
    }
    return { records, batchErrors: [], recordErrors, rejectedRecords: rejected, received };
  }
}

function recordsOf(body: unknown): unknown[] | null {
  if (typeof body !== 'object' || body === null || !('records' in body)) return null;
  const records: unknown = body.records;
  return Array.isArray(records) ? records : null;
}

/** Turns one ajv error into "which record, which field, what is wrong"; null for redundant errors. */
function locate(error: ErrorObject, rawRecords: unknown[] | null): ErrorDetail | null {
  const located = locateSchemaError(error);
  if (located === null) return null;
  const [top, index, ...inRecord] = located.path;
  if (top !== 'records' || index === undefined || !/^\d+$/.test(index)) {
    return { field: located.path.length === 0 ? '(batch)' : formatFieldPath(located.path), message: located.message };
  }
  const recordIndex = Number(index);
  const detail: ErrorDetail = {
    index: recordIndex,
    field: inRecord.length === 0 ? '(record)' : formatFieldPath(inRecord),
    message: located.message,
  };
  const id = readableId(rawRecords?.[recordIndex]);
  if (id !== undefined) detail.id = id;
  return detail;
}

function readableId(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || !('id' in raw)) return undefined;
  const id: unknown = raw.id;
  return typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : undefined;
}
