import { isIP } from 'node:net';
import { stringify } from 'yaml';
import {
  COLLECTOR_CLUSTER,
  DEFAULT_HEADER_PREFIX,
  defaultEdgeFilterConfig,
  defaultSecondaryFilterConfig,
  defaultShadowFilterConfig,
} from './filterConfigs.js';
import { separatorSpellings } from './headerSpellings.js';
import type { JsonObject } from './json.js';
import { earlyHeaderRemoval, edgeWrittenHeaders, jwtAuthnFilter, type IdentityOptions } from './verifiedIdentity.js';

/** Names inside the bootstrap that tests and dashboards refer to. */
export const EDGE_LISTENER = 'edge';
export const SHADOW_INTERNAL_LISTENER = 'shadow_internal';
export const PRIMARY_CLUSTER = 'shadowdiff_primary';
export const SHADOW_CLUSTER = 'shadowdiff_shadow';
/** Points at the internal listener: mirrored copies take this detour through the shadow-role filter. */
export const SHADOW_VIA_INTERNAL_LISTENER_CLUSTER = 'shadowdiff_shadow_internal';
/** A second instance of the primary version (the secondary leg), and the internal listener in front of it. */
export const SECONDARY_INTERNAL_LISTENER = 'secondary_internal';
export const SECONDARY_CLUSTER = 'shadowdiff_secondary';
export const SECONDARY_VIA_INTERNAL_LISTENER_CLUSTER = 'shadowdiff_secondary_internal';
export { COLLECTOR_CLUSTER };

export interface Endpoint {
  /** An IP literal (static cluster) or a host name (resolved by DNS). */
  address: string;
  port: number;
}

export interface WasmOptions {
  /**
   * `local.filename` of the module exactly as Envoy will read it: Envoy resolves a relative path
   * against its own working directory, not against the config file, so pass an absolute path
   * unless Envoy is always started from a known directory.
   */
  path: string;
  /**
   * Both roles share one VM per worker under one vm_id: less memory, and a trap in either role
   * stops both, so while the edge is skipped the shadow side refuses copies instead of passing
   * them on unmarked.
   */
  vmId?: string;
  /**
   * The shadow role's module when it is not `path` (a mixed fleet during a rollout: the previous
   * release on one leg, the new one on the other). The shadow role then runs in a VM of its own.
   */
  shadowPath?: string;
  edgeConfig?: JsonObject;
  shadowConfig?: JsonObject;
  /** The secondary internal listener's filter (default: shadow role, `leg: secondary`). */
  secondaryConfig?: JsonObject;
}

export interface BootstrapOptions {
  /** Address the edge listener and the admin interface bind to. */
  listenAddress?: string;
  /** 0 lets Envoy pick a free port (read it back from the admin `/listeners`). */
  edgePort: number;
  adminPort: number;
  primary: Endpoint;
  shadow: Endpoint;
  /**
   * A second instance of the primary version. With it, a sampled request the edge filter also
   * chose for the secondary (`sampling.secondaryPercent`) is mirrored there too, through an internal
   * listener whose filter marks the copy and digests it as leg `secondary`.
   */
  secondary?: Endpoint;
  collector: Endpoint;
  /** false: the same listeners, routes and mirroring without the filter (a benchmark baseline). */
  wasm: WasmOptions | false;
  /**
   * Verify bearer tokens at the edge and write their claims into the headers the edge filter's
   * segments read (envoy/verifiedIdentity.ts); any client-sent copy of those headers is removed.
   */
  identity?: IdentityOptions;
}

const DEFAULT_LISTEN_ADDRESS = '127.0.0.1';
const DEFAULT_VM_ID = 'shadowdiff';
/** The filter registers this root id (filter/README.md). */
const ROOT_ID = 'shadowdiff';

