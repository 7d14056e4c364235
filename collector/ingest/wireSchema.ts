// The wire format, defined once: what the filter POSTs and the collector accepts. The TypeScript
// types are derived from it (Static<>), ajv validates with it, and filter/wire-format.schema.json,
// the published schema the filter's docs point at, is generated from it
// (`npm run gen:wire-schema`; a test fails when the committed file differs).

import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { countsBySchema } from '../schema/countsBy.js';
import { literalEnum } from '../schema/literalEnum.js';
import { RECORD_LIMITS as L } from './recordLimits.js';

/** The two legs a pair is made of: what the totals, the per-leg series and the pair's judgement iterate. */
export const LEGS = ['primary', 'shadow'] as const;
export type Leg = (typeof LEGS)[number];

/**
 * Every leg a record can be: the pair's two, and `secondary`, a second instance of the primary's
 * version that the edge mirrored the request to as well (what differs between the two primaries
 * is non-determinism). Counted apart from the pair's legs (the totals' `secondary`).
 */
export const WIRE_LEGS = [...LEGS, 'secondary'] as const;
export type WireLeg = (typeof WIRE_LEGS)[number];

/**
 * Legs counted by leg (the totals, a verdicts topic's tally, a snapshot, the report): `secondary`
 * present only once there was one, so a count without secondaries reads as it did before them.
 */
export const CountsByLegSchema = Type.Object(
  { ...countsBySchema(LEGS).properties, secondary: Type.Optional(Type.Integer({ minimum: 0 })) },
  { additionalProperties: false },
);
export type CountsByLeg = Static<typeof CountsByLegSchema>;

export const JSON_STATES = ['none', 'ok', 'malformed'] as const;
export type JsonState = (typeof JSON_STATES)[number];

/** Correlation ids: the filter mints them, the pair endpoint and the router accept exactly these. */
export const CORRELATION_ID = { maxLength: 128, pattern: '^[0-9A-Za-z._:-]+$' } as const;

export const SAMPLING_REASONS = ['segment', 'default'] as const;
export type SamplingReason = (typeof SAMPLING_REASONS)[number];

/** header name or field path -> 32-bit hash; names are checked by `propertyNames`, values by #/definitions/hash32 */
function hashMap(options: Record<string, unknown>): TSchema & { static: Record<string, string> } {
  return Type.Unsafe<Record<string, string>>({ type: 'object', ...options, additionalProperties: { $ref: '#/definitions/hash32' } });
}

