// buildApp(): the embedded collector as a Fastify instance, without listening (server.ts
// buildApp(): the embedded collector as a Fastify instance, without listening (server.ts
// listens), or with `kafka` Kafka mode's report role (the pipeline counts verdicts), with the
// ingest and join roles beside it when named, and the web UI; buildKafkaApp(): Kafka mode's ingest and join
// roles without a report (ingest: the same endpoint producing to the legs topic; join: its
// metrics), with no pipeline, store or report. Both share one Fastify set-up (limits, parsers, the
// error catalogue). Tests drive them with fastify.inject and an injected clock.

import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { WireValidator } from '../ingest/wireValidator.js';
import { CORRELATION_ID } from '../ingest/wireSchema.js';
import { Pipeline } from '../pipeline.js';
import { parseLargeJsonOffThread, POISONING } from './jsonBodyParser.js';
import { CollectorError, errorBody, ERRORS, type ErrorCode, type ErrorDetail } from './errors.js';
import { INGEST_PATH, kafkaKeeper, pipelineKeeper, registerIngestRoute } from './ingestRoute.js';
import type { LegProducer } from '../kafka/legProducer.js';
import { registerKafkaIngestMetrics } from '../kafka/kafkaMetrics.js';
import { registerKafkaJoinMetrics } from '../kafka/joinMetrics.js';
import type { JoinWorker } from '../kafka/joinWorker.js';
import { CollectorMetrics, PENDING_JOINS_METRIC } from '../metrics/collectorMetrics.js';
import { registerOpsRoutes } from './opsRoutes.js';
import { registerReportRoutes } from './reportRoutes.js';
import { loadUiBundle, registerUiRoutes, type UiBundle } from './uiRoutes.js';
import { formatFieldPath, locateSchemaError } from '../schema/schemaErrors.js';
import type { DurableStore } from '../store/durableStore.js';
import type { Clock, CollectorConfig } from '../types.js';

export const systemClock: Clock = { now: () => Date.now() };

/** The longest a request may take from its first byte to its last, in ms. */
export const REQUEST_TIMEOUT_MS = 60_000;

export interface BuildAppOptions {
  config: CollectorConfig;
  clock?: Clock;
  logger?: FastifyServerOptions['logger'];
  /** process_* / nodejs_* metrics; default on */
  defaultMetrics?: boolean;
  /** the pipeline keeps what changed between checkpoints, for a durable store (attached as app.store) */
  durable?: boolean;
  /**
   * Kafka mode's report role: the pipeline counts the join workers' verdicts (kafka/reportRole.ts)
   * instead of joining legs; POST /v1/batches is served only with the ingest role in the same
   * process (`producer`), producing to the legs topic; `join`: the join role in the same process;
   * `unready`: why the report role cannot serve now.
   */
  kafkaReport?: { producer: LegProducer | null; join: JoinWorker | null; unready: () => CollectorError | null };
  /** the web UI's bundle; default: build/ui/ as it is now (null when not built: its pages answer 503) */
  ui?: UiBundle | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** ingest → join → compare → score; the server reloads its ignore rules and tolerances on SIGHUP and snapshots it */
    pipeline: Pipeline;
    /** the collector's own registry; the server counts a snapshot it had to set aside */
    metrics: CollectorMetrics;
    /** where accepted batches are made durable before they are answered; null: memory only */
    store: DurableStore | null;
  }
}

