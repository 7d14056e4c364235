// POST /v1/batches: authenticate, validate against the wire schema, keep the valid records.
//
// Answers: 200 with what was accepted (and the records rejected, if any); 400 BATCH_INVALID when
// the envelope is wrong or no record is valid (nothing accepted); 401, 413, 415 as usual. Where the
// records are kept is the keeper's: the embedded collector's pipeline (with a store, a batch is
// logged and committed before it is applied and answered; when the store cannot keep it the
// answer is 503 STORE_UNAVAILABLE and nothing of it is applied), or, in Kafka mode's ingest
// role, the legs topic (answered once Kafka acknowledged every record; 503 KAFKA_UNAVAILABLE
// otherwise). Either way a 503 makes the filter count the batch as lost.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { IngestResponseSchema, type IngestResponse } from '../ingest/ingestResponseSchema.js';
import type { WireValidator } from '../ingest/wireValidator.js';
import { requireBearerToken } from './bearerAuth.js';
import type { IngestSummary } from '../ingest/ingestResponseSchema.js';
import type { Pipeline } from '../pipeline.js';
import type { AppendedBatch, DurableStore } from '../store/durableStore.js';
import { CollectorError, ERRORS, MAX_ERROR_DETAILS, type ErrorDetail } from './errors.js';
import type { IngestedRecord } from '../ingest/ingestedRecord.js';
import type { CollectorMetrics } from '../metrics/collectorMetrics.js';
import { KafkaUnavailableError, type LegProducer } from '../kafka/legProducer.js';
import type { Clock } from '../types.js';

/** The path the filter posts to by default (its `collector.path`). */
export const INGEST_PATH = '/v1/batches';

/** Keeps a batch's valid records (and counts its rejected ones); resolves once they are kept. */
export type BatchKeeper = (records: IngestedRecord[], rejected: number) => Promise<IngestSummary>;

/** The embedded collector: applies the batch to the pipeline once it is durable (at once without a store). */
export function pipelineKeeper(pipeline: Pipeline, store: () => DurableStore | null): BatchKeeper {
  return async (records, rejected) => {
    const durable = store();
    if (durable === null) {
      const summary = records.length > 0 ? await pipeline.ingestInSlices(records) : { accepted: 0, duplicates: 0, late: 0 };
      pipeline.countRejected(rejected);
      return summary;
    }
    const arrivedUnixMs = pipeline.admit();
    let appended: AppendedBatch;
    try {
      appended = await durable.append(arrivedUnixMs, records, rejected);
    } catch (error) {
      pipeline.abandon(arrivedUnixMs);
      throw new CollectorError('STORE_UNAVAILABLE', `${ERRORS.STORE_UNAVAILABLE.summary}: ${(error as Error).message}`);
    }
    // In slices, in log order (the store answers in it): joining and scoring a large batch takes tens of ms.
    return pipeline.applyInSlices({ seq: appended.seq, arrivedUnixMs, records, rejected, legBytes: appended.legBytes });
  };
}

/**
 * Kafka mode's ingest role: produces the batch's legs to the legs topic and resolves once Kafka
 * acknowledged every one. Duplicates and late legs are the join's to find: none are known here.
 */
export function kafkaKeeper(producer: LegProducer, metrics: CollectorMetrics, clock: Clock): BatchKeeper {
  return async (records, rejected) => {
    metrics.recordsRejectedBy(rejected);
    try {
      await producer.produce(records, clock.now());
    } catch (error) {
      if (error instanceof KafkaUnavailableError)
        throw new CollectorError('KAFKA_UNAVAILABLE', `${ERRORS.KAFKA_UNAVAILABLE.summary}: ${error.message}`);
      throw error;
    }
    metrics.recordsReceivedIn(records);
    return { accepted: records.length, duplicates: 0, late: 0 };
  };
}

export function registerIngestRoute(
  app: FastifyInstance,
  deps: { keep: BatchKeeper; validator: WireValidator; metrics: CollectorMetrics; token: string },
): void {
  const { keep } = deps;
  app.post(
    INGEST_PATH,
    {
      onRequest: [requireBearerToken(deps.token, 'ingest (token)'), refuseContentEncoding],
      schema: { response: { 200: IngestResponseSchema } },
    },
    async (request): Promise<IngestResponse> => {
      // In slices: a large batch's validation and decoding take tens of milliseconds.
      const verdict = await deps.validator.checkInSlices(request.body);
      if (verdict.batchErrors.length > 0 || verdict.records.length === 0) {
        await keep([], verdict.received);
        deps.metrics.batch('rejected');
        const details = [...verdict.batchErrors, ...verdict.recordErrors];
        throw new CollectorError('BATCH_INVALID', `batch rejected, nothing accepted: ${summarize(details)}`, details);
      }
      const summary = await keep(verdict.records, verdict.rejectedRecords);
      if (verdict.version !== null) deps.metrics.wireRecords(verdict.version, verdict.records.length);
      deps.metrics.batch(verdict.rejectedRecords > 0 ? 'partial' : 'accepted');
      return {
        ...summary,
        rejectedRecords: verdict.rejectedRecords,
        rejected: verdict.recordErrors.slice(0, MAX_ERROR_DETAILS),
      };
    },
  );
}

/**
 * The filter never compresses batches, and Fastify would read a compressed body as plain text and
 * call it malformed JSON; say what is actually wrong instead.
 */
async function refuseContentEncoding(request: FastifyRequest): Promise<void> {
  const encoding = request.headers['content-encoding']?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
    throw new CollectorError(
      'UNSUPPORTED_MEDIA_TYPE',
      `content-encoding ${JSON.stringify(encoding)} is not supported: send the batch uncompressed`,
      [{ field: 'headers.content-encoding', message: 'must be absent or identity' }],
    );
  }
}

function summarize(details: readonly ErrorDetail[]): string {
  const first = details[0];
  if (first === undefined) return 'no records';
  const record = first.index === undefined ? '' : `records[${first.index}]`;
  const where = first.field.startsWith('(') ? record || first.field : record === '' ? first.field : `${record}.${first.field}`;
  const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
  return `${where}: ${first.message}${more}`;
}
