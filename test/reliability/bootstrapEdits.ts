// Edits to a bootstrap from envoy/bootstrap.ts that only fault tests want: a short timeout on the
// shadow route, another failure policy or another module for one wasm plugin, several collector
// instances behind the collector cluster. Each returns a
// changed copy and fails loudly when the bootstrap no longer has what it edits.
import { COLLECTOR_CLUSTER, SHADOW_INTERNAL_LISTENER, type Endpoint } from '../../envoy/bootstrap.js';
import type { JsonObject, JsonValue } from '../../envoy/json.js';

export type FailurePolicy = 'FAIL_OPEN' | 'FAIL_CLOSED';

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every object inside `value` (itself included) for which `matches` holds. */
function objectsWhere(value: JsonValue, matches: (object: JsonObject) => boolean): JsonObject[] {
  if (Array.isArray(value)) return value.flatMap((item) => objectsWhere(item, matches));
  if (!isObject(value)) return [];
  const inside = Object.values(value).flatMap((item) => objectsWhere(item, matches));
  return matches(value) ? [value, ...inside] : inside;
}

function only(found: JsonObject[], what: string): JsonObject {
  if (found.length !== 1) throw new Error(`expected one ${what} in the bootstrap, found ${found.length}`);
  return found[0]!;
}

/** The `config` of the wasm plugin named `plugin` (e.g. shadowdiff_edge). */
function wasmPluginConfig(bootstrap: JsonObject, plugin: string): JsonObject {
  return only(
    objectsWhere(bootstrap, (object) => object['name'] === plugin && isObject(object['vm_config'])),
    `wasm plugin ${plugin}`,
  );
}

/**
 * Mirrored copies go through the internal listener's route to the shadow service; its timeout
 * is how long a copy may take before Envoy gives up on it (the default is 15 s).
 */
export function withShadowRouteTimeout(bootstrap: JsonObject, timeout: string): JsonObject {
  const copy = structuredClone(bootstrap);
  const listener = only(
    objectsWhere(copy, (object) => object['name'] === SHADOW_INTERNAL_LISTENER && 'filter_chains' in object),
    'shadow listener',
  );
  const route = only(
    objectsWhere(listener, (object) => isObject(object['match']) && isObject(object['route'])),
    'shadow route',
  )['route'] as JsonObject;
  route['timeout'] = timeout;
  return copy;
}

export function withFailurePolicy(bootstrap: JsonObject, plugin: string, policy: FailurePolicy): JsonObject {
  const copy = structuredClone(bootstrap);
  wasmPluginConfig(copy, plugin)['failure_policy'] = policy;
  return copy;
}

/** Loads `path` as the module of `plugin`, in a VM of its own so the other plugin keeps the good module. */
export function withModule(bootstrap: JsonObject, plugin: string, path: string): JsonObject {
  const copy = structuredClone(bootstrap);
  const vm = wasmPluginConfig(copy, plugin)['vm_config'] as JsonObject;
  vm['vm_id'] = `${plugin}_own_vm`;
  vm['code'] = { local: { filename: path } };
  return copy;
}

const MODULE_SOURCE_CLUSTER = 'wasm_module_source';

/**
 * Fetches the module of `plugin` over HTTP from `source` (as Istio's WasmPlugin does), in a VM of
 * its own; `sha256` is the digest Envoy checks the fetched bytes against.
 */
export function withRemoteModule(bootstrap: JsonObject, plugin: string, source: Endpoint, sha256: string): JsonObject {
  const copy = structuredClone(bootstrap);
  const vm = wasmPluginConfig(copy, plugin)['vm_config'] as JsonObject;
  vm['vm_id'] = `${plugin}_own_vm`;
  vm['code'] = {
    remote: {
      http_uri: { uri: `http://${source.address}:${source.port}/shadowdiff.wasm`, cluster: MODULE_SOURCE_CLUSTER, timeout: '1s' },
      sha256,
      retry_policy: { num_retries: 1, retry_back_off: { base_interval: '0.1s', max_interval: '0.2s' } },
    },
  };
  const resources = copy['static_resources'] as JsonObject;
  (resources['clusters'] as JsonValue[]).push({
    name: MODULE_SOURCE_CLUSTER,
    connect_timeout: '1s',
    type: 'STATIC',
    load_assignment: {
      cluster_name: MODULE_SOURCE_CLUSTER,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: source.address, port_value: source.port } } } }] }],
    },
  });
  return copy;
}

/**
 * Exports to several collector instances behind the filter's one cluster, as a Kubernetes Service
 * spreads them: round robin over the instances that are ready (an active health check of
 * `/readyz`), and an instance that refuses a connection taken out at once (outlier detection on
 * local-origin failures, so a 503 from a ready instance does not eject it).
 */
export function withCollectorEndpoints(bootstrap: JsonObject, endpoints: readonly Endpoint[]): JsonObject {
  const copy = structuredClone(bootstrap);
  const cluster = only(
    objectsWhere(copy, (object) => object['name'] === COLLECTOR_CLUSTER && isObject(object['load_assignment'])),
    'collector cluster',
  );
  cluster['type'] = 'STATIC';
  cluster['load_assignment'] = {
    cluster_name: COLLECTOR_CLUSTER,
    endpoints: [
      {
        lb_endpoints: endpoints.map(({ address, port }) => ({ endpoint: { address: { socket_address: { address, port_value: port } } } })),
      },
    ],
  };
  cluster['health_checks'] = [
    { timeout: '0.5s', interval: '0.2s', unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: { path: '/readyz' } },
  ];
  cluster['outlier_detection'] = {
    split_external_local_origin_errors: true,
    consecutive_local_origin_failure: 1,
    enforcing_consecutive_local_origin_failure: 100,
    max_ejection_percent: 50,
    base_ejection_time: '30s',
  };
  return copy;
}
