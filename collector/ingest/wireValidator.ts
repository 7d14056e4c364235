// Every wire format version the collector accepts, behind one check: a batch is validated
// against the schema of the version it names (`v`) and decoded into the same in-memory records,
// so a fleet in the middle of a rollout (old filters sending version 1, new ones version 2) joins
// and compares as one.

import { BatchValidator, type BatchVerdict } from './batchValidator.js';
import { inSlices, toEnd, type Sliced } from '../timeSlices.js';
import { decodeRecordV2, PathTable } from './wireV2Decoder.js';
import { WIRE_SCHEMA } from './wireSchema.js';
import { WIRE_SCHEMA_V2, type DigestBatchV2, type DigestRecordV2 } from './wireSchemaV2.js';

export const WIRE_VERSIONS = [1, 2] as const;
export type WireVersion = (typeof WIRE_VERSIONS)[number];

export interface WireVerdict extends BatchVerdict {
  /** the version the batch named, when it named one this collector knows */
  version: WireVersion | null;
}

export class WireValidator {
  private readonly v1: BatchValidator;
  private readonly v2: BatchValidator<DigestRecordV2, DigestBatchV2>;

  constructor() {
    this.v1 = new BatchValidator(WIRE_SCHEMA);
    this.v2 = new BatchValidator<DigestRecordV2, DigestBatchV2>(WIRE_SCHEMA_V2, (batch) => {
      const table = new PathTable(batch.paths);
      return (record) => decodeRecordV2(record, table, batch.hash);
    });
  }

  check(body: unknown): WireVerdict {
    return toEnd(this.checking(body));
  }

  /** The same check, letting the event loop turn every SLICE_MS (../timeSlices.ts): how the ingest route checks. */
  checkInSlices(body: unknown): Promise<WireVerdict> {
    return inSlices(this.checking(body));
  }

  private *checking(body: unknown): Sliced<WireVerdict> {
    const version = versionOf(body);
    if (version === 2) return { ...(yield* this.v2.checking(body)), version };
    if (version === 1 || version === undefined) return { ...(yield* this.v1.checking(body)), version: version ?? null };
    return {
      records: [],
      batchErrors: [
        { field: 'v', message: `must be one of ${JSON.stringify(WIRE_VERSIONS)} (the wire format versions this collector accepts)` },
      ],
      recordErrors: [],
      rejectedRecords: 0,
      received: recordCount(body),
      version: null,
    };
  }
}

/** `v` of an object body; undefined when there is none (version 1's schema then says what is missing). */
function versionOf(body: unknown): unknown {
  return typeof body === 'object' && body !== null && 'v' in body ? body.v : undefined;
}

function recordCount(body: unknown): number {
  const records: unknown = typeof body === 'object' && body !== null && 'records' in body ? body.records : undefined;
  return Array.isArray(records) ? records.length : 0;
}
