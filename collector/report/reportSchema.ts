// The response schemas of the read API: GET /v1/report and GET /v1/pairs/:id. The types the
// pipeline returns are derived from them (Static<>), Fastify serialises responses with them and
// the CLI validates what a collector answered with them.

import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DIVERGENCE_KINDS, FALLBACK_REASONS, PairDiffSchema } from '../compare/divergence.js';
import { IngestedRecordSchema, type IngestedRecord } from '../ingest/ingestedRecord.js';
import { CountsByLegSchema, WIRE_SCHEMA } from '../ingest/wireSchema.js';
import { PAIR_STATES } from '../join/outcomes.js';
import { BUDGET_PARTS, BudgetReadingSchema } from '../budget/byteBudget.js';
import { countsBySchema, eachOfSchema } from '../schema/countsBy.js';
import { literalEnum } from '../schema/literalEnum.js';
import { MagnitudeReportSchema } from '../score/magnitudeSummary.js';
import { LATENCY_FINDINGS } from '../score/latencyVerdict.js';
import { SECONDARY_FINDINGS } from '../score/secondaryNoise.js';

const count = Type.Integer({ minimum: 0 });
const share = Type.Union([Type.Number(), Type.Null()]);
const strict = { additionalProperties: false } as const;

function nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

export const WilsonIntervalSchema = Type.Object({ low: Type.Number(), high: Type.Number() }, strict);
export type WilsonInterval = Static<typeof WilsonIntervalSchema>;

export const LatencyQuantilesMsSchema = Type.Object({ p50: share, p95: share, p99: share }, strict);
export type LatencyQuantilesMs = Static<typeof LatencyQuantilesMsSchema>;

/** score/latencyVerdict.ts: p95(shadow) − p95(primary) over the route's pair reservoir, with its paired bootstrap interval. */
export const LatencyVerdictSchema = Type.Object(
  {
    /** the quantile compared (0.95) */
    quantile: Type.Number(),
    /** pairs in the route's reservoir, the sample the delta and the interval come from */
    pairs: count,
    /** score.latency.minPairs: fewer pairs give too_few_pairs */
    minPairs: count,
    /** shadow minus primary at the quantile, ms; null without pairs */
    deltaMs: share,
    /** 95% interval of deltaMs */
    ci95: nullable(Type.Object({ low: Type.Number(), high: Type.Number() }, strict)),
    /** the larger of score.latency.minDeltaMs and minRelativeDelta × the primary's quantile, ms */
    thresholdMs: share,
    /** regression: the whole interval past the threshold (ci95.low ≥ thresholdMs, ci95.low > 0); improvement: the mirror image (ci95.high ≤ −thresholdMs, ci95.high < 0); otherwise no_change, or too_few_pairs below minPairs */
    finding: literalEnum(LATENCY_FINDINGS),
  },
  strict,
);
export type LatencyVerdict = Static<typeof LatencyVerdictSchema>;

export const CoverageSchema = Type.Object(
  {
    pairs: count,
    shadowMissing: count,
    primaryMissing: count,
    evicted: count,
    /** pairs / (pairs + shadowMissing): the share of primaries whose shadow arrived in time; null before any data */
    shadowCoverage: share,
    // The secondary's coverage, present once a secondary leg arrived or a primary announced one (withSecondary).
    /** pairs judged with their secondary leg, one comparable with the primary (score/secondaryComparable.ts) */
    triples: Type.Optional(count),
    /** pairs whose primary announced a secondary that never came (judged as pairs) */
    secondaryMissing: Type.Optional(count),
    /** pairs whose secondary came but was not comparable (another status than the primary's, or a local reply: a secondary that is down); judged as pairs */
    secondaryUnusable: Type.Optional(count),
    /** secondary legs whose pair never came (judged with nothing) */
    secondaryOrphaned: Type.Optional(count),
    /** triples / (triples + secondaryMissing + secondaryUnusable): the share of announced secondaries that arrived in time and were comparable; null before any */
    secondaryCoverage: Type.Optional(share),
  },
  strict,
);
export type Coverage = Static<typeof CoverageSchema>;

