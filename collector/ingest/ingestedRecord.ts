// The record the pipeline works on, whichever wire format version it arrived in: version 1's
// record, plus the hash algorithm when it is not version 1's FNV-1a (set by the version 2
// decoder), so legs hashed differently are never compared hash by hash. Pair views and
// snapshots carry it as it is.

import { Type, type Static } from '@sinclair/typebox';
import { literalEnum } from '../schema/literalEnum.js';
import { RECORD_LIMITS } from './recordLimits.js';
import { DigestRecordSchema } from './wireSchema.js';
import { HASH_ALGORITHMS } from './wireSchemaV2.js';

export const IngestedRecordSchema = Type.Object(
  {
    ...DigestRecordSchema.properties,
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
  },
  { additionalProperties: false },
);

export type IngestedRecord = Static<typeof IngestedRecordSchema>;
