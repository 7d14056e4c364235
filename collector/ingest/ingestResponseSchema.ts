// The answer of POST /v1/batches, defined once: Fastify serialises the answer with it and the
// route's and the pipeline's types are derived from it (Static<>).

import { Type, type Static } from '@sinclair/typebox';
import { ErrorDetailSchema } from '../schema/schemaErrors.js';

const count = Type.Integer({ minimum: 0 });
const strict = { additionalProperties: false } as const;

const summaryProperties = {
  /** valid records taken in, duplicates and late legs included */
  accepted: count,
  /** re-delivered (id, leg) records, dropped */
  duplicates: count,
  /** legs whose partner's window had already closed */
  late: count,
};

/** What the pipeline made of the valid records of one batch. */
export const IngestSummarySchema = Type.Object(summaryProperties, strict);
export type IngestSummary = Static<typeof IngestSummarySchema>;

export const IngestResponseSchema = Type.Object(
  {
    ...summaryProperties,
    /** records refused by validation; the good records of the batch were accepted */
    rejectedRecords: count,
    /** the refused records by index, id and field, at most MAX_ERROR_DETAILS of them */
    rejected: Type.Array(ErrorDetailSchema),
  },
  strict,
);
export type IngestResponse = Static<typeof IngestResponseSchema>;
