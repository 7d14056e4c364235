// The schema a snapshot read back from disk must match before it is restored: a file written by
// another version, edited by hand or damaged in a way SQLite does not notice is set aside, never
// poured into the pipeline's state. The compile-time checks at the bottom keep it and the
// snapshot types the pipeline writes in step.

import { Type, type Static } from '@sinclair/typebox';
import { DIVERGENCE_KINDS, FALLBACK_REASONS } from '../compare/divergence.js';
import { IngestedRecordSchema, type IngestedRecord } from '../ingest/ingestedRecord.js';
import { CountsByLegSchema, WIRE_SCHEMA } from '../ingest/wireSchema.js';
import type { PipelineSnapshot } from '../pipeline.js';
import { CHANGE_COUNTS, PairViewSchema } from '../report/reportSchema.js';
import { countsBySchema } from '../schema/countsBy.js';
import { FieldValuePartsSchema } from '../score/fieldValues.js';

// 2: routes and fields are space-saving tables with weights and errors; the route list lives in
// the scoreboard; legs still pending and remembered ids are kept.
export const PIPELINE_SNAPSHOT_VERSION = 2;

const count = Type.Integer({ minimum: 0 });
const strict = { additionalProperties: false } as const;
const sketch = Type.Array(Type.Tuple([count, count]));

/**
 * The report's change counts, each example's resolution time and the space-saving weight; a
 * snapshot of a release before order-independent tallies has the write position of its examples
 * ring instead of the times (score/examples.ts restores either).
 */
const changeTally = {
  ...CHANGE_COUNTS,
  exampleTimes: Type.Optional(Type.Array(Type.Integer())),
  nextExample: Type.Optional(count),
  weight: count,
};

const RouteTallySnapshotSchema = Type.Object(
  {
    route: Type.String(),
    weight: count,
    countError: count,
    pairs: count,
    diverged: count,
    shadowMissing: count,
    primaryMissing: count,
    evicted: count,
    kinds: countsBySchema(DIVERGENCE_KINDS),
    fallbackPairs: count,
    fallback: countsBySchema(FALLBACK_REASONS),
    structurallyCompared: count,
    primaryErrors: count,
    shadowErrors: count,
    shadowOnlyErrors: count,
    primaryOnlyErrors: count,
    withinTolerance: Type.Optional(count),
    primaryLatency: sketch,
    shadowLatency: sketch,
    latencyPairs: Type.Optional(
      Type.Object(
        {
          seen: count,
          primaryUs: Type.Array(Type.Number({ minimum: 0 })),
          shadowUs: Type.Array(Type.Number({ minimum: 0 })),
          /** absent before pairs were sampled by a hash of their id (score/pairReservoir.ts) */
          keys: Type.Optional(Type.Array(Type.Number({ minimum: 0 }))),
        },
        strict,
      ),
    ),
    fields: Type.Array(
      Type.Object(
        {
          path: Type.String(),
          valueSample: Type.Array(Type.Number()),
          /** each sampled value's key; absent before values were sampled by a hash of the id, whose snapshots count them instead (score/noise.ts) */
          valueKeys: Type.Optional(Type.Array(Type.Number({ minimum: 0 }))),
          valueSamples: Type.Optional(count),
          lastPair: count,
          ...changeTally,
          ...FieldValuePartsSchema.properties,
        },
        strict,
      ),
    ),
    fieldsEvicted: count,
    headers: Type.Array(Type.Object({ name: Type.String(), ...changeTally }, strict)),
    /** absent until the route counted a secondary leg, and in snapshots of releases before secondaries */
    secondary: Type.Optional(
      Type.Object(
        {
          triples: count,
          secondaryMissing: count,
          secondaryUnusable: count,
          secondaryOrphaned: count,
          secondaryCompared: count,
          fields: Type.Array(Type.Object({ path: Type.String(), ...changeTally }, strict)),
          headers: Type.Array(Type.Object({ name: Type.String(), ...changeTally }, strict)),
          signatures: Type.Array(Type.Tuple([Type.String(), count])),
        },
        strict,
      ),
    ),
  },
  strict,
);

const pairViews = Type.Array(PairViewSchema);

/** Records are kept as ingested: the wire schema's definitions resolve their $refs, `record` is the ingested one. */
export const STORED_DEFINITIONS = { ...WIRE_SCHEMA.definitions, record: IngestedRecordSchema };

/** A leg read back from the ingest log is checked like the record the wire validator produced. */
export const StoredRecordSchema = Type.Unsafe<IngestedRecord>({ $ref: '#/definitions/record' });

export const PipelineSnapshotSchema = Type.Object(
  {
    version: Type.Literal(PIPELINE_SNAPSHOT_VERSION),
    savedAtUnixMs: Type.Integer(),
    appliedSeq: count,
    scoreboard: Type.Object(
      {
        pairSeq: count,
        totals: Type.Object(
          {
            records: CountsByLegSchema,
            duplicates: count,
            late: count,
            rejectedRecords: count,
            lostOnRestart: count,
          },
          strict,
        ),
        routes: Type.Array(RouteTallySnapshotSchema),
        other: Type.Union([RouteTallySnapshotSchema, Type.Null()]),
        routeEvictions: count,
      },
      strict,
    ),
    pairs: Type.Object({ diverged: pairViews, other: pairViews }, strict),
    /** [id, legs seen (bits: 1 primary, 2 shadow, 4 secondary), forget at] */
    remembered: Type.Array(Type.Tuple([Type.String(), Type.Integer({ minimum: 1, maximum: 7 }), Type.Integer()])),
    pending: Type.Array(Type.Object({ arrivedUnixMs: Type.Integer(), record: StoredRecordSchema }, strict)),
    /** Kafka mode's report role only: [verdicts partition, next offset] */
    verdictOffsets: Type.Optional(Type.Array(Type.Tuple([count, count]))),
  },
  { ...strict, definitions: STORED_DEFINITIONS },
);

// Both directions: a field added to the snapshot types without the schema (or the reverse) does not compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type SnapshotTypesInStep = Assert<Same<Static<typeof PipelineSnapshotSchema>, PipelineSnapshot>>;
