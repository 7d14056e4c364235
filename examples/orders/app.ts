// buildOrdersApp(): the order service in either version, as a Fastify instance that does not
// listen (server.ts does). Tests drive it with app.inject().

import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { registerCatalogRoutes } from './catalogRoutes.js';
import { CatalogRepository } from './catalogRepository.js';
import { registerOrderRoutes } from './orderRoutes.js';
import type { OrdersStore } from './ordersStore.js';
import { V1_BEHAVIOUR } from './v1.js';
import { V2_BEHAVIOUR } from './v2.js';
import type { OrdersVersion, VersionBehaviour } from './versionBehaviour.js';

export const BEHAVIOURS: Readonly<Record<OrdersVersion, VersionBehaviour>> = { v1: V1_BEHAVIOUR, v2: V2_BEHAVIOUR };

export interface OrdersAppOptions {
  version: OrdersVersion;
  /** The instance's state; each running instance (v1, v2) has its own. */
  store: OrdersStore;
  logger?: FastifyServerOptions['logger'];
}

export function buildOrdersApp(options: OrdersAppOptions): FastifyInstance {
  const app = Fastify({ logger: options.logger ?? false });
  const context = {
    behaviour: BEHAVIOURS[options.version],
    store: options.store,
    repository: new CatalogRepository(options.store.catalog),
  };
  app.get('/healthz', async () => ({ status: 'ok' }));
  registerCatalogRoutes(app, context);
  registerOrderRoutes(app, context);
  return app;
}
