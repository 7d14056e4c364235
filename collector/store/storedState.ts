// Turns the rows a restart reads back into pipeline state, checked against snapshotSchema.ts on
// the way, batch by batch as the worker's chunks arrive (DurableStore.load). A row that does not
// match throws an Error naming the field; the store is then set aside. What an earlier build of
// the same version could not write is filled in first (snapshotUpgrade.ts). A pending leg logged
// with its role and byte estimate beside it is checked only in those here, and whole when it is
// read back (storedLegs.ts, decodeStoredLeg).

import { Type } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { IngestedRecordSchema, type IngestedRecord } from '../ingest/ingestedRecord.js';
import { CORRELATION_ID, WIRE_LEGS, type WireLeg } from '../ingest/wireSchema.js';
import type { LoggedBatch, PipelineSnapshot, RestoredState } from '../pipeline.js';
import { hashMapCheck } from '../schema/hashMapCheck.js';
import { formatFieldPath, locateSchemaError } from '../schema/schemaErrors.js';
import { PIPELINE_SNAPSHOT_VERSION, PipelineSnapshotSchema, STORED_DEFINITIONS, StoredRecordSchema } from './snapshotSchema.js';
import { withCountsAddedSince } from './snapshotUpgrade.js';
import { StoredLeg, type LegReader } from './storedLegs.js';
import type { StoredRow } from './storeProtocol.js';

/** The checkpoint without its pending legs: those travel apart, in chunks, as they are read. */
export type StoredCheckpoint = Omit<PipelineSnapshot, 'pending'>;

const storeAjv = new Ajv({ strict: true });
const isSnapshot = storeAjv.compile<PipelineSnapshot>(PipelineSnapshotSchema);
const isRecord = storeAjv.compile<IngestedRecord>({ ...StoredRecordSchema, definitions: STORED_DEFINITIONS });
const areRecords = storeAjv.compile<IngestedRecord[]>(Type.Array(StoredRecordSchema, { definitions: STORED_DEFINITIONS }));

// Nearly all of a leg is its `fields` map: checked in one pass (hashMapCheck), and the rest of
// the record by ajv with an empty map in its place. Only a pass is taken from the quick check:
// whatever it does not pass, ajv checks whole, deciding and naming the field as it always did.
const fieldsPass = hashMapCheck(IngestedRecordSchema.properties.fields, STORED_DEFINITIONS);
const NO_FIELDS = Object.freeze({});

/** True when `value` is a stored record; false leaves ajv's errors for the whole record in `isRecord.errors`. */
function isStoredRecord(value: unknown): value is IngestedRecord {
  if (
    typeof value === 'object' &&
    value !== null &&
    fieldsPass((value as { fields?: unknown }).fields) &&
    isRecord({ ...value, fields: NO_FIELDS })
  )
    return true;
  return isRecord(value);
}

/** The first problem, named from the root of what was checked; `under`: where that root sits in the snapshot. */
function schemaProblem(validate: typeof isSnapshot | typeof isRecord | typeof areRecords, where: string, under: string[] = []): string {
  const error = validate.errors?.[0];
  const located = error === undefined ? null : locateSchemaError(error);
  return located === null
    ? storeAjv.errorsText(validate.errors)
    : `${formatFieldPath([...under, ...located.path]) || where}: ${located.message}`;
}

/** A logged batch after the checkpoint, to be replayed: its records must be wire records. */
export function decodeLoggedBatch(seq: number, arrivedUnixMs: number, rejected: number, records: readonly StoredRow[]): LoggedBatch {
  const parsed: unknown[] = records.map((record) => (typeof record === 'string' ? JSON.parse(record) : record) as unknown);
  // One by one for speed; a batch with a leg that fails is checked as a whole, which names it by its index.
  if (!parsed.every(isStoredRecord) && !areRecords(parsed))
    throw new Error(`logged batch ${seq} does not match the wire schema: ${schemaProblem(areRecords, '(records)')}`);
  return { seq, arrivedUnixMs, records: parsed, rejected };
}

const ID_PATTERN = new RegExp(CORRELATION_ID.pattern);

/**
 * The pending legs of one batch the checkpoint covers. `firstIndex`: the position of its first
 * leg among all pending legs, so that a bad one is named as in the whole snapshot (`pending[3]`).
 * A leg stored with its role and byte estimate stays in the store (a StoredLeg reading it through
 * `reader`); one stored before those columns existed is parsed and checked now.
 */
