// Runs the collector: refuses to start where it would be exposed without its tokens or cannot
// listen or store (a StartupError naming the setting), opens the store and restores what it
// learned before (checkpoint, pending legs, then the batches logged after it, replayed), listens,
// checkpoints periodically, reloads the comparison rules (ignore rules, compare.tolerances) on
// SIGHUP, shuts down gracefully on SIGTERM/SIGINT (readiness goes 503, the listener stops
// accepting, in-flight batches drain, then the final checkpoint is written; timers are cleared by
// the app's onClose hook). With a kafka section it runs Kafka mode's roles instead: the report
// role on that same path (with ingest and join beside it when named), its pipeline counting the
// verdicts topic read from the offsets its restored state holds; ingest and join without report
// with no store (ingest producing to the legs topic, join producing verdicts).

import { lookup } from 'node:dns/promises';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp, buildKafkaApp } from './app.js';
import { exposureVerdict } from './exposure.js';
import { addressUrl, describeListening } from './listenAddresses.js';
import { firstLine, StartupError, systemErrorCode } from './startupError.js';
import { ConfigError, loadConfig, type ConfigSources } from '../config.js';
import { DurableStore } from '../store/durableStore.js';
import type { CollectorConfig } from '../types.js';
import type { KafkaConfig } from '../configSchema.js';
import { JoinWorker } from '../kafka/joinWorker.js';
import { LegProducer } from '../kafka/legProducer.js';
import { TopicError } from '../kafka/topics.js';
import { hasApiError, kafkaErrorMessage } from '../kafka/kafkaErrors.js';
import { KafkaReportMetrics } from '../kafka/reportMetrics.js';
import { verdictRecordHandler } from '../kafka/reportRole.js';
import { VerdictReader } from '../kafka/verdictReader.js';
import { CollectorError } from './errors.js';

/** How long in-flight requests may take to drain before the process exits anyway. */
const DRAIN_TIMEOUT_MS = 10_000;

export interface RunningServer {
  app: FastifyInstance;
  /** the first bound address, e.g. http://127.0.0.1:8090 or http://0.0.0.0:8090 */
  url: string;
  /** every bound address (`localhost` binds 127.0.0.1 and ::1) */
  addresses: string[];
  /** Stops accepting, drains and releases everything; idempotent. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** where the config came from, so SIGHUP can read it again */
  sources?: ConfigSources;
  /** SIGTERM/SIGINT/SIGHUP handling; off for embedded use and tests */
  handleSignals?: boolean;
}

/**
 * Starts the collector; a setting that stops it (host, port, store) is a StartupError naming it.
 * The embedded collector and Kafka mode's report role (with ingest too, when named) run here:
 * one pipeline, its store and the report API; the other Kafka roles in startKafkaRoles.
 */