/** The Envoy bootstrap (v3) for one edge Envoy with its shadow internal listener. */
export function buildBootstrap(options: BootstrapOptions): JsonObject {
  const listenAddress = options.listenAddress ?? DEFAULT_LISTEN_ADDRESS;
  const wasm = options.wasm === false ? undefined : options.wasm;
  const edgeConfig = wasm?.edgeConfig ?? defaultEdgeFilterConfig();
  const headerPrefix = headerPrefixOf(edgeConfig);
  const edgeFilters: JsonObject[] = options.identity === undefined ? [] : [jwtAuthnFilter(options.identity)];
  const edgeEarlyMutations = options.identity === undefined ? [] : [earlyHeaderRemoval(edgeWrittenHeaders(headerPrefix))];
  const shadowFilters: JsonObject[] = [];
  const secondaryFilters: JsonObject[] = [];
  if (wasm !== undefined) {
    // The primary must never lose a request to shadowdiff: a failed edge VM is skipped.
    edgeFilters.push(wasmFilter('shadowdiff_edge', 'FAIL_OPEN', wasm, edgeConfig));
    // A mirrored copy that the shadow filter did not mark would run the shadow service's side
    // effects for real; failing it closed costs no client anything (mirror responses are dropped).
    const shadowWasm =
      wasm.shadowPath === undefined ? wasm : { ...wasm, path: wasm.shadowPath, vmId: `${wasm.vmId ?? DEFAULT_VM_ID}_shadow` };
    shadowFilters.push(wasmFilter('shadowdiff_shadow', 'FAIL_CLOSED', shadowWasm, wasm.shadowConfig ?? defaultShadowFilterConfig()));
    // The secondary runs the primary version: an unmarked copy would write for real just the same.
    secondaryFilters.push(wasmFilter('shadowdiff_secondary', 'FAIL_CLOSED', wasm, wasm.secondaryConfig ?? defaultSecondaryFilterConfig()));
  }
  const secondary = options.secondary;

  return {
    node: { id: 'shadowdiff-edge', cluster: 'shadowdiff' },
    admin: { address: socketAddress(listenAddress, options.adminPort) },
    bootstrap_extensions: [
      {
        name: 'envoy.bootstrap.internal_listener',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.bootstrap.internal_listener.v3.InternalListener',
        },
      },
    ],
    static_resources: {
      listeners: [
        {
          name: EDGE_LISTENER,
          address: socketAddress(listenAddress, options.edgePort),
          filter_chains: [
            {
              filters: [
                httpConnectionManager('edge', edgeRouteConfig(headerPrefix, secondary !== undefined), edgeFilters, edgeEarlyMutations),
              ],
            },
          ],
        },
        internalListener(SHADOW_INTERNAL_LISTENER, 'shadow', SHADOW_CLUSTER, shadowFilters),
        ...(secondary === undefined
          ? []
          : [internalListener(SECONDARY_INTERNAL_LISTENER, 'secondary', SECONDARY_CLUSTER, secondaryFilters)]),
      ],
      clusters: [
        endpointCluster(PRIMARY_CLUSTER, options.primary),
        endpointCluster(SHADOW_CLUSTER, options.shadow),
        ...(secondary === undefined ? [] : [endpointCluster(SECONDARY_CLUSTER, secondary)]),
        endpointCluster(COLLECTOR_CLUSTER, options.collector),
        internalListenerCluster(SHADOW_VIA_INTERNAL_LISTENER_CLUSTER, SHADOW_INTERNAL_LISTENER),
        ...(secondary === undefined ? [] : [internalListenerCluster(SECONDARY_VIA_INTERNAL_LISTENER_CLUSTER, SECONDARY_INTERNAL_LISTENER)]),
      ],
    },
  };
}

export function renderBootstrapYaml(options: BootstrapOptions): string {
  return stringify(buildBootstrap(options), { lineWidth: 0 });
}

/** The routes must name the headers the edge filter writes, whatever prefix it was given. */
function headerPrefixOf(edgeConfig: JsonObject): string {
  const prefix = edgeConfig['headerPrefix'];
  return typeof prefix === 'string' ? prefix : DEFAULT_HEADER_PREFIX;
}

/**
 * Sampled requests go to the primary and, at 100%, to the internal listener. The edge filter writes
 * the sampled header in on_request_headers, which clears Envoy's route cache, so the first route is
 * chosen after the filter ran. Mirrored copies skip the downstream filter chain: that is why the
 * shadow-role filter sits on the internal listener instead of here.
 *
 * With a secondary, the requests the filter also chose for it (`<prefix>secondary: 1`, only ever
 * on a sampled request) match a route before that one, with a second mirror policy to the
 * secondary's internal listener. Each mirror is a copy of its own: a secondary that is down or
 * slow costs the primary and the shadow copy nothing (mirror responses are never awaited).
 *
 * The shadow marker is only ever added on the internal listeners, so removing it here is always
 * right, and it keeps a client's marker away from the primary even while a failed edge VM is
 * skipped (FAIL_OPEN) and cannot strip it: in every spelling a primary may read as the marker. The
 * secondary routing header has done its work once the route is chosen, and no service reads it.
 */
