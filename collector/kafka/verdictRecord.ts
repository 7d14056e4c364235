// The verdicts topic's records, defined once: a join worker produces them and a report instance
// consumes them into its scoreboard. Three kinds, all JSON, all saying which legs they account
// for, so a worker that takes over a partition knows from the verdicts alone which ids are judged
// and which legs were counted, and produces neither again:
// - `verdict`: one per correlation id, how it ended (paired with its diff, shadow_missing,
//   primary_missing, evicted), as the pair view the report API shows; key = the correlation id.
//   A triple's view carries its secondary and their diff, a pair whose secondary never came
//   `secondary: null` (version 2; the previous release's version 1 has neither and still decodes).
// - `orphaned`: a secondary leg whose pair never came (counted under its route, judged with
//   nothing: there is no pair view to carry); key = the correlation id.
// - `tally`: what a run of consumed legs added to the totals that no verdict carries (legs
//   received, duplicates, late legs, each per leg, `secondary` present when not zero); key =
//   `tally/<partition>`. A tally of the previous release (version 1) counts duplicates and late
//   legs without their leg: a report instance still reads it (its totals count them; no per-leg
//   series does).
// Verdicts go to the partition of the legs they judge, so one legs partition's whole account is
// in one verdicts partition, in the order the worker wrote it.

import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { CountsByLegSchema } from '../ingest/wireSchema.js';
import { PairViewSchema, type PairView } from '../report/reportSchema.js';
import { resolutionOf } from '../score/resolution.js';
import { STORED_DEFINITIONS } from '../store/snapshotSchema.js';
import { decodeTopicValue, TopicRecordError } from './topicRecord.js';

// Each kind's own version: a change that old report instances could not read gets a new one.
/** 2: a pair view may carry its secondary (the previous release's pair view could not). */
export const VERDICT_RECORD_VERSION = 2;
export const ORPHANED_RECORD_VERSION = 1;
/** 2: duplicates and late legs per leg (and secondary legs, unreleased before it). */
export const TALLY_RECORD_VERSION = 2;

const offset = Type.Integer({ minimum: 0 });
const count = Type.Integer({ minimum: 0 });
const strict = { additionalProperties: false } as const;

export const VerdictSchema = Type.Object(
  {
    /** 1: the previous release's, without secondaries */
    v: Type.Union([Type.Literal(1), Type.Literal(VERDICT_RECORD_VERSION)]),
    kind: Type.Literal('verdict'),
    /** the legs partition, and the offset of the leg whose consumption settled the id (the last leg it accounts for) */
    legs: Type.Object({ partition: offset, offset }, strict),
    /** how the id ended; never `pending`, and always with a route */
    pair: PairViewSchema,
  },
  strict,
);
export type Verdict = Static<typeof VerdictSchema>;

export const OrphanedSchema = Type.Object(
  {
    v: Type.Literal(ORPHANED_RECORD_VERSION),
    kind: Type.Literal('orphaned'),
    /** as a verdict's: the offset of the leg whose consumption settled the id */
    legs: Type.Object({ partition: offset, offset }, strict),
    id: Type.String({ minLength: 1 }),
    /** the route the secondary leg counts under */
    route: Type.String({ minLength: 1 }),
    /** when its window closed (or it was evicted) */
    resolvedAtUnixMs: offset,
  },
  strict,
);
export type Orphaned = Static<typeof OrphanedSchema>;

/** What every tally says: which legs it counts, and how many of each leg were received. */
const tallied = {
  kind: Type.Literal('tally'),
  /** the legs partition and the consumed offsets this counts, both ends included */
  legs: Type.Object({ partition: offset, fromOffset: offset, toOffset: offset }, strict),
  /** legs received, duplicates and late legs included (the embedded collector's totals.records) */
  records: CountsByLegSchema,
};

export const TallySchema = Type.Object(
  {
    v: Type.Literal(TALLY_RECORD_VERSION),
    ...tallied,
    /** legs dropped as a copy of one received already, by leg (shadowdiff_collector_records_duplicate_total) */
    duplicates: CountsByLegSchema,
    /** legs whose id was resolved already, by leg (shadowdiff_collector_records_late_total) */
    late: CountsByLegSchema,
  },
  strict,
);
export type Tally = Static<typeof TallySchema>;

