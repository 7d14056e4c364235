// Runs the collector: opens the store (refusing a path it cannot write), restores what it learned
// before (checkpoint, pending legs, then the batches logged after it, replayed), listens,
// checkpoints periodically, reloads ignore rules on SIGHUP, shuts down gracefully on
// SIGTERM/SIGINT (readiness goes 503, the listener stops accepting, in-flight batches drain, then
// the final checkpoint is written; timers are cleared by the app's onClose hook).

import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { loadConfig, type ConfigSources } from '../config.js';
import { DurableStore } from '../store/durableStore.js';
import type { CollectorConfig } from '../types.js';

/** How long in-flight requests may take to drain before the process exits anyway. */
const DRAIN_TIMEOUT_MS = 10_000;

export interface RunningServer {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:8090 */
  url: string;
  /** Stops accepting, drains and releases everything; idempotent. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** where the config came from, so SIGHUP can read it again */
  sources?: ConfigSources;
  /** SIGTERM/SIGINT/SIGHUP handling; off for embedded use and tests */
  handleSignals?: boolean;
}

export async function startServer(config: CollectorConfig, options: StartOptions = {}): Promise<RunningServer> {
  const app = buildApp({ config, logger: { level: config.logLevel }, durable: config.store.path !== '' });
  let store: DurableStore | null = null;
  try {
    if (config.store.path !== '') {
      store = await DurableStore.open(config.store.path, { synchronous: config.store.synchronous === 'full' ? 'FULL' : 'NORMAL', metrics: app.metrics });
      await restoreFrom(store, app);
      app.store = store;
    }
  } catch (error) {
    await store?.close();
    await app.close();
    throw error;
  }
  const url = await app.listen({ host: config.listen.host, port: config.listen.port });
  app.log.info(
    {
      window_ms: config.join.windowMs,
      auth: config.token === '' ? 'none' : 'bearer',
      report_auth: config.reportToken === '' ? 'none' : 'bearer',
      store: store?.path ?? 'memory only',
    },
    `shadowdiff collector listening on ${url}, batches at POST ${url}/v1/batches`,
  );

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

  const reload = (): void => {
    try {
      const fresh = loadConfig(options.sources);
      app.pipeline.setIgnoreRules(fresh.ignore);
      app.log.info('SIGHUP: ignore rules reloaded (other settings take effect on restart)');
    } catch (error) {
      app.log.error(`SIGHUP: configuration not reloaded: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  function removeSignalHandlers(): void {
    process.off('SIGTERM', shutdown);
    process.off('SIGINT', shutdown);
    process.off('SIGHUP', reload);
  }

  if (options.handleSignals === true) {
    process.on('SIGTERM', shutdown);
    process.on('SIGINT', shutdown);
    process.on('SIGHUP', reload);
  }
  return { app, url, close };
}

async function restoreFrom(store: DurableStore, app: FastifyInstance): Promise<void> {
  const loaded = await store.load();
  if (loaded.kind === 'unreadable') {
    app.metrics.snapshotSetAside();
    app.log.error(`store ${store.path} is not a readable snapshot (${loaded.reason}); moved to ${loaded.movedTo}, starting empty`);
  } else if (loaded.kind === 'restored') {
    if (loaded.snapshot !== null) app.pipeline.restore(loaded.snapshot);
    for (const batch of loaded.replay) app.pipeline.apply(batch);
    // Written at once, so the next restart replays nothing twice.
    await store.checkpoint(app.pipeline);
    const saved = loaded.snapshot === null ? 'nothing checkpointed yet' : `checkpoint of ${new Date(loaded.snapshot.savedAtUnixMs).toISOString()}`;
    app.log.info(
      { pending_legs: app.pipeline.pendingIds().length, replayed_batches: loaded.replay.length },
      `restored the report, pairs and pending legs from ${store.path} (${saved}, then ${loaded.replay.length} logged batches replayed)`,
    );
  }
}
