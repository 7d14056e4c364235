// The configuration's schema, defined once: ajv validates with it (filling in the defaults) and
// the CollectorConfig type is derived from it (Static<>), so the two cannot drift apart.

import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { KAFKA_ROLES } from './kafka/roles.js';
import { literalEnum } from './schema/literalEnum.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const HEADER_NAME_OR_STAR = "^(\\*|[a-z0-9!#$%&'+.^_`|~-]{1,128})$";

// Printable ASCII like the filter's collector.token; inner spaces allowed, none at the ends.
const TOKEN_PATTERN = '^([!-~]([ -~]*[!-~])?)?$';

const stringList = <T extends TSchema>(items: T, maxItems: number) => Type.Array(items, { maxItems, default: [] });

/** A section: unknown fields refused, absent means all defaults. */
const section = <P extends Parameters<typeof Type.Object>[0]>(properties: P) =>
  Type.Object(properties, { additionalProperties: false, default: {} });

// Kafka's legal topic names (letters, digits, '.', '_', '-'; at most 249), except '.' and '..'.
const topicName = (name: string) => Type.String({ pattern: '^(?!\\.{1,2}$)[A-Za-z0-9._-]{1,249}$', default: name });
// host:port, or [IPv6]:port; the port's range is checked with the other kafka constraints.
const BROKER_ADDRESS = Type.String({ pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]{1,253}):[0-9]{1,5}$' });

/**
 * Kafka mode (collector/kafka/): the roles this process plays on a Kafka cluster. Absent, the
 * collector is the embedded single process, with its own store.
 */
const KAFKA_SECTION = Type.Object(
  {
    /** bootstrap brokers, `host:port` */
    brokers: Type.Array(BROKER_ADDRESS, { minItems: 1, maxItems: 100 }),
    /** ingest, join, report (several in one process allowed) */
    roles: Type.Array(literalEnum(KAFKA_ROLES), { minItems: 1, maxItems: KAFKA_ROLES.length, uniqueItems: true }),
    clientId: Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9._-]+$', default: 'shadowdiff-collector' }),
    /** the consumer group the join workers form on the legs topic (its committed offsets are where a worker taking a partition over starts) */
    groupId: Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9._-]+$', default: 'shadowdiff-join' }),
    topics: section({
      /** every accepted leg, keyed by correlation id */
      legs: topicName('shadowdiff.legs'),
      /** one verdict per correlation id */
      verdicts: topicName('shadowdiff.verdicts'),
    }),
    /** partitions of a topic the collector creates (an existing topic keeps its own) */
    partitions: Type.Integer({ minimum: 1, maximum: 10000, default: 12 }),
    /** replicas of a topic the collector creates; 3 survives the loss of a broker with acks=all and min.insync.replicas=2 */
    replicationFactor: Type.Integer({ minimum: 1, maximum: 32, default: 3 }),
    /** retention.ms of the legs topic when the collector creates it; must exceed join.windowMs */
    legsRetentionMs: Type.Integer({ minimum: 1000, maximum: 31536000000, default: 86400000 }),
    /** how long ingest waits for Kafka to acknowledge a batch before answering 503; below the filter's collector.timeoutMs (2000 by default) */
    produceTimeoutMs: Type.Integer({ minimum: 100, maximum: 60000, default: 1500 }),
    /**
     * how long the group waits for a join worker that stopped heartbeating before its partitions
     * move (what a killed worker delays its partitions by); within the brokers' default
     * group.min/max.session.timeout.ms (6 s … 30 min)
     */
    sessionTimeoutMs: Type.Integer({ minimum: 6000, maximum: 1800000, default: 10000 }),
    /**
     * how long a join worker with partitions assigned may go without a step before /readyz fails
     * (503 JOIN_STALLED); must exceed sessionTimeoutMs; absent: 2 × sessionTimeoutMs + the
     * rebalance timeout (20 s), 40 s by default (kafka/stepAge.ts says why)
     */
    joinStallMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 86400000 })),
  },
  { additionalProperties: false },
);

const routeIgnoreProperties = {
  fields: stringList(Type.String(), 1000),
  headers: stringList(Type.String(), 1000),
};
const RouteIgnoreSchema = Type.Object(routeIgnoreProperties, { additionalProperties: false });

export const CONFIG_SCHEMA = Type.Object(
  {
    listen: section({
      host: Type.String({ minLength: 1, maxLength: 255, default: '127.0.0.1' }),
      port: Type.Integer({ minimum: 0, maximum: 65535, default: 8090 }),
      /**
       * Listening beyond loopback without both tokens serves batches, reports, metrics and pairs
       * (paths, authorities, request ids) to anyone who can reach the port, so it is refused unless
       * this says it is intended; it is then warned about at start-up.
       */
      allowUnauthenticatedExposure: Type.Boolean({ default: false }),
    }),
    /** Bearer token required on POST /v1/batches; empty means no authentication. */
    token: Type.String({ maxLength: 256, pattern: TOKEN_PATTERN, default: '' }),
    /** Bearer token required on the read endpoints (report, pairs, metrics); empty means open. A second token, so that whoever may read reports need not be able to feed batches, and back. */
    reportToken: Type.String({ maxLength: 256, pattern: TOKEN_PATTERN, default: '' }),
    /** Where what the collector learned survives restarts; `path: ""` keeps it in memory only. */
    store: section({
      // Relative paths resolve against the working directory.
      path: Type.String({ maxLength: 4096, default: '.shadowdiff/collector.sqlite' }),
      // How often what the pipeline derived is checkpointed; batches are logged before they are answered regardless.
      snapshotIntervalMs: Type.Integer({ minimum: 100, maximum: 3600000, default: 1000 }),
      // SQLite's `synchronous` in WAL mode: normal survives a crash of the process, full also a power loss (an fsync per group commit).
      synchronous: Type.Union([Type.Literal('normal'), Type.Literal('full')], { default: 'normal' }),
    }),
    bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 268435456, default: 8388608 }),
    join: section({
      windowMs: Type.Integer({ minimum: 100, maximum: 3600000, default: 30000 }),
      maxPending: Type.Integer({ minimum: 1, maximum: 10000000, default: 100000 }),
      /** How long a resolved correlation id is remembered to drop re-deliveries and spot late legs. */
      rememberMs: Type.Integer({ minimum: 0, maximum: 86400000, default: 60000 }),
      maxRemembered: Type.Integer({ minimum: 0, maximum: 10000000, default: 200000 }),
      sweepIntervalMs: Type.Integer({ minimum: 10, maximum: 60000, default: 1000 }),
    }),
    routes: section({
      max: Type.Integer({ minimum: 1, maximum: 10000, default: 200 }),
      templates: stringList(Type.String({ minLength: 1, maxLength: 2048 }), 1000),
    }),
    compare: section({
      headers: Type.Array(
        // `*` alone: every header the filter digested.
        Type.String({ pattern: HEADER_NAME_OR_STAR }),
        // etag is left out: it changes whenever the body does, or per instance.
        { maxItems: 64, uniqueItems: true, default: ['content-type', 'content-encoding', 'cache-control', 'location', 'vary'] },
      ),
      /** id-like map keys in field paths collapse to [{key}] (numeric, UUID, 16+ hex, like route segments, or one of keyPatterns) */
      collapseKeys: Type.Boolean({ default: true }),
      /** regular expressions (whole key) for more id-like keys; the default catches `sku-123`, `user_42`, `order:9` */
      keyPatterns: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
        maxItems: 100,
        default: ['^[A-Za-z][A-Za-z0-9]*[-_:][0-9]+$'],
      }),
      /**
       * Numeric differences declared acceptable, per field glob (the grammar of ignore rules; the
       * first that matches applies): within abs (absolute) or rel (relative to the larger value),
       * reported as within tolerance, not as diverged. Needs the values captured by the filter (digest.capture).
       */
      tolerances: Type.Array(
        Type.Object(
          {
            path: Type.String({ minLength: 1, maxLength: 1024 }),
            abs: Type.Optional(Type.Number({ minimum: 0 })),
            rel: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          },
          { additionalProperties: false },
        ),
        { maxItems: 1000, default: [] },
      ),
    }),
    /**
     * Byte budgets (estimated heap bytes) for what the collector keeps; together with the caps in
     * entries they bound its memory. The defaults (96 + 64 + 64 MiB) leave room in a 512 MiB
     * container for the batch being parsed, V8 and Node itself.
     */
    budget: section({
      /** legs waiting in the join window; the oldest are evicted (counted as evicted) */
      pendingBytes: Type.Integer({ minimum: 65536, maximum: 68719476736, default: 100663296 }),
      /** retained pairs for GET /v1/pairs/:id; the oldest non-diverged go first */
      pairsBytes: Type.Integer({ minimum: 65536, maximum: 68719476736, default: 67108864 }),
      /** route, field and header tallies; the lightest entries give up their place */
      talliesBytes: Type.Integer({ minimum: 65536, maximum: 68719476736, default: 67108864 }),
    }),
    ignore: section({
      ...routeIgnoreProperties,
      /** key: a route as the report names it (`GET /orders/{id}`) or a path template for every method (`/orders/{id}`) */
      routes: Type.Unsafe<Record<string, RouteIgnoreConfig>>({
        type: 'object',
        additionalProperties: RouteIgnoreSchema,
        maxProperties: 10000,
        default: {},
      }),
    }),
    report: section({
      topK: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
      examplesPerField: Type.Integer({ minimum: 0, maximum: 20, default: 3 }),
      maxFieldsPerRoute: Type.Integer({ minimum: 1, maximum: 10000, default: 512 }),
      noiseThreshold: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.9 }),
      noiseMinPairs: Type.Integer({ minimum: 1, default: 20 }),
      /** the rollout gate: the largest upper bound of a route's divergence interval that still lets the shadow be promoted (as the shipped alert rule's 1%) */
      gateMaxUpperBound: Type.Number({ minimum: 0, maximum: 1, default: 0.01 }),
    }),
    /** How a route's latency becomes a finding (score/latencyVerdict.ts). */
    score: section({
      latency: section({
        /** a p95 delta below this many ms is never a latency finding */
        minDeltaMs: Type.Number({ minimum: 0, maximum: 3600000, default: 10 }),
        /** nor one below this share of the primary's p95 */
        minRelativeDelta: Type.Number({ minimum: 0, maximum: 100, default: 0.1 }),
        /** fewer pairs in a route's reservoir give no verdict (too_few_pairs) */
        minPairs: Type.Integer({ minimum: 2, maximum: 100000, default: 20 }),
        /** pairs kept per route (a uniform sample), 16 bytes each from budget.talliesBytes */
        reservoirPairs: Type.Integer({ minimum: 16, maximum: 100000, default: 512 }),
        /** bootstrap resamples per interval */
        resamples: Type.Integer({ minimum: 100, maximum: 100000, default: 1000 }),
      }),
    }),
    pairs: section({
      keepDiverged: Type.Integer({ minimum: 0, maximum: 1000000, default: 2000 }),
      keepOther: Type.Integer({ minimum: 0, maximum: 1000000, default: 500 }),
    }),
    logLevel: literalEnum(LOG_LEVELS, { default: 'info' }),
    kafka: Type.Optional(KAFKA_SECTION),
  },
  { additionalProperties: false },
);

export type CollectorConfig = Static<typeof CONFIG_SCHEMA>;
export type IgnoreConfig = CollectorConfig['ignore'];
export type KafkaConfig = Static<typeof KAFKA_SECTION>;
export type RouteIgnoreConfig = Static<typeof RouteIgnoreSchema>;
