// Wire format 2, defined once like version 1 (wireSchema.ts): version 1 with the leaf paths moved
// into one table per batch. The record members they share are version 1's own definitions, the
// types are derived from it, ajv validates with it, and filter/wire-format-v2.schema.json is
// generated from it (`npm run gen:wire-schema`; a test fails when the committed file differs).

import { Type, type Static } from '@sinclair/typebox';
import { literalEnum } from '../schema/literalEnum.js';
import { CapturedValueSchema } from './capturedValueSchema.js';
import { RECORD_LIMITS } from './recordLimits.js';
import { DigestRecordSchema, JSON_STATES, WIRE_SCHEMA } from './wireSchema.js';

/** Hash algorithms a batch can name; version 1 batches are always FNV-1a. */
export const HASH_ALGORITHMS = ['fnv1a', 'xxh64'] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];
export const WIRE_V1_HASH: HashAlgorithm = 'fnv1a';

/**
 * `encoding` of a content-encoded body (identity is never named): the filter decodes gzip and
 * deflate; the others are named so the report can say why a body compared by its bytes.
 * `other`: any other coding, or several stacked.
 */
export const CONTENT_CODINGS = ['gzip', 'deflate', 'br', 'zstd', 'compress', 'other'] as const;
export type ContentCoding = (typeof CONTENT_CODINGS)[number];

/** `decoding`: how decoding a content-encoded body went; only `ok` makes the digest one of the content. */
export const DECODING_OUTCOMES = ['ok', 'unsupported', 'corrupt', 'truncated', 'too_large'] as const;
export type DecodingOutcome = (typeof DECODING_OUTCOMES)[number];

/** Per record and per batch: the same leaf limits as version 1's `fields`. */
export const MAX_RECORD_PATHS = RECORD_LIMITS.maxFields;
export const MAX_BATCH_PATHS = 65536;
/** Hex digits of one leaf hash in `hashes` (and of one subtree hash in `subtreeHashes`). */
export const HASH_DIGITS = 8;
export const MAX_RECORD_SUBTREES = RECORD_LIMITS.maxSubtrees;

/** [first, count] runs of indices into the batch's `paths`. */
function indexRuns(maxNamed: number, description: string) {
  return Type.Array(
    Type.Tuple([Type.Integer({ minimum: 0, maximum: MAX_BATCH_PATHS - 1 }), Type.Integer({ minimum: 1, maximum: maxNamed })]),
    { maxItems: maxNamed, description },
  );
}

// `bodyHash` keeps its place among the shared members, with a description that names no algorithm.
const { fields: _fields, ...shared } = DigestRecordSchema.properties;

/** Optional in version 2 (filters before it send none, version 1 has no such member); the collector's ingested record keeps it. */
export const UPSTREAM_US = Type.Integer({
  minimum: 0,
  description:
    "Envoy's response.backend_latency for this leg, microseconds: from the first request byte its router sent to the upstream service to the last response byte it received from it, on the hop that reaches the service (the edge's router for the primary; the internal listener's or the shadow sidecar's router for the shadow). Both legs are timed from the same points, whatever hop carries the copy. Absent when Envoy has no such timing (no upstream reached, a local reply, a filter of an earlier release).",
});

