// Runs the collector: restores what it learned before from the store, listens, snapshots to the
// store periodically, reloads ignore rules on SIGHUP, shuts down gracefully on SIGTERM/SIGINT
// (readiness goes 503, the listener stops accepting, in-flight batches drain, then the final
// snapshot is written; timers are cleared by the app's onClose hook).

import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { loadConfig, type ConfigSources } from '../config.js';
import { SnapshotStore } from '../store/snapshotStore.js';
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
  const app = buildApp({ config, logger: { level: config.logLevel } });
  const store = config.store.path === '' ? null : await SnapshotStore.open(config.store.path);
  if (store !== null) restoreFrom(store, app);
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

  let savedAtChange = app.pipeline.changeCount;
  const save = (): void => {
    if (store === null || app.pipeline.changeCount === savedAtChange) return;
    const change = app.pipeline.changeCount;
    store.save(app.pipeline.snapshot());
    savedAtChange = change;
  };
  const snapshots = setInterval(() => {
    try {
      save();
    } catch (error) {
      // Keep serving: the next interval tries again, and the last good file is still in place.
      app.log.error({ err: error }, 'snapshot not saved');
    }
  }, config.store.snapshotIntervalMs);
  snapshots.unref();

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      removeSignalHandlers();
      clearInterval(snapshots);
      // app.close() returns once in-flight batches are answered, so the final snapshot has them.
      await app.close();
      save();
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

function restoreFrom(store: SnapshotStore, app: FastifyInstance): void {
  const loaded = store.load();
  if (loaded.kind === 'unreadable') {
    app.metrics.snapshotSetAside();
    app.log.error(`store ${store.path} is not a readable snapshot (${loaded.reason}); moved to ${loaded.movedTo}, starting empty`);
  } else if (loaded.kind === 'restored') {
    app.pipeline.restore(loaded.snapshot);
    // Saved at once: the lost legs are counted now, and a second restart must not count them again.
    store.save(app.pipeline.snapshot());
    const lost = loaded.snapshot.pending.length;
    app.log.info({ lost_pending_legs: lost }, `restored the report and pairs saved at ${new Date(loaded.snapshot.savedAtUnixMs).toISOString()} from ${store.path}`);
  }
}