export function buildApp(options: BuildAppOptions): FastifyInstance {
  const { config } = options;
  const validator = new WireValidator();
  const metrics = new CollectorMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  const clock = options.clock ?? systemClock;
  const { kafkaReport } = options;
  const pipeline = new Pipeline(config, clock, metrics, { durable: options.durable === true, judgedElsewhere: kafkaReport !== undefined });
  // The join workers hold the pending legs: a report instance has no number to show for them.
  if (kafkaReport !== undefined) metrics.registry.removeSingleMetric(PENDING_JOINS_METRIC);
  const { app, isClosing } = baseApp(config, metrics, options.logger);
  app.decorate('pipeline', pipeline);
  app.decorate('metrics', metrics);
  app.decorate('store', null);

  // The only timer: closes expired join windows even when no batch arrives. After a restart it
  // also reads the legs left in the store whose windows close before the sweep after next.
  let readingAhead = false;
  const sweep = setInterval(() => {
    pipeline.tick();
    if (readingAhead || !pipeline.hasDeferredLegs) return;
    readingAhead = true;
    void pipeline.readAhead(2 * config.join.sweepIntervalMs).finally(() => {
      readingAhead = false;
    });
  }, config.join.sweepIntervalMs);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  const producer = kafkaReport?.producer ?? null;
  const join = kafkaReport?.join ?? null;
  if (join !== null) registerKafkaJoinMetrics(metrics.registry, join);
  if (kafkaReport === undefined) {
    registerIngestRoute(app, { keep: pipelineKeeper(pipeline, () => app.store), validator, metrics, token: config.token });
  } else if (producer !== null) {
    registerKafkaIngestMetrics(metrics.registry, producer);
    registerIngestRoute(app, { keep: kafkaKeeper(producer, metrics, clock), validator, metrics, token: config.token });
  }
  registerReportRoutes(app, { pipeline, reportToken: config.reportToken });
  registerUiRoutes(app, options.ui === undefined ? loadUiBundle() : options.ui);
  registerOpsRoutes(app, {
    metrics,
    render: () => metrics.render(pipeline.metricsReading()),
    isClosing,
    unready: () => {
      const { store } = app;
      if (store !== null && !store.healthy)
        return new CollectorError('STORE_UNAVAILABLE', `the store cannot be written: ${store.lastError}`);
      return kafkaUnready(producer, join) ?? kafkaReport?.unready() ?? null;
    },
    reportToken: config.reportToken,
  });
  return app;
}

export interface BuildKafkaAppOptions {
  config: CollectorConfig;
  /** the ingest role's producer; null when this process does not ingest */
  producer: LegProducer | null;
  /** the join role's worker; null when this process does not join */
  join: JoinWorker | null;
  clock?: Clock;
  logger?: FastifyServerOptions['logger'];
  defaultMetrics?: boolean;
}

/**
 * Kafka mode's roles in one process. Ingest: POST /v1/batches (the same validation,
 * authentication, limits and errors) producing to the legs topic. Join: no endpoint of its own,
 * its series on /metrics. Either way /healthz, /readyz (not ready while Kafka cannot be reached)
 * and /metrics. Stateless: no pipeline, no store, no report endpoints.
 */
export function buildKafkaApp(options: BuildKafkaAppOptions): FastifyInstance {
  const { config, producer, join } = options;
  const metrics = new CollectorMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  if (producer !== null) registerKafkaIngestMetrics(metrics.registry, producer);
  if (join !== null) registerKafkaJoinMetrics(metrics.registry, join);
  const { app, isClosing } = baseApp(config, metrics, options.logger);
  app.decorate('metrics', metrics);
  if (producer !== null) {
    registerIngestRoute(app, {
      keep: kafkaKeeper(producer, metrics, options.clock ?? systemClock),
      validator: new WireValidator(),
      metrics,
      token: config.token,
    });
  }
  registerOpsRoutes(app, {
    metrics,
    render: () => metrics.registry.metrics(),
    isClosing,
    unready: () => kafkaUnready(producer, join),
    reportToken: config.reportToken,
  });
  return app;
}

/** Why the ingest or join role in this process cannot serve now: the first one Kafka is failing, else a join worker that stopped stepping. */
function kafkaUnready(producer: LegProducer | null, join: JoinWorker | null): CollectorError | null {
  const health = [producer?.status(), join?.status()].find((status) => status !== undefined && !status.healthy);
  if (health !== undefined) return new CollectorError('KAFKA_UNAVAILABLE', health.lastError);
  const stall = join?.stall() ?? null;
  return stall === null ? null : new CollectorError('JOIN_STALLED', stall);
}

