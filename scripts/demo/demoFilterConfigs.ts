// The filter configuration the demo runs: the shipped sampling (envoy/filterConfigs.ts: employees
// 100%, beta users 50%, everyone else 5%, sticky per verified user id) with a short flush interval, so the
// report is complete a fraction of a second after the last request rather than a second later.

import { defaultEdgeFilterConfig, defaultSecondaryFilterConfig, defaultShadowFilterConfig } from '../../envoy/filterConfigs.js';
import type { JsonObject } from '../../envoy/json.js';

const DEMO_EXPORT: JsonObject = { flushIntervalMs: 200 };
/**
 * The demo sends its whole plan in a second or two, far above the filter's default caps (50
 * mirrored requests per second per segment, 100 in all), which would then hide the configured
 * shares the demo shows. Production traffic is spread out; the caps bound a flood.
 */
const DEMO_CAPS: JsonObject = { maxPerSecond: 5000, segmentMaxPerSecond: 5000 };
/**
 * The order totals are captured by value on both legs (digest.capture; nothing is by default), so
 * the report shows the rounding regression's two values and how far apart they are; they hold no
 * personal data, and everything else stays a hash.
 */
const DEMO_DIGEST: JsonObject = { capture: { paths: ['$.totals.*', '$.charge'] } };

/**
 * `collectorToken` is the bearer token of the run's collector: with ports picked by the system, a
 * port can be one that another Envoy on the machine still exports to, and the token keeps its
 * batches out of the demo's report.
 */
/**
 * With a secondary, every sampled request goes there too: the demo's plan is small, and the
 * collector learns each field's noise from the pairs of the two v1 instances.
 */
const DEMO_SECONDARY: JsonObject = { secondaryPercent: 100 };

export function demoEdgeFilterConfig(collectorToken: string, withSecondary = false): JsonObject {
  const shipped = defaultEdgeFilterConfig();
  return {
    ...shipped,
    source: 'demo-edge',
    collector: withToken(shipped, collectorToken),
    sampling: { ...objectMember(shipped, 'sampling'), ...DEMO_CAPS, ...(withSecondary ? DEMO_SECONDARY : {}) },
    digest: DEMO_DIGEST,
    export: DEMO_EXPORT,
  };
}

export function demoShadowFilterConfig(collectorToken: string): JsonObject {
  return copyObserverConfig(defaultShadowFilterConfig(), 'demo-shadow', collectorToken);
}

export function demoSecondaryFilterConfig(collectorToken: string): JsonObject {
  return copyObserverConfig(defaultSecondaryFilterConfig(), 'demo-secondary', collectorToken);
}

/** A shipped configuration of a filter on a copy's path, digesting and exporting as the edge's does. */
function copyObserverConfig(shipped: JsonObject, source: string, collectorToken: string): JsonObject {
  return { ...shipped, source, collector: withToken(shipped, collectorToken), digest: DEMO_DIGEST, export: DEMO_EXPORT };
}

function withToken(filterConfig: JsonObject, token: string): JsonObject {
  return { ...objectMember(filterConfig, 'collector'), token };
}

function objectMember(filterConfig: JsonObject, key: string): JsonObject {
  const member = filterConfig[key];
  if (typeof member !== 'object' || member === null || Array.isArray(member)) throw new Error(`filter config without a ${key}`);
  return member;
}
