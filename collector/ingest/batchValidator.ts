// Validates digest batches against the wire schema (wireSchema.ts, published as
// filter/wire-format.schema.json), so the filter and the collector cannot disagree about the contract.
//
// Policy for a batch with some bad records: the good records are accepted and every bad one is
// reported (index, id, field). A batch whose envelope is wrong, or with no good record, is
// rejected whole. The filter never retries, so dropping 31 good legs for one bad one would
// only turn into spurious shadow_missing/primary_missing counts.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { formatFieldPath, locateSchemaError, type ErrorDetail } from '../schema/schemaErrors.js';
import { WIRE_SCHEMA, type DigestBatch, type DigestRecord, type WireSchema } from './wireSchema.js';

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

export class BatchValidator {
  private readonly fast: ValidateFunction<DigestBatch>;
  private readonly thorough: ValidateFunction<DigestBatch>;
  private readonly isRecord: ValidateFunction<DigestRecord>;

  constructor(schema: WireSchema = WIRE_SCHEMA) {
    // Two compilations: the fast one stops at the first error (the common, valid case); the
    // thorough one runs only for bad batches, to name every problem.
    this.fast = new Ajv({ strict: true }).compile<DigestBatch>(schema);
    const thorough = new Ajv({ strict: true, allErrors: true });
    this.thorough = thorough.compile<DigestBatch>(schema);
    const recordValidator = thorough.getSchema<DigestRecord>(`${schema.$id}#/definitions/record`);
    if (recordValidator === undefined) throw new Error('wire schema has no definitions.record');
    this.isRecord = recordValidator;
  }

  check(body: unknown): BatchVerdict {
    if (this.fast(body)) {
      return { records: body.records, batchErrors: [], recordErrors: [], rejectedRecords: 0, received: body.records.length };
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
    const records: DigestRecord[] = [];
    if (rawRecords !== null) {
      for (let i = 0; i < rawRecords.length; i++) {
        const raw: unknown = rawRecords[i];
        if (!badIndices.has(i) && this.isRecord(raw)) records.push(raw);
      }
    }
    return { records, batchErrors, recordErrors, rejectedRecords: badIndices.size, received: rawRecords?.length ?? 0 };
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
