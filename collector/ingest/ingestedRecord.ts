// The record the pipeline works on, whichever wire format version it arrived in: version 1's
// record, plus the hash algorithm when it is not version 1's FNV-1a (set by the version 2
// decoder), so legs hashed differently are never compared hash by hash, and version 2's
// `upstreamUs` when the filter sent it. Pair views and
// snapshots carry it as it is.

import { Type, type Static } from '@sinclair/typebox';
import { literalEnum } from '../schema/literalEnum.js';
import { DigestRecordSchema } from './wireSchema.js';
import { HASH_ALGORITHMS, UPSTREAM_US } from './wireSchemaV2.js';

export const IngestedRecordSchema = Type.Object(
  {
    ...DigestRecordSchema.properties,
    upstreamUs: Type.Optional(UPSTREAM_US),
    hash: Type.Optional(
      literalEnum(HASH_ALGORITHMS, {
        description: "The hash algorithm of the record's hashes when it is not fnv1a (a version 2 batch's `hash`); absent: fnv1a.",
      }),
    ),
  },
  { additionalProperties: false },
);

export type IngestedRecord = Static<typeof IngestedRecordSchema>;
