// Public types of the collector. The wire types are derived from the wire schema
// (ingest/wireSchema.ts); values only reach them after that schema has validated them.

export type { DigestBatch, DigestRecord, JsonState, Leg, WireLeg } from './ingest/wireSchema.js';
export type { IngestResponse, IngestSummary } from './ingest/ingestResponseSchema.js';
export type { DigestBatchV2, DigestRecordV2, HashAlgorithm } from './ingest/wireSchemaV2.js';
/** What the pipeline joins and compares: a record of either wire format version, decoded. */
export type { IngestedRecord } from './ingest/ingestedRecord.js';

/** Milliseconds since the Unix epoch; injected so tests drive the join window without sleeping. */
export interface Clock {
  now(): number;
}

// ---------------------------------------------------------------- configuration

export type { CollectorConfig, IgnoreConfig, RouteIgnoreConfig } from './configSchema.js';

// ---------------------------------------------------------------- comparison, report

export type { DiffChange, DivergenceKind, FallbackReason, FieldDiff, HeaderDiff, PairDiff } from './compare/divergence.js';
export type { MissingOutcome, PairOutcome, PairState } from './join/outcomes.js';
export type { BudgetPart, BudgetReading } from './budget/byteBudget.js';
export type {
  Coverage,
  FieldReport,
  HeaderReport,
  LatencyQuantilesMs,
  PairView,
  Report,
  RouteReport,
  WilsonInterval,
} from './report/reportSchema.js';
