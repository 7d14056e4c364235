// Runs the collector: listens, reloads ignore rules on SIGHUP, shuts down gracefully on
// SIGTERM/SIGINT (readiness goes 503, the listener stops accepting, in-flight batches drain,
// timers are cleared by the app's onClose hook).

import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { loadConfig, type ConfigSources } from './config.js';
import type { CollectorConfig } from './types.js';

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
  const url = await app.listen({ host: config.listen.host, port: config.listen.port });
  app.log.info(
    { window_ms: config.join.windowMs, auth: config.token === '' ? 'none' : 'bearer' },
    `shadowdiff collector listening on ${url}, batches at POST ${url}/v1/batches`,
  );

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      removeSignalHandlers();
      await app.close();
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
      app.engine.setIgnoreRules(fresh.ignore);
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