export const DigestRecordV2Schema = Type.Object(
  {
    ...shared,
    bodyHash: Type.Unsafe<string>({
      $ref: '#/definitions/hash64',
      description:
        "Hash of the whole response body, in the batch's `hash` algorithm: of its decoded content when `decoding` is ok (so a gzip body and an identity body of the same content hash alike), else of its bytes as received.",
    }),
    json: literalEnum(JSON_STATES, {
      description:
        'none: the response was not JSON (by content-type), had no body, was in a content coding that did not decode (see `decoding`), or structural digests are off; ok: parsed (a gzip or deflate body: its decoded content); malformed: invalid JSON. When json is not ok, there are no leaves: only bodyHash compares.',
    }),
    encoding: Type.Optional(
      literalEnum(CONTENT_CODINGS, {
        description:
          'The content coding of the body (its content-encoding header; x-gzip is gzip). Absent: identity. Present exactly when `decoding` and `decodedBytes` are.',
      }),
    ),
    decoding: Type.Optional(
      literalEnum(DECODING_OUTCOMES, {
        description:
          "ok: decoded, the digest (bodyHash, leaves) is of the content; unsupported: a coding the filter does not decode; corrupt: not a valid stream of its coding (bad header, code or check value, or data after its end); truncated: the body ended before the stream did; too_large: the content exceeded the filter's digest.maxDecodedBytes. Unless ok, bodyHash is of the bytes as received and json is none.",
      }),
    ),
    decodedBytes: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'Content bytes decoded (up to where decoding stopped, unless ok); respBytes stays the bytes received.',
      }),
    ),
    upstreamUs: Type.Optional(UPSTREAM_US),
    pathRuns: Type.Optional(
      indexRuns(
        MAX_RECORD_PATHS,
        "Structural digest, part 1: the record's leaf paths in document order, as runs [first, count] of indices into the batch's `paths` (run [5, 3] names paths 5, 6 and 7). At most 4096 paths in all, each named once; present exactly when `hashes` is. Absent: no leaves (json is not ok, or maxFields is 0).",
      ),
    ),
    hashes: Type.Optional(
      Type.String({
        maxLength: MAX_RECORD_PATHS * HASH_DIGITS,
        pattern: '^(?:[0-9a-f]{8})*$',
        description:
          "Structural digest, part 2: the hash of each leaf `pathRuns` names, in the same order, 8 lower-case hex digits each (the 32-bit leaf hash of the batch's `hash` algorithm), concatenated.",
      }),
    ),
    subtreeRuns: Type.Optional(
      indexRuns(
        MAX_RECORD_SUBTREES,
        "Subtree digest (optional; only when fieldsTruncated), part 1: the names of the record's subtree entries, as runs into the batch's `paths` like pathRuns. A name is a path (a container: the root `$` and every container with more leaves than maxFields, or a member of such an object with at most maxFields leaves), a path followed by `[a..b]` or `[a]` (items a to b of such an array, hashed together in order), by `{r/g}` (the scalar members of such an object whose key hash falls in share r of g, hashed regardless of order) or by `{a..b}` (members at positions a to b of such an object, merged at the bound). At most digest.maxSubtrees entries, each named once; present exactly when `subtreeHashes` is.",
      ),
    ),
    subtreeHashes: Type.Optional(
      Type.String({
        maxLength: MAX_RECORD_SUBTREES * HASH_DIGITS,
        pattern: '^(?:[0-9a-f]{8})*$',
        description:
          "Subtree digest, part 2: the 32-bit hash of each entry `subtreeRuns` names, in the same order, 8 lower-case hex digits each. A container's hash is made from its children's (an object's regardless of key order), a leaf's is its `hashes` hash.",
      }),
    ),
    subtreesTruncated: Type.Optional(
      Type.Boolean({
        description:
          "True when entries were left out at the filter's digest.maxSubtrees bound; the containers above them still cover them.",
      }),
    ),
    values: Type.Optional(
      Type.Array(Type.Tuple([Type.Integer({ minimum: 0, maximum: MAX_RECORD_PATHS - 1 }), CapturedValueSchema]), {
        minItems: 1,
        maxItems: RECORD_LIMITS.maxCapturedValues,
        description:
          "Captured values (the filter's digest.capture, off by default): [k, value] for the k-th leaf that pathRuns names (from 0), in document order, each leaf at most once. Only leaves whose path the capture globs select; at most digest.capture.maxBytes bytes of them per record.",
      }),
    ),
    valuesTruncated: Type.Optional(
      Type.Literal(true, { description: 'Some selected values were left out: they did not fit digest.capture.maxBytes.' }),
    ),
  },
  {
    additionalProperties: false,
    dependencies: {
      pathRuns: ['hashes'],
      hashes: ['pathRuns'],
      subtreeRuns: ['subtreeHashes', 'subtreesTruncated'],
      subtreeHashes: ['subtreeRuns'],
      subtreesTruncated: ['subtreeRuns'],
      values: ['pathRuns'],
      encoding: ['decoding', 'decodedBytes'],
      decoding: ['encoding', 'decodedBytes'],
      decodedBytes: ['encoding', 'decoding'],
    },
  },
);

/** One leg of one sampled request, as a version 2 filter sends it. */
export type DigestRecordV2 = Static<typeof DigestRecordV2Schema>;

export const WIRE_SCHEMA_V2 = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://shadowdiff.dev/schemas/digest-batch-v2.json',
  ...Type.Object(
    {
      v: Type.Unsafe<2>({ const: 2, description: 'Wire format version.' }),
      source: WIRE_SCHEMA.properties.source,
      sentUnixMs: WIRE_SCHEMA.properties.sentUnixMs,
      hash: literalEnum(HASH_ALGORITHMS, {
        description:
          'Hash algorithm of every hash in the batch. fnv1a: FNV-1a 64 (bodyHash) and its 32-bit fold (headers, leaves), as in version 1; xxh64: xxHash64 (seed 0) and its 32-bit fold. Legs hashed with different algorithms share no hash: the collector compares their status, completion, body size and JSON verdict only (fallback reason hash_algorithm_differs).',
      }),
      records: Type.Array(Type.Unsafe<DigestRecordV2>({ $ref: '#/definitions/record' }), {
        minItems: 1,
        maxItems: RECORD_LIMITS.maxRecordsPerBatch,
      }),
      paths: Type.Array(
        Type.String({
          minLength: 1,
          maxLength: RECORD_LIMITS.maxFieldPathLength,
          pattern: '^\\$',
          description: "A leaf path, with the grammar and limits of version 1's `fields` names.",
        }),
        {
          maxItems: MAX_BATCH_PATHS,
          description: "The batch's path table: each distinct leaf path of its records once, indexed from 0 by the records' pathRuns.",
        },
      ),
    },
    {
      title: 'shadowdiff digest batch, version 2',
      description:
        "What the shadowdiff filter POSTs to the collector by default (collector.wireVersion 2): version 1 (digest-batch-v1.json) with the leaf paths moved into one table per batch, so a path the records of a batch share (the records of one route) is sent once. Each record names its leaf paths by index runs into the batch's `paths` and sends its leaf hashes as one hex string; every other record member is version 1's. Decoding: fields[paths[i]] = hashes[8k, 8k+8) for the k-th index i that pathRuns names. Unknown fields are refused.",
      additionalProperties: false,
    },
  ),
  definitions: {
    hash64: Type.String({ pattern: '^[0-9a-f]{16}$', description: "64-bit hash of the batch's `hash` algorithm, lower-case hex." }),
    hash32: Type.String({
      pattern: '^[0-9a-f]{8}$',
      description: "32-bit hash (the batch's `hash` algorithm, 64 bits folded), lower-case hex.",
    }),
    record: DigestRecordV2Schema,
  },
};

export type DigestBatchV2 = Static<typeof WIRE_SCHEMA_V2>;

/** The published JSON text of the schema. */
export function wireSchemaV2Json(): string {
  return `${JSON.stringify(WIRE_SCHEMA_V2, null, 2)}\n`;
}

/** Where the published copy lives, beside version 1's. */
export const WIRE_SCHEMA_V2_URL = new URL('../../filter/wire-format-v2.schema.json', import.meta.url);