/** The previous release's tally (version 1): how many duplicates and late legs, not of which leg. */
export const PreviousTallySchema = Type.Object({ v: Type.Literal(1), ...tallied, duplicates: count, late: count }, strict);
export type PreviousTally = Static<typeof PreviousTallySchema>;

export const VerdictTopicRecordSchema = Type.Union([VerdictSchema, OrphanedSchema, TallySchema, PreviousTallySchema], {
  definitions: STORED_DEFINITIONS,
});
export type VerdictTopicRecord = Static<typeof VerdictTopicRecordSchema>;

/** A verdict as decodeVerdictTopicRecord returns it: never pending, with its route and the time it resolved. */
export type DecodedVerdict = Omit<Verdict, 'pair'> & { pair: PairView & { route: string; resolvedAtUnixMs: number } };
export type DecodedVerdictTopicRecord = DecodedVerdict | Orphaned | Tally | PreviousTally;

const isVerdictTopicRecord = new Ajv({ strict: true, allErrors: true }).compile<VerdictTopicRecord>(VerdictTopicRecordSchema);

type Encoded = { key: Buffer; value: Buffer };

/** A resolved id's verdict; `legs`: where the leg that settled it was read. */
export function encodeVerdict(pair: PairView, legs: Verdict['legs']): Encoded {
  const verdict: Verdict = { v: VERDICT_RECORD_VERSION, kind: 'verdict', legs, pair };
  return { key: Buffer.from(pair.id, 'utf8'), value: Buffer.from(JSON.stringify(verdict), 'utf8') };
}

/** A secondary leg whose pair never came; `legs`: where the leg that settled it was read. */
export function encodeOrphaned(orphaned: Omit<Orphaned, 'v' | 'kind'>): Encoded {
  const value: Orphaned = { v: ORPHANED_RECORD_VERSION, kind: 'orphaned', ...orphaned };
  return { key: Buffer.from(orphaned.id, 'utf8'), value: Buffer.from(JSON.stringify(value), 'utf8') };
}

export function encodeTally(tally: Omit<Tally, 'v' | 'kind'>): Encoded {
  const value: Tally = { v: TALLY_RECORD_VERSION, kind: 'tally', ...tally };
  return { key: Buffer.from(`tally/${tally.legs.partition}`, 'utf8'), value: Buffer.from(JSON.stringify(value), 'utf8') };
}

/** Decodes and validates one record of the verdicts topic; throws TopicRecordError naming the problem. */
export function decodeVerdictTopicRecord(key: Buffer | undefined, value: Buffer | undefined): DecodedVerdictTopicRecord {
  const parsed = decodeTopicValue(value, isVerdictTopicRecord, 'verdict record');
  const actual = key?.toString('utf8') ?? null;
  if (parsed.kind === 'tally') {
    if (parsed.legs.fromOffset > parsed.legs.toOffset)
      throw new TopicRecordError(`fromOffset ${parsed.legs.fromOffset} is past toOffset ${parsed.legs.toOffset}`, 'legs.fromOffset');
    const expected = `tally/${parsed.legs.partition}`;
    if (actual !== expected) throw new TopicRecordError(`the key ${JSON.stringify(actual)} is not ${JSON.stringify(expected)}`, '(key)');
    return parsed;
  }
  if (parsed.kind === 'orphaned') {
    if (actual !== parsed.id)
      throw new TopicRecordError(
        `the key ${JSON.stringify(actual)} is not the record's correlation id ${JSON.stringify(parsed.id)}`,
        '(key)',
      );
    return parsed;
  }
  const { pair } = parsed;
  if (pair.state === 'pending') throw new TopicRecordError('a verdict cannot be pending', 'pair.state');
  if (pair.route === null) throw new TopicRecordError('a verdict names the route it was counted under', 'pair.route');
  if (pair.resolvedAtUnixMs === null) throw new TopicRecordError('a verdict says when it resolved', 'pair.resolvedAtUnixMs');
  if (actual !== pair.id)
    throw new TopicRecordError(`the key ${JSON.stringify(actual)} is not the verdict's correlation id ${JSON.stringify(pair.id)}`, '(key)');
  const legsPresent = resolutionOf(pair);
  if (legsPresent === null) throw new TopicRecordError(`a ${pair.state} verdict lacks the legs or the diff that state has`, 'pair');
  // The checks above are what DecodedVerdict says; no copy is made to say it.
  return parsed as DecodedVerdict;
}
