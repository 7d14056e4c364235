import { buildBootstrap, COLLECTOR_CLUSTER, type Endpoint } from '../envoy/bootstrap.js';
import type { JsonObject, JsonValue } from '../envoy/json.js';
import { FILTER_WASM } from '../test/support/paths.js';

/** Where one benchmark Envoy listens and where its clusters point. */
export interface EnvoyWiring {
  edgePort: number;
  adminPort: number;
  primary: Endpoint;
  shadow: Endpoint;
  collector: Endpoint;
}

/** The filter options a variant changes; everything else is the filter's default. */
export interface FilterKnobs {
  /** digest.json: the structural digest of JSON bodies (the body hash runs either way). */
  json: boolean;
  /** The `export` block; the filter's defaults when absent. */
  export?: JsonObject;
  /** collector.timeoutMs; the filter's default when absent. */
  collectorTimeoutMs?: number;
}

/**
 * Every request is sampled: the cost per sampled request is what is measured, and the share an
 * operator samples scales it down.
 */
function edgeConfig(knobs: FilterKnobs): JsonObject {
  return {
    role: 'edge',
    source: 'bench-edge',
    collector: collectorOf(knobs),
    // Uncapped: the default mirroring caps would turn a load test into a test of the caps.
    sampling: { defaultPercent: 100, maxPerSecond: 0, segmentMaxPerSecond: 0 },
    digest: { json: knobs.json },
    ...(knobs.export === undefined ? {} : { export: knobs.export }),
  };
}

function shadowConfig(knobs: FilterKnobs): JsonObject {
  return {
    role: 'shadow',
    source: 'bench-shadow',
    collector: collectorOf(knobs),
    digest: { json: knobs.json },
    ...(knobs.export === undefined ? {} : { export: knobs.export }),
  };
}

function collectorOf(knobs: FilterKnobs): JsonObject {
  return { cluster: COLLECTOR_CLUSTER, ...(knobs.collectorTimeoutMs === undefined ? {} : { timeoutMs: knobs.collectorTimeoutMs }) };
}

/** The shipped bootstrap without the filter: the baseline every Envoy line is a ratio against. */
export function noFilterBootstrap(wiring: EnvoyWiring): JsonObject {
  return buildBootstrap({ ...wiring, wasm: false });
}

/** The shipped bootstrap with the built filter in both roles (edge and shadow internal listener). */
export function filterBootstrap(wiring: EnvoyWiring, knobs: FilterKnobs): JsonObject {
  return buildBootstrap({ ...wiring, wasm: { path: FILTER_WASM, edgeConfig: edgeConfig(knobs), shadowConfig: shadowConfig(knobs) } });
}

/**
 * The same bootstrap with every mirror policy removed: the lines that measure the edge filter alone
 * must not also pay for the shadow leg, and the mirroring line uses it as "mirroring off".
 */
export function withoutMirroring(bootstrap: JsonObject): JsonObject {
  const strip = (value: JsonValue): JsonValue => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== 'object') return value;
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) if (key !== 'request_mirror_policies') out[key] = strip(item);
    return out;
  };
  return strip(bootstrap) as JsonObject;
}
