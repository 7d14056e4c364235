// Operational endpoints: liveness, readiness and Prometheus metrics.

import type { FastifyInstance } from 'fastify';
import { requireBearerToken } from './bearerAuth.js';
import { CollectorError } from './errors.js';
import type { CollectorMetrics } from '../metrics/collectorMetrics.js';

export function registerOpsRoutes(
  app: FastifyInstance,
  deps: {
    metrics: CollectorMetrics;
    /** the Prometheus text at scrape time */
    render: () => Promise<string>;
    isClosing: () => boolean;
    /** why batches would be refused right now (the store or Kafka failing); null when they would not */
    unready: () => CollectorError | null;
    reportToken: string;
  },
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  // Not ready once shutdown starts, so load balancers stop sending batches before the listener
  // closes; nor while the store cannot be written or Kafka cannot be reached, since every batch
  // would be answered 503.
  app.get('/readyz', async () => {
    if (deps.isClosing()) throw new CollectorError('NOT_READY', 'the collector is shutting down');
    const unready = deps.unready();
    if (unready !== null) throw unready;
    return { status: 'ready' };
  });

  // Metrics carry route and field names, as the report does: the same token guards them.
  // Liveness and readiness stay open for probes.
  app.get('/metrics', { onRequest: requireBearerToken(deps.reportToken, 'metrics (reportToken)') }, async (_request, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.render();
  });
}