/** How a field or header differed, over the pairs it differed in; the snapshot keeps the same counts. */
export const CHANGE_COUNTS = {
  /** pairs counted since the field or header got its place in its route's table */
  divergentPairs: count,
  /** pairs it may have differed in before (space-saving's error bound): the true count is at most divergentPairs + countError */
  countError: count,
  changed: count,
  missingInShadow: count,
  extraInShadow: count,
  examples: Type.Array(Type.String()),
};

/**
 * A field's primary-vs-secondary evidence (score/secondaryNoise.ts): how often the two primaries
 * differed in it, against how often primary and shadow did, and what that makes of it.
 */
export const SecondaryEvidenceSchema = Type.Object(
  {
    /** triples whose primary and secondary were compared (a field's: structurally): the denominator of secondaryRate */
    triples: count,
    /** of those, the triples in which the field (or header) differed between the two primaries */
    divergentTriples: count,
    secondaryRate: Type.Number(),
    secondaryCi95: WilsonIntervalSchema,
    /** the primary-vs-shadow rate (a field's `rate`; a header's over the route's pairs) and its interval */
    shadowRate: Type.Number(),
    shadowCi95: nullable(WilsonIntervalSchema),
    /** noise: the primaries differ at a comparable rate; regression: primary vs shadow clearly more often; inconclusive: neither shown; too_few_triples: fewer than the minimum */
    finding: literalEnum(SECONDARY_FINDINGS),
  },
  strict,
);
export type SecondaryEvidence = Static<typeof SecondaryEvidenceSchema>;

export const FieldReportSchema = Type.Object(
  {
    /** array indices collapse to [*] so one field is one row */
    path: Type.String(),
    /** share of this route's structurally compared pairs in which the field differed */
    rate: Type.Number(),
    ...CHANGE_COUNTS,
    likelyNoise: Type.Boolean(),
    noiseReason: nullable(Type.String()),
    suggestedIgnore: nullable(Type.String()),
    /** Present when the filter captured the field's values (digest.capture): both values of the examples, newest first. */
    exampleValues: Type.Optional(
      Type.Array(Type.Object({ id: Type.String(), primary: nullable(Type.String()), shadow: nullable(Type.String()) }, strict)),
    ),
    /** Present when numeric values were measured: how far apart they were, within tolerance or not. */
    magnitude: Type.Optional(MagnitudeReportSchema),
    /** Pairs in which the field differed within its compare.tolerances: not in divergentPairs, never hidden. */
    withinTolerance: Type.Optional(count),
    /** Present once the route has triples: the secondary's evidence; a `noise` or `regression` finding decides likelyNoise. */
    secondary: Type.Optional(SecondaryEvidenceSchema),
  },
  strict,
);
export type FieldReport = Static<typeof FieldReportSchema>;

export const HeaderReportSchema = Type.Object(
  {
    name: Type.String(),
    ...CHANGE_COUNTS,
    /** Present once the route has triples: the secondary's evidence (rates over every pair and triple: headers are compared in all) */
    secondary: Type.Optional(SecondaryEvidenceSchema),
  },
  strict,
);
export type HeaderReport = Static<typeof HeaderReportSchema>;

const legErrors = Type.Object({ count, rate: share }, strict);

