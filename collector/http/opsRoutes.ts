// Operational endpoints: liveness, readiness and Prometheus metrics.

import type { FastifyInstance } from 'fastify';
import { requireBearerToken } from './bearerAuth.js';
import type { Pipeline } from '../pipeline.js';
import { CollectorError } from './errors.js';
import type { CollectorMetrics } from '../metrics/collectorMetrics.js';
import type { DurableStore } from '../store/durableStore.js';

export function registerOpsRoutes(
  app: FastifyInstance,
  deps: { pipeline: Pipeline; metrics: CollectorMetrics; isClosing: () => boolean; store: () => DurableStore | null; reportToken: string },
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  // Not ready once shutdown starts, so load balancers stop sending batches before the listener
  // closes; nor while the store cannot be written, since every batch would be answered 503.
  app.get('/readyz', async () => {
    if (deps.isClosing()) throw new CollectorError('NOT_READY', 'the collector is shutting down');
    const store = deps.store();
    if (store !== null && !store.healthy) throw new CollectorError('STORE_UNAVAILABLE', `the store cannot be written: ${store.lastError}`);
    return { status: 'ready' };
  });

  // Metrics carry route and field names, as the report does: the same token guards them.
  // Liveness and readiness stay open for probes.
  app.get('/metrics', { onRequest: requireBearerToken(deps.reportToken, 'metrics (reportToken)') }, async (_request, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.render(deps.pipeline.metricsReading());
  });
}
