// Public types of the collector. The wire types mirror filter/wire-format.schema.json;
// values only reach them after that schema has validated them (see batchValidator.ts).

import type { HashAlgorithm } from './ingest/wireV2.js';

export type Leg = 'primary' | 'shadow';
export type JsonState = 'none' | 'ok' | 'malformed';

/** One leg of one sampled request, as the filter sends it. */
export interface DigestRecord {
  id: string;
  requestId?: string;
  leg: Leg;
  segment: string;
  reason: 'segment' | 'default';
  method: string;
  path: string;
  authority: string;
  startUnixMs: number;
  firstByteUs: number;
  lastByteUs: number;
  status: number;
  complete: boolean;
  respBytes: number;
  /** header name -> 8-hex hash */
  headers: Record<string, string>;
  bodyHash: string;
  json: JsonState;
  /** JSON leaf path -> 8-hex hash of its value */
  fields: Record<string, string>;
  fieldsTruncated: boolean;
  /**
   * Not on the wire in version 1: the hash algorithm of the record's hashes, set by the version 2
   * decoder when it is not FNV-1a (absent: FNV-1a, as every version 1 record).
   */
  hash?: HashAlgorithm;
}

export interface DigestBatch {
  v: 1;
  source: string;
  sentUnixMs: number;
  records: DigestRecord[];
}

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

// ---------------------------------------------------------------- comparison

export type PairOutcome = 'match' | 'diverged' | 'shadow_missing' | 'primary_missing';
export type MissingOutcome = 'shadow_missing' | 'primary_missing';

/** Why a pair differs. `status_class` (2xx vs 5xx) is kept apart from `status` (200 vs 201). */
export type DivergenceKind = 'status_class' | 'status' | 'completion' | 'header' | 'body' | 'field';

/**
 * Why the whole-body hash decided a pair instead of the structural digest; `hash_algorithm_differs`:
 * the legs were hashed with different algorithms (filters of two releases during a rollout), so no
 * hash compares and status, completion and body size decide.
 */
export type FallbackReason = 'json_none' | 'json_malformed' | 'json_state_differs' | 'fields_truncated' | 'no_fields' | 'hash_algorithm_differs';

export type DiffChange = 'changed' | 'missing_in_shadow' | 'extra_in_shadow';

export interface FieldDiff {
  path: string;
  change: DiffChange;
  primary: string | null;
  shadow: string | null;
}

export interface HeaderDiff {
  name: string;
  change: DiffChange;
  primary: string | null;
  shadow: string | null;
}

export interface PairDiff {
  diverged: boolean;
  kinds: readonly DivergenceKind[];
  /** `fields`: the structural digest decided; `body`: the whole-body hash decided (see fallback). */
  basis: 'fields' | 'body';
  fallback: FallbackReason | null;
  status: { primary: number; shadow: number };
  statusClassChanged: boolean;
  completionChanged: boolean;
  bodyHashDiffers: boolean;
  headers: readonly HeaderDiff[];
  fields: readonly FieldDiff[];
  /** Differences that ignore rules removed, so an operator can tell "equal" from "equal after ignoring". */
  ignoredHeaders: number;
  ignoredFields: number;
}

// ---------------------------------------------------------------- report

export interface WilsonInterval {
  low: number;
  high: number;
}

export interface LatencyQuantilesMs {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface Coverage {
  pairs: number;
  shadowMissing: number;
  primaryMissing: number;
  evicted: number;
  /** pairs / (pairs + shadowMissing): the share of primaries whose shadow arrived in time; null before any data */
  shadowCoverage: number | null;
}

export interface FieldReport {
  /** array indices collapse to [*] so one field is one row */
  path: string;
  divergentPairs: number;
  /** share of this route's structurally compared pairs in which the field differed */
  rate: number;
  changed: number;
  missingInShadow: number;
  extraInShadow: number;
  examples: string[];
  likelyNoise: boolean;
  noiseReason: string | null;
  suggestedIgnore: string | null;
}

export interface HeaderReport {
  name: string;
  divergentPairs: number;
  changed: number;
  missingInShadow: number;
  extraInShadow: number;
  examples: string[];
}

export interface RouteReport {
  route: string;
  coverage: Coverage;
  pairs: number;
  diverged: number;
  divergenceRate: number | null;
  divergenceCi95: WilsonInterval | null;
  kinds: Record<DivergenceKind, number>;
  /** pairs decided by the body hash, and why; ignore rules cannot apply to those */
  bodyFallback: { pairs: number; reasons: Record<FallbackReason, number> };
  /** pairs whose fields were compared (status classes equal, structural basis): the denominator of field rates */
  structurallyCompared: number;
  errors: {
    primary: { count: number; rate: number | null };
    shadow: { count: number; rate: number | null };
    /** shadow rate minus primary rate */
    rateDelta: number | null;
    shadowOnly: number;
    primaryOnly: number;
  };
  latencyMs: { primary: LatencyQuantilesMs; shadow: LatencyQuantilesMs; delta: LatencyQuantilesMs };
  headers: HeaderReport[];
  fields: FieldReport[];
  fieldsTracked: number;
  /** field differences not tracked because the route hit report.maxFieldsPerRoute */
  fieldsOverflowed: number;
}

export interface Report {
  generatedAtUnixMs: number;
  windowMs: number;
  totals: {
    records: { primary: number; shadow: number };
    duplicates: number;
    late: number;
    rejectedRecords: number;
    /** legs that were pending when the collector stopped or crashed, summed over restarts */
    lostOnRestart: number;
    pending: number;
    matched: number;
    diverged: number;
    coverage: Coverage;
  };
  routesTracked: number;
  routeOverflows: number;
  routes: RouteReport[];
}

export interface PairView {
  id: string;
  state: 'pending' | 'paired' | MissingOutcome | 'evicted';
  route: string | null;
  primary: DigestRecord | null;
  shadow: DigestRecord | null;
  diff: PairDiff | null;
  resolvedAtUnixMs: number | null;
}
