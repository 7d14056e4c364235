// The filter configuration the demo runs: the shipped sampling (envoy/filterConfigs.ts: employees
// 100%, beta users 50%, everyone else 5%, sticky per x-user-id) with a short flush interval, so the
// report is complete a fraction of a second after the last request rather than a second later.

import { defaultEdgeFilterConfig, defaultShadowFilterConfig } from '../../envoy/filterConfigs.js';
import type { JsonObject } from '../../envoy/json.js';

const DEMO_EXPORT: JsonObject = { flushIntervalMs: 200 };

/**
 * `collectorToken` is the bearer token of the run's collector: with ports picked by the system, a
 * port can be one that another Envoy on the machine still exports to, and the token keeps its
 * batches out of the demo's report.
 */
export function demoEdgeFilterConfig(collectorToken: string): JsonObject {
  const shipped = defaultEdgeFilterConfig();
  return { ...shipped, source: 'demo-edge', collector: withToken(shipped, collectorToken), export: DEMO_EXPORT };
}

export function demoShadowFilterConfig(collectorToken: string): JsonObject {
  const shipped = defaultShadowFilterConfig();
  return { ...shipped, source: 'demo-shadow', collector: withToken(shipped, collectorToken), export: DEMO_EXPORT };
}

function withToken(filterConfig: JsonObject, token: string): JsonObject {
  const collector = filterConfig['collector'];
  if (typeof collector !== 'object' || collector === null || Array.isArray(collector)) throw new Error('filter config without a collector');
  return { ...collector, token };
}
