// A leg on the legs topic, defined once: the ingest role encodes every accepted leg with it and
// a join worker decodes and validates what it consumes with it. Key: the correlation id (UTF-8),
// so Kafka's key partitioner puts both legs of a request in one partition. Value: JSON of a
// LegRecord, the record as the wire validator produced it from version 1 or version 2 (so a
// join worker does not know which version a leg came in, as in the embedded collector) and when
// the ingest instance accepted it, which is where the join window is measured from.

import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import type { IngestedRecord } from '../ingest/ingestedRecord.js';
import { STORED_DEFINITIONS, StoredRecordSchema } from '../store/snapshotSchema.js';
import { decodeTopicValue, TopicRecordError } from './topicRecord.js';

/** The value's own version: a change that old join workers could not read gets a new one. */
export const LEG_RECORD_VERSION = 1;

export const LegRecordSchema = Type.Object(
  {
    v: Type.Literal(LEG_RECORD_VERSION),
    /** when the ingest instance accepted the leg's batch (Unix ms, its clock) */
    arrivedUnixMs: Type.Integer({ minimum: 0 }),
    /** the leg, as ingested (wire version 2 decoded) */
    record: StoredRecordSchema,
  },
  { additionalProperties: false, definitions: STORED_DEFINITIONS },
);
export type LegRecord = Static<typeof LegRecordSchema>;

const isLegRecord = new Ajv({ strict: true, allErrors: true }).compile<LegRecord>(LegRecordSchema);

/** The key and value of one leg on the legs topic. */
export function encodeLeg(record: IngestedRecord, arrivedUnixMs: number): { key: Buffer; value: Buffer } {
  const leg: LegRecord = { v: LEG_RECORD_VERSION, arrivedUnixMs, record };
  return { key: Buffer.from(record.id, 'utf8'), value: Buffer.from(JSON.stringify(leg), 'utf8') };
}

/** Decodes and validates one record of the legs topic; throws TopicRecordError naming the problem. */
export function decodeLeg(key: Buffer | undefined, value: Buffer | undefined): LegRecord {
  const parsed = decodeTopicValue(value, isLegRecord, 'leg record');
  const id = key?.toString('utf8');
  if (id !== parsed.record.id) {
    throw new TopicRecordError(
      `the key ${JSON.stringify(id ?? null)} is not the record's correlation id ${JSON.stringify(parsed.record.id)}`,
      '(key)',
    );
  }
  return parsed;
}
