// The record the pipeline works on, whichever wire format version it arrived in: version 1's
// record, plus the hash algorithm when it is not version 1's FNV-1a (set by the version 2
// decoder), so legs hashed differently are never compared hash by hash, version 2's content
// coding members when the body was content-encoded, and version 2's `upstreamUs` when the
// filter sent it. Pair views and snapshots carry it as it is; and the values the filter
// captured, by leaf path (capturedValue.ts).

import { Type, type Static } from '@sinclair/typebox';
import { literalEnum } from '../schema/literalEnum.js';
import { CapturedValueSchema } from './capturedValueSchema.js';
import { RECORD_LIMITS } from './recordLimits.js';
import { DigestRecordSchema } from './wireSchema.js';
import { DigestRecordV2Schema, HASH_ALGORITHMS, UPSTREAM_US } from './wireSchemaV2.js';

const { encoding, decoding, decodedBytes } = DigestRecordV2Schema.properties;

export const IngestedRecordSchema = Type.Object(
  {
    ...DigestRecordSchema.properties,
    encoding,
    decoding,
    decodedBytes,
    upstreamUs: Type.Optional(UPSTREAM_US),
    hash: Type.Optional(
      literalEnum(HASH_ALGORITHMS, {
        description: "The hash algorithm of the record's hashes when it is not fnv1a (a version 2 batch's `hash`); absent: fnv1a.",
      }),
    ),
    subtrees: Type.Optional(
      Type.Record(Type.String({ pattern: '^\\$' }), Type.Unsafe<string>({ $ref: '#/definitions/hash32' }), {
        maxProperties: RECORD_LIMITS.maxSubtrees,
        description:
          'The subtree digest of a version 2 record beyond the leaf budget: entry name -> hash (wire format 2 subtreeRuns/subtreeHashes).',
      }),
    ),
    subtreesTruncated: Type.Optional(Type.Boolean()),
    values: Type.Optional(
      Type.Record(Type.String(), CapturedValueSchema, {
        description: "Captured values by leaf path (a version 2 record's `values`); absent: none captured.",
      }),
    ),
    valuesTruncated: Type.Optional(
      Type.Literal(true, { description: 'The filter left some selected values out (digest.capture.maxBytes).' }),
    ),
  },
  { additionalProperties: false },
);

export type IngestedRecord = Static<typeof IngestedRecordSchema>;