export const RouteReportSchema = Type.Object(
  {
    route: Type.String(),
    coverage: CoverageSchema,
    pairs: count,
    diverged: count,
    divergenceRate: share,
    divergenceCi95: nullable(WilsonIntervalSchema),
    kinds: countsBySchema(DIVERGENCE_KINDS),
    /** pairs decided by the body hash, and why; ignore rules cannot apply to those */
    bodyFallback: Type.Object({ pairs: count, reasons: countsBySchema(FALLBACK_REASONS) }, strict),
    /** pairs whose fields were compared (status classes equal, structural basis): the denominator of field rates */
    structurallyCompared: count,
    errors: Type.Object(
      {
        primary: legErrors,
        shadow: legErrors,
        /** shadow rate minus primary rate */
        rateDelta: share,
        shadowOnly: count,
        primaryOnly: count,
      },
      strict,
    ),
    latencyMs: Type.Object(
      {
        primary: LatencyQuantilesMsSchema,
        shadow: LatencyQuantilesMsSchema,
        delta: LatencyQuantilesMsSchema,
        verdict: LatencyVerdictSchema,
      },
      strict,
    ),
    /**
     * Both legs' latency distribution (score/latencyHistogram.ts), for the web UI: bin i counts the
     * pairs' latencies in (boundsMs[i], boundsMs[i + 1]], log-spaced edges (3 significant digits)
     * spanning both legs, the same for both; all empty before the route's first latency.
     */
    latencyHistogram: Type.Object(
      { boundsMs: Type.Array(Type.Number({ minimum: 0 })), primary: Type.Array(count), shadow: Type.Array(count) },
      strict,
    ),
    headers: Type.Array(HeaderReportSchema),
    fields: Type.Array(FieldReportSchema),
    /** Numeric fields with captured values, largest relative difference first (present once one is measured). */
    fieldsByMagnitude: Type.Optional(Type.Array(Type.Object({ path: Type.String(), ...MagnitudeReportSchema.properties }, strict))),
    /** Pairs whose only differences were within compare.tolerances: not diverged, counted here (present once one is). */
    withinTolerance: Type.Optional(count),
    fieldsTracked: count,
    /** fields (and headers) that gave up their place in this route's tables to heavier ones (report.maxFieldsPerRoute or the tallies budget) */
    fieldsEvicted: count,
    /** resolved requests this route may have had before it got its place (routes evicted before it); 0 when counted from the first */
    countError: count,
    /**
     * Present once the route has triples: the rollout gate's count, diverged pairs less those whose
     * only differences are fields the secondary proved noise (score/secondaryNoise.ts), and its interval.
     */
    gate: Type.Optional(
      Type.Object(
        {
          diverged: count,
          /** diverged pairs whose only differences were secondary-proven noise: not counted by the gate */
          noiseOnly: count,
          rate: share,
          ci95: nullable(WilsonIntervalSchema),
        },
        strict,
      ),
    ),
  },
  strict,
);
export type RouteReport = Static<typeof RouteReportSchema>;

export const ReportSchema = Type.Object(
  {
    generatedAtUnixMs: Type.Integer(),
    windowMs: Type.Integer(),
    /** The rollout gate (report.gateMaxUpperBound): open while every route's upper bound (its `gate.ci95` with triples, else `divergenceCi95`) is at most maxUpperBound. */
    rolloutGate: Type.Object({ maxUpperBound: Type.Number({ minimum: 0, maximum: 1 }) }, strict),
    totals: Type.Object(
      {
        /** legs received, by leg; `secondary` present once one arrived */
        records: CountsByLegSchema,
        duplicates: count,
        late: count,
        rejectedRecords: count,
        /** legs that were pending when the collector stopped or crashed, summed over restarts */
        lostOnRestart: count,
        /** legs waiting in the join window; null from Kafka mode's report role, which does not hold them (the join workers do) */
        pending: nullable(count),
        matched: count,
        diverged: count,
        coverage: CoverageSchema,
      },
      strict,
    ),
    /** routes tracked apart, `other` not included */
    routesTracked: count,
    /** routes that gave up their place to heavier ones; their counts are in `other` */
    routeEvictions: count,
    /** estimated bytes held per part and what the budget evicted or refused */
    budget: eachOfSchema(BUDGET_PARTS, BudgetReadingSchema),
    routes: Type.Array(RouteReportSchema),
  },
  strict,
);
export type Report = Static<typeof ReportSchema>;

const recordOrNull = nullable(Type.Unsafe<IngestedRecord>({ $ref: '#/definitions/record' }));

export const PairViewSchema = Type.Object(
  {
    id: Type.String(),
    state: literalEnum(PAIR_STATES),
    route: nullable(Type.String()),
    primary: recordOrNull,
    shadow: recordOrNull,
    diff: nullable(PairDiffSchema),
    resolvedAtUnixMs: nullable(Type.Integer()),
    /** the secondary leg: present when one joined (or is pending); null when the primary announced one that never came */
    secondary: Type.Optional(recordOrNull),
    /** primary vs secondary, present with a secondary record of a resolved pair: what non-determinism alone made differ */
    secondaryDiff: Type.Optional(PairDiffSchema),
  },
  // Both records as ingested (either wire version, decoded): the wire schema's definitions resolve their $refs.
  { ...strict, definitions: { ...WIRE_SCHEMA.definitions, record: IngestedRecordSchema } },
);
export type PairView = Static<typeof PairViewSchema>;