function edgeRouteConfig(headerPrefix: string, withSecondary: boolean): JsonObject {
  // Built anew for each route: a shared object would be written as a YAML anchor and alias.
  const sampled = (): JsonObject => ({ name: `${headerPrefix}sampled`, string_match: { exact: '1' } });
  const toShadow = (): JsonObject => mirrorPolicy(SHADOW_VIA_INTERNAL_LISTENER_CLUSTER);
  const secondaryRoute = {
    name: 'sampled_secondary',
    match: { prefix: '/', headers: [sampled(), { name: `${headerPrefix}secondary`, string_match: { exact: '1' } }] },
    route: { cluster: PRIMARY_CLUSTER, request_mirror_policies: [toShadow(), mirrorPolicy(SECONDARY_VIA_INTERNAL_LISTENER_CLUSTER)] },
  };
  return {
    name: 'edge',
    request_headers_to_remove: [...separatorSpellings(`${headerPrefix}shadow`), ...separatorSpellings(`${headerPrefix}secondary`)],
    virtual_hosts: [
      {
        name: 'edge',
        domains: ['*'],
        routes: [
          ...(withSecondary ? [secondaryRoute] : []),
          {
            name: 'sampled',
            match: { prefix: '/', headers: [sampled()] },
            route: { cluster: PRIMARY_CLUSTER, request_mirror_policies: [toShadow()] },
          },
          { name: 'not_sampled', match: { prefix: '/' }, route: { cluster: PRIMARY_CLUSTER } },
        ],
      },
    ],
  };
}

function mirrorPolicy(cluster: string): JsonObject {
  return { cluster, runtime_fraction: { default_value: { numerator: 100, denominator: 'HUNDRED' } } };
}

/** An internal listener that runs `filters` in front of `cluster` (the `leg`'s service): where mirrored copies are marked and digested. */
function internalListener(name: string, leg: 'shadow' | 'secondary', cluster: string, filters: JsonObject[]): JsonObject {
  const routeConfig = {
    name,
    virtual_hosts: [{ name: leg, domains: ['*'], routes: [{ name: leg, match: { prefix: '/' }, route: { cluster } }] }],
  };
  return { name, internal_listener: {}, filter_chains: [{ filters: [httpConnectionManager(name, routeConfig, filters)] }] };
}

/** The cluster a mirror policy names to reach an internal listener. */
function internalListenerCluster(name: string, listener: string): JsonObject {
  return {
    name,
    connect_timeout: '1s',
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { envoy_internal_address: { server_listener_name: listener } } } }] }],
    },
  };
}

function httpConnectionManager(
  statPrefix: string,
  routeConfig: JsonObject,
  filters: JsonObject[],
  earlyMutations: JsonObject[] = [],
): JsonObject {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      stat_prefix: statPrefix,
      generate_request_id: true,
      ...(earlyMutations.length === 0 ? {} : { early_header_mutation_extensions: earlyMutations }),
      route_config: routeConfig,
      http_filters: [
        ...filters,
        {
          name: 'envoy.filters.http.router',
          typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
        },
      ],
    },
  };
}

/**
 * Envoy 1.40 applies the failure policy once a VM has failed while serving: FAIL_OPEN skips the
 * filter for later requests, FAIL_CLOSED answers them 503 (the request during which the VM trapped
 * gets a 503 either way). A configuration the filter refuses fails the config load whatever the
 * policy: Envoy does not start, or rejects the listener update and keeps the old listener.
 */
function wasmFilter(
  pluginName: string,
  failurePolicy: 'FAIL_OPEN' | 'FAIL_CLOSED',
  wasm: WasmOptions,
  filterConfig: JsonObject,
): JsonObject {
  return {
    name: 'envoy.filters.http.wasm',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm',
      config: {
        name: pluginName,
        root_id: ROOT_ID,
        failure_policy: failurePolicy,
        configuration: {
          '@type': 'type.googleapis.com/google.protobuf.StringValue',
          value: JSON.stringify(filterConfig, null, 2),
        },
        vm_config: {
          vm_id: wasm.vmId ?? DEFAULT_VM_ID,
          runtime: 'envoy.wasm.runtime.v8',
          code: { local: { filename: wasm.path } },
        },
      },
    },
  };
}

function endpointCluster(name: string, endpoint: Endpoint): JsonObject {
  return {
    name,
    connect_timeout: '1s',
    // Host names (a compose file, a demo) need DNS; IP literals need nothing.
    type: isIP(endpoint.address) === 0 ? 'STRICT_DNS' : 'STATIC',
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(endpoint.address, endpoint.port) } }] }],
    },
  };
}

function socketAddress(address: string, port: number): JsonObject {
  return { socket_address: { address, port_value: port } };
}
