// Validates digest batches of one wire format version against its schema (wireSchema.ts,
// wireSchemaV2.ts, published in filter/), so the filter and the collector cannot disagree about
// the contract, and decodes the good records into the pipeline's records (ingestedRecord.ts).
//
// Policy for a batch with some bad records: the good records are accepted and every bad one is
// reported (index, id, field). A batch whose envelope is wrong, or with no good record, is
// rejected whole. The filter never retries, so dropping 31 good legs for one bad one would
// only turn into spurious shadow_missing/primary_missing counts.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { onePassCheck } from '../schema/onePassCheck.js';
import { formatFieldPath, locateSchemaError, type ErrorDetail } from '../schema/schemaErrors.js';
import { toEnd, type Sliced } from '../timeSlices.js';
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
 * Made once per batch with a valid envelope (so what its records share is worked out once, e.g. a
 * version 2 batch's path table): turns one schema-valid record of it into the pipeline's record,
 * or names what the schema could not check (e.g. an index into that path table).
 */
export type RecordDecoder<B, R> = (batch: B) => (record: R) => { record: IngestedRecord } | { field: string; message: string };

/** What the validator needs of a wire schema: its id, and its records array (whose items are `#/definitions/record`). */
export interface BatchSchema {
  $id: string;
  properties: { records: object };
  definitions?: Record<string, unknown>;
}

/** Version 1 by default: its records are the pipeline's records as they are. */
export class BatchValidator<R = DigestRecord, B extends { records: R[] } = DigestBatch & { records: R[] }> {
  private readonly fastEnvelope: ValidateFunction<B>;
  private readonly fastRecord: (record: unknown) => boolean;
  private readonly thoroughEnvelope: ValidateFunction<B>;
  private readonly thoroughRecord: ValidateFunction<R>;

  /**
   * `onePass`: the fast check takes each record in one walk (../schema/onePassCheck.ts, made from
   * the record's schema) before ajv, whose code walks a record once per kind of keyword (and a
   * version 1 record's 200-field map three times). A record the pass does not take is checked by ajv,
   * which decides; false: ajv alone (tests compare the two).
   */
  constructor(
    schema: BatchSchema = WIRE_SCHEMA,
    private readonly decode: RecordDecoder<B, R> | null = null,
    onePass = true,
  ) {
    // Two compilations: the fast one stops at the first error (the common, valid case); the
    // thorough one runs only for bad batches, to name every problem. Both check the envelope (the
    // batch with its records unchecked) and then each record on its own, which is the whole
    // schema's check in steps a slice can end between (a bad batch of 1,024 records is named in
    // full over several turns, not in one block).
    const fast = new Ajv({ strict: true });
    this.fastEnvelope = fast.compile<B>(envelopeOf(schema));
    const ajvRecord = recordValidatorOf<R>(fast.addSchema(schema), schema);
    if (onePass) {
      const definitions = schema.definitions ?? {};
      const inOnePass = onePassCheck(definitions.record as Record<string, unknown>, definitions);
      this.fastRecord = (record) => inOnePass(record) || ajvRecord(record);
    } else this.fastRecord = ajvRecord;
    const thorough = new Ajv({ strict: true, allErrors: true });
    this.thoroughEnvelope = thorough.compile<B>(envelopeOf(schema));
    this.thoroughRecord = recordValidatorOf<R>(thorough.addSchema(schema), schema);
  }

  check(body: unknown): BatchVerdict {
    return toEnd(this.checking(body));
  }

  /** The check, yielding after each record: ../timeSlices.ts drives it. */
  *checking(body: unknown): Sliced<BatchVerdict> {
    if (this.fastEnvelope(body) && (yield* this.allRecordsValid(body.records))) {
      if (this.decode === null) {
        const records = body.records as IngestedRecord[];
        return { records, batchErrors: [], recordErrors: [], rejectedRecords: 0, received: records.length };
      }
      return yield* this.decoded(
        body,
        body.records.map((_, i) => i),
        [],
        body.records.length,
      );
    }
    const batchErrors: ErrorDetail[] = [];
    const recordErrors: ErrorDetail[] = [];
    const badIndices = new Set<number>();
    const rawRecords = recordsOf(body);
    const named = (errors: readonly ErrorObject[]): void => {
      for (const error of errors) {
        const located = locate(error, rawRecords);
        if (located === null) continue;
        if (located.index === undefined) batchErrors.push(located);
        else {
          badIndices.add(located.index);
          recordErrors.push(located);
        }
      }
    };
    if (!this.thoroughEnvelope(body)) named(this.thoroughEnvelope.errors ?? []);
    const good: number[] = [];
    if (rawRecords !== null) {
      for (const [i, record] of rawRecords.entries()) {
        // Its errors as the whole batch's check names them: at /records/<i>/….
        if (this.thoroughRecord(record)) good.push(i);
        else named((this.thoroughRecord.errors ?? []).map((error) => ({ ...error, instancePath: `/records/${i}${error.instancePath}` })));
        yield;
      }
    }
    const received = rawRecords?.length ?? 0;
    // A bad envelope accepts nothing (the ingest route refuses the batch), so nothing to decode.
    if (this.decode === null || batchErrors.length > 0) {
      const records = good.map((i) => rawRecords![i] as IngestedRecord);
      return { records, batchErrors, recordErrors, rejectedRecords: badIndices.size, received };
    }
    return yield* this.decoded(body as B, good, recordErrors, received);
  }

  private *allRecordsValid(records: readonly unknown[]): Sliced<boolean> {
    for (const record of records) {
      if (!this.fastRecord(record)) return false;
      yield;
    }
    return true;
  }

  /** Decodes the records at `indices` of a batch whose envelope is valid; one that fails is rejected like a schema error. */
  private *decoded(batch: B, indices: readonly number[], recordErrors: ErrorDetail[], received: number): Sliced<BatchVerdict> {
    const decode = this.decode!(batch);
    const records: IngestedRecord[] = [];
    let rejected = new Set(recordErrors.map((error) => error.index)).size;
    for (const i of indices) {
      const raw = batch.records[i]!;
      const decoded = decode(raw);
      yield;
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

/** The batch's schema with its records left unchecked (each is checked on its own). */
function envelopeOf(schema: BatchSchema): object {
  const { $id, properties, ...rest } = schema;
  return {
    ...rest,
    $id: $id.replace(/\.json$/, '-envelope.json'),
    properties: { ...properties, records: { ...properties.records, items: true } },
  };
}

function recordValidatorOf<R>(ajv: Ajv, schema: BatchSchema): ValidateFunction<R> {
  const validator = ajv.getSchema<R>(`${schema.$id}#/definitions/record`);
  if (validator === undefined) throw new Error('wire schema has no definitions.record');
  return validator;
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