export async function startServer(config: CollectorConfig, options: StartOptions = {}): Promise<RunningServer> {
  const { kafka } = config;
  if (kafka !== undefined && !kafka.roles.includes('report')) return startKafkaRoles(config, kafka, options);
  const exposure = exposureVerdict(await resolveHost(config.listen.host), config);
  if (exposure.kind === 'refused') throw new StartupError('listen.host', exposure.message);
  const clients = kafka === undefined ? NO_KAFKA_CLIENTS : await openKafkaClients(config, kafka);
  const { producer, join } = clients;
  let reader: VerdictReader | null = null;
  const app = buildApp({
    config,
    logger: { level: config.logLevel },
    durable: config.store.path !== '',
    ...(kafka === undefined ? {} : { kafkaReport: { producer, join, unready: () => readerUnready(reader) } }),
  });
  let store: DurableStore | null = null;
  let bound: AddressInfo[];
  try {
    store = await openStore(config.store, app);
    if (store !== null) {
      await restoreFrom(store, app);
      app.store = store;
    }
    // From the offsets the restored state holds: nothing it counted is read again.
    if (kafka !== undefined) reader = startVerdictReader(kafka, app);
    await join?.start(app.log);
    bound = await listen(app, config.listen);
  } catch (error) {
    await reader?.close();
    await store?.close();
    await app.close();
    await clients.release();
    throw kafka !== undefined && !(error instanceof StartupError) ? kafkaStartupError(error, kafka) : error;
  }
  const addresses = bound.map(({ address, port }) => addressUrl(address, port));
  const url = addresses[0] ?? '';
  app.log.info(
    {
      window_ms: config.join.windowMs,
      auth: config.token === '' ? 'none' : 'bearer',
      report_auth: config.reportToken === '' ? 'none' : 'bearer',
      store: store?.path ?? 'memory only',
      ...(kafka === undefined ? {} : { roles: kafka.roles, brokers: kafka.brokers, verdicts_topic: kafka.topics.verdicts }),
    },
    kafka === undefined
      ? `shadowdiff collector listening on ${describeListening(bound)}, batches at POST /v1/batches`
      : `shadowdiff collector (Kafka mode: ${kafka.roles.join(', ')}) listening on ${describeListening(bound)}, ` +
          [`reporting the verdicts of ${kafka.topics.verdicts}`, ...kafkaDuties(kafka, clients)].join('; '),
  );
  if (exposure.kind === 'allowed') app.log.warn({ exposed: exposure.exposed, open: exposure.open }, exposure.warning);

  let checkpointedAtChange = app.pipeline.changeCount;
  const checkpoint = async (): Promise<void> => {
    if (store === null || app.pipeline.changeCount === checkpointedAtChange) return;
    const change = app.pipeline.changeCount;
    await store.checkpoint(app.pipeline);
    checkpointedAtChange = change;
  };
  const checkpoints = setInterval(() => {
    // Keep serving: batches are in the log, and the next checkpoint writes everything it missed.
    checkpoint().catch((error: unknown) => app.log.error({ err: error }, 'checkpoint not written'));
  }, config.store.snapshotIntervalMs);
  checkpoints.unref();

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      removeSignalHandlers();
      clearInterval(checkpoints);
      // app.close() returns once in-flight batches are answered, so the final checkpoint has them;
      // the reader stops before it, so it holds every verdict counted.
      await app.close();
      await reader?.close();
      try {
        await checkpoint();
      } finally {
        await store?.close();
        await clients.release();
      }
    })();
    return closing;
  };

  const reload = (): void => {
    try {
      const fresh = loadConfig(options.sources);
      // Validated whole before either is swapped in: a bad file changes nothing.
      app.pipeline.setIgnoreRules(fresh.ignore);
      app.pipeline.setTolerances(fresh.compare.tolerances);
      join?.setComparisonRules(fresh.ignore, fresh.compare.tolerances);
      app.log.info('SIGHUP: ignore rules and compare.tolerances reloaded (other settings take effect on restart)');
    } catch (error) {
      app.log.error(`SIGHUP: configuration not reloaded: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const removeSignalHandlers = options.handleSignals === true ? installSignalHandlers(app, () => close(), reload) : () => {};
  return { app, url, addresses, close };
}

/**
 * Kafka mode without the report role: ingest creates the legs topic when it is missing, then
 * serves POST /v1/batches producing to it; join checks both topics (creating what is missing),
 * joins the consumer group and produces verdicts. Nothing is stored here: a restart loses only
 * the ingest batches in flight (answered 503 or not at all: the filter counts them); a join
 * worker's partitions are rebuilt from the log by whoever owns them next.
 */
async function startKafkaRoles(config: CollectorConfig, kafka: KafkaConfig, options: StartOptions): Promise<RunningServer> {
  const exposure = exposureVerdict(await resolveHost(config.listen.host), config);
  if (exposure.kind === 'refused') throw new StartupError('listen.host', exposure.message);
  const clients = await openKafkaClients(config, kafka);
  const { producer, join } = clients;
  const app = buildKafkaApp({ config, producer, join, logger: { level: config.logLevel } });
  let bound: AddressInfo[];
  try {
    await join?.start(app.log);
    bound = await listen(app, config.listen);
  } catch (error) {
    await app.close();
    await clients.release();
    throw error instanceof StartupError ? error : kafkaStartupError(error, kafka);
  }
  const addresses = bound.map(({ address, port }) => addressUrl(address, port));
  app.log.info(
    { roles: kafka.roles, brokers: kafka.brokers, legs_topic: kafka.topics.legs, auth: config.token === '' ? 'none' : 'bearer' },
    `shadowdiff collector (Kafka mode: ${kafka.roles.join(', ')}) listening on ${describeListening(bound)}, ${kafkaDuties(kafka, clients).join('; ')}`,
  );
  if (exposure.kind === 'allowed') app.log.warn({ exposed: exposure.exposed, open: exposure.open }, exposure.warning);

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      removeSignalHandlers();
      // In-flight batches are answered (acknowledged or 503) before the producer goes; the join
      // worker finishes its step (what it produced is committed) and leaves the group.
      await app.close();
      await clients.release();
    })();
    return closing;
  };
  const reload = (): void => {
    if (join === null) {
      app.log.info('SIGHUP: the ingest role has no comparison rules to reload (the join role applies them)');
      return;
    }
    try {
      const fresh = loadConfig(options.sources);
      join.setComparisonRules(fresh.ignore, fresh.compare.tolerances);
      app.log.info('SIGHUP: ignore rules and compare.tolerances reloaded for the join role (other settings take effect on restart)');
    } catch (error) {
      app.log.error(`SIGHUP: configuration not reloaded: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const removeSignalHandlers = options.handleSignals === true ? installSignalHandlers(app, close, reload) : () => {};
  return { app, url: addresses[0] ?? '', addresses, close };
}

/** The ingest role's producer and the join role's worker, those the config names; `release` closes both. */
interface KafkaClients {
  producer: LegProducer | null;
  join: JoinWorker | null;
  release(): Promise<void>;
}

const NO_KAFKA_CLIENTS: KafkaClients = { producer: null, join: null, release: async () => {} };

async function openKafkaClients(config: CollectorConfig, kafka: KafkaConfig): Promise<KafkaClients> {
  const clients: KafkaClients = {
    producer: null,
    join: null,
    release: async () => {
      await clients.join?.close();
      await clients.producer?.close();
    },
  };
  try {
    if (kafka.roles.includes('ingest')) clients.producer = await LegProducer.open(kafka, config.join.windowMs);
    if (kafka.roles.includes('join')) clients.join = await JoinWorker.open(config, kafka);
  } catch (error) {
    await clients.release();
    throw kafkaStartupError(error, kafka);
  }
  return clients;
}

/** What the ingest and join roles of this process do, for the start-up line. */
function kafkaDuties(kafka: KafkaConfig, { producer, join }: KafkaClients): string[] {
  return [
    producer === null ? null : `batches at POST /v1/batches produced to ${kafka.topics.legs}`,
    join === null ? null : `joining ${kafka.topics.legs} into ${kafka.topics.verdicts} in group ${kafka.groupId}`,
  ].filter((duty) => duty !== null);
}

/** The report role's reader of the verdicts topic, counting into the app's pipeline from the positions it holds. */
function startVerdictReader(kafka: KafkaConfig, app: FastifyInstance): VerdictReader {
  const reader: VerdictReader = new VerdictReader({
    config: kafka,
    positions: () => app.pipeline.verdictPositions(),
    onMessage: verdictRecordHandler(app.pipeline, new KafkaReportMetrics(app.metrics.registry, () => reader.status()), (refused) =>
      app.log.error(
        { partition: refused.partition, offset: refused.offset, field: refused.field },
        `verdicts record refused, not counted: ${refused.field}: ${refused.reason}`,
      ),
    ),
    onFailure: (reason) => app.log.warn(`${reason}; reading again in a moment`),
  });
  reader.start();
  return reader;
}

function readerUnready(reader: VerdictReader | null): CollectorError | null {
  const health = reader?.status() ?? { healthy: false, lastError: 'the verdicts topic is not being read yet' };
  return health.healthy ? null : new CollectorError('KAFKA_UNAVAILABLE', health.lastError);
}

/** The setting to change when Kafka refuses the start: the brokers, unless Kafka named another. */
function kafkaStartupError(error: unknown, kafka: KafkaConfig): StartupError {
  if (error instanceof TopicError) return new StartupError(error.setting, error.message);
  const reason = kafkaErrorMessage(error);
  if (hasApiError(error, 'INVALID_REPLICATION_FACTOR')) {
    return new StartupError(
      'kafka.replicationFactor',
      `Kafka cannot create ${kafka.topics.legs} with ${kafka.replicationFactor} replicas: ${reason}`,
    );
  }
  if (hasApiError(error, 'INVALID_PARTITIONS')) {
    return new StartupError('kafka.partitions', `Kafka cannot create ${kafka.topics.legs} with ${kafka.partitions} partitions: ${reason}`);
  }
  if (hasApiError(error, 'INVALID_SESSION_TIMEOUT')) {
    return new StartupError('kafka.sessionTimeoutMs', `the brokers refuse a session timeout of ${kafka.sessionTimeoutMs} ms: ${reason}`);
  }
  if (hasApiError(error, 'TOPIC_AUTHORIZATION_FAILED') || hasApiError(error, 'INVALID_TOPIC_EXCEPTION')) {
    return new StartupError('kafka.topics.legs', `Kafka refused the topic ${JSON.stringify(kafka.topics.legs)}: ${reason}`);
  }
  const what = kafka.roles.includes('join') ? 'the topics or join the consumer group' : 'the legs topic';
  return new StartupError('kafka.brokers', `cannot create or find ${what} on ${kafka.brokers.join(', ')}: ${reason}`);
}

/** SIGTERM/SIGINT drain and exit (forced after DRAIN_TIMEOUT_MS), SIGHUP reloads; returns their removal. */
function installSignalHandlers(app: FastifyInstance, close: () => Promise<void>, reload: () => void): () => void {
  const shutdown = (signal: NodeJS.Signals): void => {
    app.log.info(`${signal}: draining and shutting down`);
    const forced = setTimeout(() => {
      app.log.error(`requests still running after ${DRAIN_TIMEOUT_MS} ms; exiting anyway`);
      process.exit(1);
    }, DRAIN_TIMEOUT_MS);
    forced.unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.on('SIGHUP', reload);
  return () => {
    process.off('SIGTERM', shutdown);
    process.off('SIGINT', shutdown);
    process.off('SIGHUP', reload);
  };
}

async function resolveHost(host: string): Promise<string[]> {
  try {
    return (await lookup(host, { all: true })).map((entry) => entry.address);
  } catch (error) {
    throw unresolvable(host, systemErrorCode(error) ?? firstLine(error));
  }
}

function unresolvable(host: string, why: string): StartupError {
  return new StartupError('listen.host', `${JSON.stringify(host)} does not resolve to an address (${why})`);
}

async function listen(app: FastifyInstance, { host, port }: CollectorConfig['listen']): Promise<AddressInfo[]> {
  try {
    // Fastify logs a line per interface address a wildcard covers; said as that, so it is not
    // mistaken for where the socket is bound (the start-up line below says that).
    await app.listen({ host, port, listenTextResolver: (address) => `answers on ${address}` });
  } catch (error) {
    throw listenFailure(error, host, port);
  }
  return app.addresses().filter((address): address is AddressInfo => typeof address !== 'string');
}

function listenFailure(error: unknown, host: string, port: number): StartupError {
  const code = systemErrorCode(error);
  switch (code) {
    case 'EADDRINUSE':
      return new StartupError('listen.port', `port ${port} is already in use on ${host} (EADDRINUSE)`);
    case 'EACCES':
      return new StartupError('listen.port', `not allowed to listen on port ${port} of ${host} (EACCES; ports below 1024 need privileges)`);
    case 'EADDRNOTAVAIL':
      return new StartupError('listen.host', `${host} is not an address of this machine (EADDRNOTAVAIL)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return unresolvable(host, code);
    default:
      return new StartupError('listen', `cannot listen on ${host} port ${port}: ${firstLine(error)}`);
  }
}

/** Opens the store; a failure to open is the store path's (missing parent, a directory, not writable). */
async function openStore(settings: CollectorConfig['store'], app: FastifyInstance): Promise<DurableStore | null> {
  const { path } = settings;
  if (path === '') return null;
  try {
    return await DurableStore.open(path, { synchronous: settings.synchronous === 'full' ? 'FULL' : 'NORMAL', metrics: app.metrics });
  } catch (error) {
    // The system's reason when there is one (ENOTDIR, EACCES, EROFS…), else what the store said.
    const reason =
      error instanceof ConfigError
        ? error.cause !== undefined
          ? firstLine(error.cause)
          : (error.details[0]?.message ?? error.message)
        : firstLine(error);
    throw new StartupError('store.path', `cannot use ${JSON.stringify(path)} as the store: ${reason}`);
  }
}

async function restoreFrom(store: DurableStore, app: FastifyInstance): Promise<void> {
  const loaded = await store.load();
  if (loaded.kind === 'unreadable') {
    app.metrics.snapshotSetAside();
    app.log.error(`store ${store.path} is not a readable snapshot (${loaded.reason}); moved to ${loaded.movedTo}, starting empty`);
  } else if (loaded.kind === 'restored') {
    if (loaded.snapshot !== null) app.pipeline.restore(loaded.snapshot);
    for (const batch of loaded.replay) app.pipeline.apply(batch);
    // Windows that closed while the collector was down close now, before it listens: their legs,
    // left in the store, are read back here rather than in one sweep that would hold up requests.
    app.pipeline.tick();
    // Written at once, so the next restart replays nothing twice.
    await store.checkpoint(app.pipeline);
    const saved =
      loaded.snapshot === null ? 'nothing checkpointed yet' : `checkpoint of ${new Date(loaded.snapshot.savedAtUnixMs).toISOString()}`;
    app.log.info(
      { pending_legs: app.pipeline.pendingIds().length, replayed_batches: loaded.replay.length },
      `restored the report, pairs and pending legs from ${store.path} (${saved}, then ${loaded.replay.length} logged batches replayed)`,
    );
  }
}
