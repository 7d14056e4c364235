// Public types of the collector. The wire types are derived from the wire schema
// (ingest/wireSchema.ts); values only reach them after that schema has validated them.

export type { DigestBatch, DigestRecord, JsonState, Leg } from './ingest/wireSchema.js';

/** Milliseconds since the Unix epoch; injected so tests drive the join window without sleeping. */
export interface Clock {
  now(): number;
}

// ---------------------------------------------------------------- configuration

export interface RouteIgnoreConfig {
  fields: string[];
  headers: string[];
}

export interface IgnoreConfig extends RouteIgnoreConfig {
  /** key: a route as the report names it (`GET /orders/{id}`) or a path template for every method (`/orders/{id}`) */
  routes: Record<string, RouteIgnoreConfig>;
}

export interface CollectorConfig {
  listen: { host: string; port: number };
  /** Bearer token required on POST /v1/batches; empty means no authentication. */
  token: string;
  /** Bearer token required on the read endpoints (report, pairs, metrics); empty means open. */
  reportToken: string;
  /** Where what the collector learned survives restarts; `path: ""` keeps it in memory only. */
  store: { path: string; snapshotIntervalMs: number };
  bodyLimitBytes: number;
  join: {
    windowMs: number;
    maxPending: number;
    /** How long a resolved correlation id is remembered to drop re-deliveries and spot late legs. */
    rememberMs: number;
    maxRemembered: number;
    sweepIntervalMs: number;
  };
  routes: { max: number; templates: string[] };
  compare: { headers: string[] };
  ignore: IgnoreConfig;
  report: {
    topK: number;
    examplesPerField: number;
    maxFieldsPerRoute: number;
    noiseThreshold: number;
    noiseMinPairs: number;
  };
  pairs: { keepDiverged: number; keepOther: number };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

// ---------------------------------------------------------------- comparison, report

export type { DiffChange, DivergenceKind, FallbackReason, FieldDiff, HeaderDiff, PairDiff } from './compare/divergence.js';
export type { MissingOutcome, PairOutcome, PairState } from './join/outcomes.js';
export type { Coverage, FieldReport, HeaderReport, LatencyQuantilesMs, PairView, Report, RouteReport, WilsonInterval } from './report/reportSchema.js';