export const DigestRecordSchema = Type.Object(
  {
    id: Type.String({
      minLength: 1,
      ...CORRELATION_ID,
      description: 'Correlation id minted by the edge (header x-shadowdiff-id); the same on both legs.',
    }),
    requestId: Type.Optional(
      Type.String({ maxLength: L.maxRequestIdLength, description: 'x-request-id of this leg, for tracing; not used for joining.' }),
    ),
    leg: literalEnum(WIRE_LEGS, {
      description:
        'primary: the response the client got; shadow: the mirrored copy of the version under test; secondary: the mirrored copy of a second instance of the primary version (its differences from the primary are non-determinism).',
    }),
    withSecondary: Type.Optional(
      Type.Literal(true, {
        description:
          'Primary leg only (ignored on the others): the edge mirrored this request to the secondary as well, so the collector waits for the secondary leg (until the window closes) before judging the pair. Absent: no secondary was sent.',
      }),
    ),
    segment: Type.String({
      minLength: 1,
      maxLength: L.maxSegmentLength,
      pattern: '^[a-z0-9_-]+$',
      description: 'Segment that sampled the request (`default` when no rule matched).',
    }),
    reason: literalEnum(SAMPLING_REASONS, { description: 'Sampled by a segment rule, or by the default percentage.' }),
    method: Type.String({ minLength: 1, maxLength: L.maxMethodLength }),
    path: Type.String({ minLength: 1, maxLength: L.maxPathLength, description: 'Request path without the query string.' }),
    authority: Type.String({ maxLength: L.maxAuthorityLength, description: 'Host/authority, with any shadow host suffix removed.' }),
    startUnixMs: Type.Integer({ minimum: 0, description: 'When the filter saw the request headers, Unix epoch milliseconds.' }),
    firstByteUs: Type.Integer({ minimum: 0, description: 'Request headers to response headers, microseconds (0 when no response).' }),
    lastByteUs: Type.Integer({ minimum: 0, description: 'Request headers to the last response byte (or stream end), microseconds.' }),
    status: Type.Integer({ minimum: 0, maximum: 999, description: 'HTTP status; 0 when no response headers were seen (reset, timeout).' }),
    complete: Type.Boolean({ description: 'True when the response ended normally (end of stream seen).' }),
    respBytes: Type.Integer({ minimum: 0, description: 'Response body bytes seen by the filter.' }),
    headers: hashMap({
      maxProperties: L.maxHeaders,
      propertyNames: { pattern: `^[a-z0-9!#$%&'*+.^_\`|~-]{1,${L.maxHeaderNameLength}}$` },
      description: "Hash of each configured response header that is present (values of repeated headers joined by ',').",
    }),
    bodyHash: Type.Unsafe<string>({
      $ref: '#/definitions/hash64',
      description: 'Hash of the whole response body bytes (cbf29ce484222325 for an empty body).',
    }),
    json: literalEnum(JSON_STATES, {
      description:
        'none: the response was not JSON (by content-type), was content-encoded, had no body, or structural digests are off; ok: parsed; malformed: invalid JSON. When json is not ok, `fields` is empty and `fieldsTruncated` is false: only bodyHash compares.',
    }),
    fields: hashMap({
      maxProperties: L.maxFields,
      propertyNames: { minLength: 1, maxLength: L.maxFieldPathLength, pattern: '^\\$' },
      description:
        'Structural digest: leaf field path -> hash of its value, in document order. Grammar: path = "$" segment*; segment = "." identifier | "[" index "]" | "[" json-string "]"; identifier = [A-Za-z_][A-Za-z0-9_]*; keys over 256 bytes are written ["#<8 hex>"]. Leaves are scalars, empty {} and [] (hashed differently, so emptied and missing differ), and containers deeper than the filter\'s maxDepth (hashed whole). Empty unless json is ok.',
    }),
    fieldsTruncated: Type.Boolean({
      description: "True when the body had more leaves than the filter's maxFields; later leaves are not listed.",
    }),
  },
  { additionalProperties: false },
);

/** One leg of one sampled request, as the filter sends it. */
export type DigestRecord = Static<typeof DigestRecordSchema>;

export const WIRE_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://shadowdiff.dev/schemas/digest-batch-v1.json',
  ...Type.Object(
    {
      v: Type.Unsafe<1>({ const: 1, description: 'Wire format version.' }),
      source: Type.String({ minLength: 1, maxLength: 64, description: "The sending filter's `source` option (defaults to its role)." }),
      sentUnixMs: Type.Integer({ minimum: 0, description: 'When the batch left the proxy, Unix epoch milliseconds.' }),
      records: Type.Array(Type.Unsafe<DigestRecord>({ $ref: '#/definitions/record' }), { minItems: 1, maxItems: L.maxRecordsPerBatch }),
    },
    {
      title: 'shadowdiff digest batch, version 1',
      description:
        'What the shadowdiff filter POSTs to the collector: one batch of response digests, each describing one leg (primary, shadow or secondary) of one sampled request. The collector validates every batch against this schema. Versioning: any change to this shape, even an added optional field (unknown fields are refused), comes with a new value of `v`, and the collector accepts every version it knows.',
      additionalProperties: false,
    },
  ),
  definitions: {
    hash64: Type.String({ pattern: '^[0-9a-f]{16}$', description: '64-bit FNV-1a, lower-case hex.' }),
    hash32: Type.String({ pattern: '^[0-9a-f]{8}$', description: '32-bit hash (FNV-1a 64 folded), lower-case hex.' }),
    record: DigestRecordSchema,
  },
};

export type DigestBatch = Static<typeof WIRE_SCHEMA>;
export type WireSchema = typeof WIRE_SCHEMA;

/** The published JSON text of the schema (symbols TypeBox keeps for itself are not JSON). */
export function wireSchemaJson(): string {
  return `${JSON.stringify(WIRE_SCHEMA, null, 2)}\n`;
}

/** Where the published copy lives: the filter's docs and tests point at it. */
export const WIRE_SCHEMA_URL = new URL('../../filter/wire-format.schema.json', import.meta.url);