export function decodePendingLegs(
  arrivedUnixMs: number,
  batch: number,
  rows: readonly StoredRow[],
  firstIndex: number,
  reader: LegReader,
): RestoredState['pending'] {
  return rows.map((row, offset) => {
    const where = (member: string): string => `snapshot does not match its schema: pending[${firstIndex + offset}].${member}`;
    if (typeof row !== 'string') {
      const [idx, id, leg, bytes] = row;
      if (id.length > CORRELATION_ID.maxLength || !ID_PATTERN.test(id)) throw new Error(`${where('record.id')}: must be a correlation id`);
      if (!(WIRE_LEGS as readonly unknown[]).includes(leg)) throw new Error(`${where('leg')}: must be one of ${WIRE_LEGS.join(', ')}`);
      if (!Number.isSafeInteger(bytes) || (bytes as number) <= 0) throw new Error(`${where('bytes')}: must be a positive integer`);
      return { arrivedUnixMs, record: new StoredLeg(reader, batch, idx, id, leg as WireLeg, bytes as number) };
    }
    const record: unknown = JSON.parse(row);
    if (!isStoredRecord(record))
      throw new Error(
        `snapshot does not match its schema: ${schemaProblem(isRecord, '(snapshot)', ['pending', String(firstIndex + offset), 'record'])}`,
      );
    return { arrivedUnixMs, record };
  });
}

/** A pending leg read back when the join needs it: a wire record, of the id and role its columns said. */
export function decodeStoredLeg(text: string, id: string, leg: WireLeg): IngestedRecord {
  const record: unknown = JSON.parse(text);
  if (!isStoredRecord(record)) throw new Error(`does not match the wire schema: ${schemaProblem(isRecord, '(record)')}`);
  if (record.id !== id || record.leg !== leg) throw new Error(`holds ${record.id} (${record.leg})`);
  return record;
}

/** What the checkpoint's rows hold besides the pending legs; null when no checkpoint was written yet. */
export function decodeCheckpoint(state: {
  meta: ReadonlyArray<readonly [string, string]>;
  routes: readonly string[];
  pairs: ReadonlyArray<readonly [string, string]>;
  remembered: Array<[string, number, number]>;
  pendingLegs: number;
}): StoredCheckpoint | null {
  const meta = new Map(state.meta.map(([key, value]) => [key, JSON.parse(value) as unknown]));
  if (!meta.has('version')) {
    if (state.pendingLegs > 0 || state.routes.length > 0 || state.pairs.length > 0) throw new Error('store has state but no checkpoint');
    return null;
  }
  const version = meta.get('version');
  if (version !== PIPELINE_SNAPSHOT_VERSION)
    throw new Error(`store version ${JSON.stringify(version)}, expected ${PIPELINE_SNAPSHOT_VERSION}`);
  const pairs: { diverged: unknown[]; other: unknown[] } = { diverged: [], other: [] };
  for (const [kept, view] of state.pairs) pairs[kept === 'diverged' ? 'diverged' : 'other'].push(JSON.parse(view));
  // Checked as a snapshot with no pending legs (decodePendingLegs checks those one by one).
  const snapshot: unknown = {
    version,
    savedAtUnixMs: required(meta, 'savedAtUnixMs'),
    appliedSeq: required(meta, 'appliedSeq'),
    scoreboard: {
      pairSeq: required(meta, 'pairSeq'),
      totals: required(meta, 'totals'),
      routes: state.routes.map((tally) => withCountsAddedSince(JSON.parse(tally))),
      other: withCountsAddedSince(required(meta, 'otherRoute')),
      routeEvictions: required(meta, 'routeEvictions'),
    },
    pairs,
    remembered: state.remembered,
    pending: [],
    ...(meta.has('verdictOffsets') ? { verdictOffsets: meta.get('verdictOffsets') } : {}),
  };
  if (!isSnapshot(snapshot)) throw new Error(`snapshot does not match its schema: ${schemaProblem(isSnapshot, '(snapshot)')}`);
  const { pending: _none, ...checkpoint } = snapshot;
  return checkpoint;
}

function required(meta: Map<string, unknown>, key: string): unknown {
  if (!meta.has(key)) throw new Error(`snapshot has no ${key}`);
  return meta.get(key);
}
