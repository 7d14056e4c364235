// Starts what the demo shows: orders v1 (primary) and v2 (shadow), with --secondary a second
// orders v1 instance (the secondary), and the collector in this process, and Envoy with the filter
// in every role as a child process. Everything listens on
// loopback; stop() releases all of it, and a failed start releases what had already started.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../collector/config.js';
import { startServer, type RunningServer } from '../../collector/http/server.js';
import { buildBootstrap } from '../../envoy/bootstrap.js';
import type { JsonObject } from '../../envoy/json.js';
import { DEMO_JWKS_FILE } from '../../examples/identity/demoIdentity.js';
import { DEMO_ISSUER } from '../../examples/identity/jwt.js';
import { buildOrdersApp } from '../../examples/orders/app.js';
import { OrdersStore } from '../../examples/orders/ordersStore.js';
import type { OrdersVersion } from '../../examples/orders/versionBehaviour.js';
import { startEnvoy, type EnvoyInstance } from '../../devkit/envoyProcess.js';
import { PROJECT_ROOT, requireFilterWasm } from '../../devkit/paths.js';
import { demoEdgeFilterConfig, demoSecondaryFilterConfig, demoShadowFilterConfig } from './demoFilterConfigs.js';
import type { DemoPorts } from './flags.js';

export const DEMO_HOST = '127.0.0.1';
/**
 * The demo's collector configuration: route templates and the ignore rules for the noise fields;
 * with a secondary the templates alone, for the secondary proves that noise by itself.
 */
export function demoCollectorConfig(secondary: boolean): string {
  return join(PROJECT_ROOT, 'examples', 'orders', secondary ? 'collector-secondary.yaml' : 'collector.yaml');
}

export interface DemoUrls {
  edge: string;
  envoyAdmin: string;
  v1: string;
  v2: string;
  /** The second orders v1 instance, when the run has one. */
  secondary?: string;
  collector: string;
}

export interface DemoStack {
  urls: DemoUrls;
  envoy: EnvoyInstance;
  /** Each version's state: v2's write log proves that mirrored creates stored nothing. */
  stores: Readonly<Record<OrdersVersion, OrdersStore>>;
  /**
   * The secondary's own state, when the run has one. It runs v1, which ignores the shadow marker, so
   * its copies of the sampled creates are stored here: never in v1's store.
   */
  secondaryStore?: OrdersStore;
  /** The edge role's filter configuration Envoy runs. */
  edgeFilterConfig: JsonObject;
  stop(): Promise<void>;
}

interface Started {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface DemoStackOptions {
  secondary?: boolean;
  /** The collector's configuration file: demoCollectorConfig(secondary) when absent. */
  collectorConfig?: string;
}

export async function startDemoStack(ports: DemoPorts, options: DemoStackOptions = {}): Promise<DemoStack> {
  const started: Array<{ close(): Promise<void> }> = [];
  const stopAll = async (): Promise<void> => {
    // Envoy first: nothing should reach a service that is going away.
    for (const part of started.splice(0).reverse()) await part.close();
  };
  const collectorToken = randomBytes(16).toString('hex');
  try {
    const stores = { v1: new OrdersStore(), v2: new OrdersStore() };
    const v1 = await startOrders('v1', stores.v1, ports.v1);
    started.push(v1);
    const v2 = await startOrders('v2', stores.v2, ports.v2);
    started.push(v2);
    // The same version as v1 and a store of its own, seeded alike: only the noise differs between
    // them, and the copies it stores (v1 ignores the marker) never reach v1's store.
    const secondaryStore = options.secondary === true ? new OrdersStore() : undefined;
    const secondary =
      secondaryStore === undefined ? undefined : await startOrders('v1', secondaryStore, ports.secondary, 'the secondary orders v1');
    if (secondary !== undefined) started.push(secondary);
    const collector = await startCollector(
      options.collectorConfig ?? demoCollectorConfig(secondary !== undefined),
      ports.collector,
      collectorToken,
    );
    started.push(collector);
    const edgeFilterConfig = demoEdgeFilterConfig(collectorToken, secondary !== undefined);
    const envoy = await startEnvoy(
      buildBootstrap({
        listenAddress: DEMO_HOST,
        edgePort: ports.edge,
        adminPort: ports.admin,
        primary: { address: DEMO_HOST, port: v1.port },
        shadow: { address: DEMO_HOST, port: v2.port },
        ...(secondary === undefined ? {} : { secondary: { address: DEMO_HOST, port: secondary.port } }),
        collector: { address: DEMO_HOST, port: collector.port },
        wasm: {
          path: await requireFilterWasm(),
          edgeConfig: edgeFilterConfig,
          shadowConfig: demoShadowFilterConfig(collectorToken),
          secondaryConfig: demoSecondaryFilterConfig(collectorToken),
        },
        identity: { issuer: DEMO_ISSUER, jwks: { filename: join(PROJECT_ROOT, DEMO_JWKS_FILE) } },
      }),
      // Two workers, like a small production Envoy: per-worker queues and sticky sampling both show.
      { logLevel: 'warning', concurrency: 2 },
    );
    started.push({ close: () => envoy.stop() });
    return {
      urls: {
        edge: envoy.edgeUrl,
        envoyAdmin: envoy.adminUrl,
        v1: v1.url,
        v2: v2.url,
        ...(secondary === undefined ? {} : { secondary: secondary.url }),
        collector: collector.url,
      },
      envoy,
      stores,
      ...(secondaryStore === undefined ? {} : { secondaryStore }),
      edgeFilterConfig,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function startOrders(version: OrdersVersion, store: OrdersStore, port: number, what = `orders ${version}`): Promise<Started> {
  const app = buildOrdersApp({ version, store });
  await listenOrExplain(app, port, what);
  const bound = (app.server.address() as AddressInfo).port;
  return { url: `http://${DEMO_HOST}:${bound}`, port: bound, close: () => app.close() };
}

async function startCollector(file: string, port: number, token: string): Promise<Started> {
  const config = loadConfig({
    file,
    overrides: [
      { field: 'listen.host', value: DEMO_HOST, origin: 'the demo' },
      { field: 'listen.port', value: String(port), origin: '--collector-port' },
      { field: 'token', value: token, origin: 'the demo' },
      // Memory only: each run reports its own traffic, not the sum of every run so far.
      { field: 'store.path', value: '', origin: 'the demo' },
      // The demo prints its own progress; the collector speaks up only when something is wrong.
      { field: 'logLevel', value: 'warn', origin: 'the demo' },
    ],
  });
  let server: RunningServer;
  try {
    server = await startServer(config);
  } catch (error) {
    throw explainListenError(error, port, 'the collector');
  }
  const bound = (server.app.server.address() as AddressInfo).port;
  return { url: server.url, port: bound, close: () => server.close() };
}

async function listenOrExplain(app: FastifyInstance, port: number, what: string): Promise<void> {
  try {
    await app.listen({ host: DEMO_HOST, port });
  } catch (error) {
    throw explainListenError(error, port, what);
  }
}

/** assertPortsFree checks first; this covers a port taken in between. */
function explainListenError(error: unknown, port: number, what: string): Error {
  if (error instanceof Error && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    return new Error(`port ${port} for ${what} on ${DEMO_HOST} is already in use`);
  }
  return error instanceof Error ? error : new Error(String(error));
}
