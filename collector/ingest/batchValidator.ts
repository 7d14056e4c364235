// Validates digest batches of one wire format version against its schema (wireSchema.ts,
// wireSchemaV2.ts, published in filter/), so the filter and the collector cannot disagree about
// the contract, and decodes the good records into the pipeline's records (ingestedRecord.ts).
//
// Policy for a batch with some bad records: the good records are accepted and every bad one is
// reported (index, id, field). A batch whose envelope is wrong, or with no good record, is
// rejected whole. The filter never retries, so dropping 31 good legs for one bad one would
// only turn into spurious shadow_missing/primary_missing counts.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { formatFieldPath, locateSchemaError, type ErrorDetail } from '../schema/schemaErrors.js';
import type { IngestedRecord } from './ingestedRecord.js';
import { WIRE_SCHEMA, type DigestBatch, type DigestRecord } from './wireSchema.js';

export interface BatchVerdict {
  /** records that passed validation (and decoding), in batch order */
  records: IngestedRecord[];
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
 * Turns one schema-valid record of a batch with a valid envelope into the pipeline's record, or
 * names what the schema could not check (e.g. an index into a version 2 batch's path table).
 */
export type RecordDecoder<B, R> = (record: R, batch: B) => { record: IngestedRecord } | { field: string; message: string };

/** Version 1 by default: its records are the pipeline's records as they are. */
export class BatchValidator<R = DigestRecord, B extends { records: R[] } = DigestBatch & { records: R[] }> {
  private readonly fast: ValidateFunction<B>;
  private readonly thorough: ValidateFunction<B>;
  private readonly isRecord: ValidateFunction<R>;

  constructor(
    schema: { $id: string } = WIRE_SCHEMA,
    private readonly decode: RecordDecoder<B, R> | null = null,
  ) {
    // Two compilations: the fast one stops at the first error (the common, valid case); the
    // thorough one runs only for bad batches, to name every problem.
    this.fast = new Ajv({ strict: true }).compile<B>(schema);
    const thorough = new Ajv({ strict: true, allErrors: true });
    this.thorough = thorough.compile<B>(schema);
    const recordValidator = thorough.getSchema<R>(`${schema.$id}#/definitions/record`);
    if (recordValidator === undefined) throw new Error('wire schema has no definitions.record');
    this.isRecord = recordValidator;
  }

  check(body: unknown): BatchVerdict {
    if (this.fast(body)) {
      if (this.decode === null) {
        const records = body.records as IngestedRecord[];
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
    // A bad envelope accepts nothing (the ingest route refuses the batch), so nothing to decode.
    if (this.decode === null || batchErrors.length > 0) {
      const records = good.map((i) => rawRecords![i] as IngestedRecord);
      return { records, batchErrors, recordErrors, rejectedRecords: badIndices.size, received };
    }
    return this.decoded(body as B, good, recordErrors, received);
  }

  /** Decodes the records at `indices` of a batch whose envelope is valid; one that fails is rejected like a schema error. */
  private decoded(batch: B, indices: readonly number[], recordErrors: ErrorDetail[], received: number): BatchVerdict {
    const decode = this.decode!;
    const records: IngestedRecord[] = [];
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
