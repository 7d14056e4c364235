// Runs the collector: refuses to start where it would be exposed without its tokens or cannot
// listen or store (a StartupError naming the setting), opens the store and restores what it
// learned before (checkpoint, pending legs, then the batches logged after it, replayed), listens,
// checkpoints periodically, reloads the comparison rules (ignore rules, compare.tolerances) on
// SIGHUP, shuts down gracefully on SIGTERM/SIGINT (readiness goes 503, the listener stops
// accepting, in-flight batches drain, then the final checkpoint is written; timers are cleared by
// the app's onClose hook). With a kafka section it runs Kafka mode's roles instead (this release:
// ingest, producing to the legs topic, with no store).

import { lookup } from 'node:dns/promises';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp, buildIngestApp } from './app.js';
import { exposureVerdict, type ExposureVerdict } from './exposure.js';
import { addressUrl, describeListening } from './listenAddresses.js';
import { firstLine, StartupError, systemErrorCode } from './startupError.js';
import { ConfigError, loadConfig, type ConfigSources } from '../config.js';
import { DurableStore } from '../store/durableStore.js';
import type { CollectorConfig } from '../types.js';
import type { KafkaConfig } from '../configSchema.js';
import { hasApiError, LegProducer, LegsTopicError } from '../kafka/legProducer.js';
import { kafkaErrorMessage } from '../kafka/kafkaErrors.js';

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

/** Starts the collector; a setting that stops it (host, port, store) is a StartupError naming it. */
export async function startServer(config: CollectorConfig, options: StartOptions = {}): Promise<RunningServer> {
  if (config.kafka !== undefined) return startKafkaRoles(config, config.kafka, options);
  const app = buildApp({ config, logger: { level: config.logLevel }, durable: config.store.path !== '' });
  let store: DurableStore | null = null;
  let exposure: ExposureVerdict;
  let bound: AddressInfo[];
  try {
    exposure = exposureVerdict(await resolveHost(config.listen.host), config);
    if (exposure.kind === 'refused') throw new StartupError('listen.host', exposure.message);
    store = await openStore(config.store, app);
    if (store !== null) {
      await restoreFrom(store, app);
      app.store = store;
    }
    bound = await listen(app, config.listen);
  } catch (error) {
    await store?.close();
    await app.close();
    throw error;
  }
  const addresses = bound.map(({ address, port }) => addressUrl(address, port));
  const url = addresses[0] ?? '';
  app.log.info(
    {
      window_ms: config.join.windowMs,
      auth: config.token === '' ? 'none' : 'bearer',
      report_auth: config.reportToken === '' ? 'none' : 'bearer',
      store: store?.path ?? 'memory only',
    },
    `shadowdiff collector listening on ${describeListening(bound)}, batches at POST /v1/batches`,
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
      // app.close() returns once in-flight batches are answered, so the final checkpoint has them.
      await app.close();
      try {
        await checkpoint();
      } finally {
        await store?.close();
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
      app.log.info('SIGHUP: ignore rules and compare.tolerances reloaded (other settings take effect on restart)');
    } catch (error) {
      app.log.error(`SIGHUP: configuration not reloaded: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const removeSignalHandlers = options.handleSignals === true ? installSignalHandlers(app, () => close(), reload) : () => {};
  return { app, url, addresses, close };
}

/**
 * Kafka mode: the roles the config names (validated: this release runs ingest only). Ingest
 * creates the legs topic when it is missing, then serves POST /v1/batches producing to it;
 * nothing is stored here, so a restart loses only the batches in flight (answered 503 or not at
 * all: the filter counts them).
 */
async function startKafkaRoles(config: CollectorConfig, kafka: KafkaConfig, options: StartOptions): Promise<RunningServer> {
  const exposure = exposureVerdict(await resolveHost(config.listen.host), config);
  if (exposure.kind === 'refused') throw new StartupError('listen.host', exposure.message);
  let producer: LegProducer;
  try {
    producer = await LegProducer.open(kafka, config.join.windowMs);
  } catch (error) {
    throw kafkaStartupError(error, kafka);
  }
  const app = buildIngestApp({ config, producer, logger: { level: config.logLevel } });
  let bound: AddressInfo[];
  try {
    bound = await listen(app, config.listen);
  } catch (error) {
    await app.close();
    await producer.close();
    throw error;
  }
  const addresses = bound.map(({ address, port }) => addressUrl(address, port));
  app.log.info(
    { roles: kafka.roles, brokers: kafka.brokers, legs_topic: kafka.topics.legs, auth: config.token === '' ? 'none' : 'bearer' },
    `shadowdiff collector (Kafka mode: ${kafka.roles.join(', ')}) listening on ${describeListening(bound)}, batches at POST /v1/batches produced to ${kafka.topics.legs}`,
  );
  if (exposure.kind === 'allowed') app.log.warn({ exposed: exposure.exposed, open: exposure.open }, exposure.warning);

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      removeSignalHandlers();
      // In-flight batches are answered (acknowledged or 503) before the producer goes.
      await app.close();
      await producer.close();
    })();
    return closing;
  };
  const reload = (): void => app.log.info('SIGHUP: the ingest role has no comparison rules to reload (the join role applies them)');
  const removeSignalHandlers = options.handleSignals === true ? installSignalHandlers(app, close, reload) : () => {};
  return { app, url: addresses[0] ?? '', addresses, close };
}

/** The setting to change when Kafka refuses the start: the brokers, unless Kafka named another. */
function kafkaStartupError(error: unknown, kafka: KafkaConfig): StartupError {
  if (error instanceof LegsTopicError) return new StartupError(error.setting, error.message);
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
  if (hasApiError(error, 'TOPIC_AUTHORIZATION_FAILED') || hasApiError(error, 'INVALID_TOPIC_EXCEPTION')) {
    return new StartupError('kafka.topics.legs', `Kafka refused the topic ${JSON.stringify(kafka.topics.legs)}: ${reason}`);
  }
  return new StartupError('kafka.brokers', `cannot create or find the legs topic on ${kafka.brokers.join(', ')}: ${reason}`);
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