/** The Fastify instance both kinds of collector serve from: limits, parsers, the error catalogue, readiness on close. */
function baseApp(
  config: CollectorConfig,
  metrics: CollectorMetrics,
  logger: FastifyServerOptions['logger'] | undefined,
): { app: FastifyInstance; isClosing: () => boolean } {
  const app = Fastify({
    logger: logger ?? false,
    bodyLimit: config.bodyLimitBytes,
    // Fastify turns Node's request timeout off; a body still arriving after this is a dead or
    // hostile peer: the filter itself gives up after collector.timeoutMs, at most 60 s.
    requestTimeout: REQUEST_TIMEOUT_MS,
    // Fastify's default (100) would refuse valid correlation ids of 101-128 characters.
    routerOptions: { maxParamLength: CORRELATION_ID.maxLength },
    // Router errors (bad URL encoding, over-long parameters) skip the error handler; same catalogue here.
    frameworkErrors: (error, _request, reply) => sendError(reply, toCollectorError(error)),
    // The hot path must not log twice per batch; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    // Query strings need coercion ("10" -> 10) but unknown parameters must be refused, not dropped.
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
    ...POISONING,
  });
  parseLargeJsonOffThread(app);
  // Fastify parses text/plain by default; batches are JSON only, anything else is a 415.
  app.removeContentTypeParser('text/plain');

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });

  app.setErrorHandler((error: FastifyError | CollectorError, request, reply) => {
    const collectorError = toCollectorError(error);
    if (collectorError.code === 'INTERNAL') request.log.error({ err: error }, 'request failed');
    if (request.routeOptions.url === INGEST_PATH) {
      metrics.reject(collectorError.code);
      // A client hanging up is its own business, not the collector's problem.
      const level = collectorError.code === 'CLIENT_ABORTED' ? 'info' : 'warn';
      request.log[level]({ code: collectorError.code }, collectorError.message);
    }
    if (collectorError.code === 'UNAUTHORIZED') reply.header('www-authenticate', 'Bearer');
    sendError(reply, collectorError);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(errorBody('NOT_FOUND', `no endpoint ${request.method} ${request.url.split('?')[0] ?? ''}`)),
  );
  return { app, isClosing: () => closing };
}

function sendError(reply: FastifyReply, error: CollectorError): void {
  void reply.status(error.status).send(errorBody(error.code, error.message, error.details));
}

/** Maps Fastify's own errors (parsing, limits, schema validation) onto the catalogue. */
function toCollectorError(error: FastifyError | CollectorError): CollectorError {
  if (error instanceof CollectorError) return error;
  if (error.validation !== undefined) {
    const context = error.validationContext ?? 'request';
    const details: ErrorDetail[] = [];
    for (const item of error.validation) {
      const located = locateSchemaError(item as Parameters<typeof locateSchemaError>[0]);
      if (located !== null) details.push({ field: formatFieldPath([context, ...located.path]), message: located.message });
    }
    const first = details[0];
    return new CollectorError('QUERY_INVALID', first === undefined ? error.message : `${first.field}: ${first.message}`, details);
  }
  // Node's IncomingMessage fails the body with ECONNRESET ("aborted") when the client closes mid-body.
  if (error.code === 'ECONNRESET') return new CollectorError('CLIENT_ABORTED', ERRORS.CLIENT_ABORTED.summary);
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH' || error.code === 'FST_ERR_BAD_URL') {
    return new CollectorError('QUERY_INVALID', 'a path parameter is too long or badly encoded', [
      { field: 'params', message: 'too long or badly encoded' },
    ]);
  }
  const byFastifyCode: Partial<Record<string, ErrorCode>> = {
    FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
    FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
    FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
    FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MALFORMED_JSON',
  };
  const code = byFastifyCode[error.code] ?? (error instanceof SyntaxError && error.statusCode === 400 ? 'MALFORMED_JSON' : undefined);
  if (code !== undefined) {
    const limit = code === 'BODY_TOO_LARGE' ? ' (bodyLimitBytes)' : '';
    return new CollectorError(code, `${ERRORS[code].summary}: ${error.message}${limit}`);
  }
  return new CollectorError('INTERNAL', ERRORS.INTERNAL.summary);
}
