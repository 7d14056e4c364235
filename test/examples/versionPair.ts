// Both versions of the order service side by side, each with its own store, and a comparison of
// their answers the way the collector makes it: leaf field by leaf field, after the ignore rules
// of examples/orders/collector.yaml (loaded by the collector's own config loader) drop the noise.

import { fileURLToPath } from 'node:url';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { loadConfig } from '../../collector/config.js';
import { IgnoreRules } from '../../collector/compare/ignoreRules.js';
import { buildOrdersApp } from '../../examples/orders/app.js';
import { OrdersStore, type OrdersStoreOptions } from '../../examples/orders/ordersStore.js';
import type { OrdersVersion } from '../../examples/orders/versionBehaviour.js';

const COLLECTOR_CONFIG_FILE = fileURLToPath(new URL('../../examples/orders/collector.yaml', import.meta.url));

const ignoreRules = new IgnoreRules(loadConfig({ file: COLLECTOR_CONFIG_FILE }).ignore);

export interface Instance {
  app: FastifyInstance;
  store: OrdersStore;
}

export type VersionPair = Record<OrdersVersion, Instance>;

export function buildVersionPair(storeOptions: OrdersStoreOptions = {}): VersionPair {
  const instance = (version: OrdersVersion): Instance => {
    const store = new OrdersStore(storeOptions);
    return { app: buildOrdersApp({ version, store }), store };
  };
  return { v1: instance('v1'), v2: instance('v2') };
}

export async function closeVersionPair(pair: VersionPair): Promise<void> {
  await Promise.all([pair.v1.app.close(), pair.v2.app.close()]);
}

export interface Answer {
  status: number;
  /** The JSON body as leaf path → JSON text of the value. */
  fields: Map<string, string>;
  /** Catalogue database round trips the request cost. */
  catalogRoundTrips: number;
  /** Of those, the ones that overlapped another (did not add their latency to the response's). */
  catalogOverlappingRoundTrips: number;
}

export async function ask(instance: Instance, request: InjectOptions): Promise<Answer> {
  const { catalog } = instance.store;
  const roundTripsBefore = catalog.roundTrips;
  const overlappingBefore = catalog.overlappingRoundTrips;
  const response = await instance.app.inject(request);
  return {
    status: response.statusCode,
    fields: leafFields(response.json()),
    catalogRoundTrips: catalog.roundTrips - roundTripsBefore,
    catalogOverlappingRoundTrips: catalog.overlappingRoundTrips - overlappingBefore,
  };
}

export interface Comparison {
  v1: Answer;
  v2: Answer;
  /** Leaf paths whose values differ, noise excluded. */
  differingFields: string[];
}

/** Sends the same request to both versions, v1 first. */
export async function compareVersions(pair: VersionPair, request: InjectOptions): Promise<Comparison> {
  const v1 = await ask(pair.v1, request);
  const v2 = await ask(pair.v2, request);
  return { v1, v2, differingFields: differingFields(v1.fields, v2.fields) };
}

/** Paths present in either answer whose values differ, except those the ignore rules drop. */
export function differingFields(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): string[] {
  const ignore = ignoreRules.forRoute('');
  const paths = new Set([...a.keys(), ...b.keys()]);
  return [...paths].filter((path) => !ignore.field(path) && a.get(path) !== b.get(path)).sort();
}

/** Whether the collector's rules for this example ignore `path`. */
export function isIgnoredField(path: string): boolean {
  return ignoreRules.forRoute('').field(path);
}

/** Leaf paths as the filter names them: `$.key`, `$["other key"]`, `$.list[0]`. */
function leafFields(value: unknown, path = '$', into = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(value) && value.length > 0) {
    value.forEach((item, index) => leafFields(item, `${path}[${index}]`, into));
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [key, item] of Object.entries(value)) {
      leafFields(item, /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`, into);
    }
  } else {
    into.set(path, JSON.stringify(value));
  }
  return into;
}
