import { buildBootstrap, COLLECTOR_CLUSTER, type Endpoint } from '../envoy/bootstrap.js';
import type { JsonObject, JsonValue } from '../envoy/json.js';
import { FILTER_WASM } from '../devkit/paths.js';
import { NOOP_FILTER_WASM } from './noopFilter/build.js';

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
  /** sampling.defaultPercent; 100 when absent. */
  sampledPercent?: number;
}

/**
 * Every request is sampled unless `sampledPercent` says otherwise: the cost per sampled request is
 * what most lines measure. A share between 0 and 100 is drawn per request, keyed on the x-request-id
 * Envoy generates, because the bench's clients send one x-user-id (the default key) on every request
 * and would be sampled all or none.
 */
function edgeConfig(knobs: FilterKnobs): JsonObject {
  const percent = knobs.sampledPercent ?? 100;
  return {
    role: 'edge',
    source: 'bench-edge',
    collector: collectorOf(knobs),
    // Uncapped: the default mirroring caps would turn a load test into a test of the caps.
    sampling: {
      defaultPercent: percent,
      ...(percent > 0 && percent < 100 ? { keyHeader: 'x-request-id' } : {}),
      maxPerSecond: 0,
      segmentMaxPerSecond: 0,
    },
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
 * The shipped bootstrap with the no-op floor module (bench/noopFilter) in both filter slots: what any
 * proxy-wasm filter with shadowdiff's ABI surface costs. The module ignores its configuration.
 */
export function floorBootstrap(wiring: EnvoyWiring): JsonObject {
  const knobs: FilterKnobs = { json: false };
  return buildBootstrap({ ...wiring, wasm: { path: NOOP_FILTER_WASM, edgeConfig: edgeConfig(knobs), shadowConfig: shadowConfig(knobs) } });
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
