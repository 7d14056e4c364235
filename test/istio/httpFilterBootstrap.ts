// A minimal Envoy bootstrap around one HTTP filter (or connection manager merge) taken from an EnvoyFilter patch, so that
// `envoy --mode validate` can judge what the CRD cannot: the patch value is free-form in the CRD,
// but Envoy parses it as a typed proto and, for the Wasm filter, loads the module and configures
// the plugin with the embedded configuration.

import type { JsonObject } from '../../envoy/json.js';
import { asJsonObject, isRecord } from './jsonValues.js';

const WASM_FILTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm';
const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/**
 * `httpFilter` (an EnvoyFilter patch value) before the router of one listener. A Wasm filter's
 * module path inside the cluster (`/var/local/wasm/...`) is replaced by `modulePath`, a file on
 * this machine; other filters are taken as they are.
 */
export function httpFilterBootstrap(httpFilter: unknown, modulePath: string): JsonObject {
  const filter = structuredClone(asJsonObject(httpFilter, 'the patch value'));
  const typedConfig = filter['typed_config'];
  if (isRecord(typedConfig) && typedConfig['@type'] === WASM_FILTER_TYPE) {
    const vmConfig = isRecord(typedConfig['config']) ? typedConfig['config']['vm_config'] : undefined;
    if (!isRecord(vmConfig) || !isRecord(vmConfig['code']) || !isRecord(vmConfig['code']['local'])) {
      throw new Error('the patch value is a Wasm filter without a local module');
    }
    vmConfig['code']['local']['filename'] = modulePath;
  }
  return bootstrapAround([filter], {});
}

/**
 * A `NETWORK_FILTER` `MERGE` patch value for the HTTP connection manager, merged into the minimal
 * bootstrap's connection manager as Istio merges it (here: top-level fields such as
 * `early_header_mutation_extensions`, which the minimal manager does not set).
 */
export function connectionManagerMergeBootstrap(patchValue: unknown): JsonObject {
  const value = asJsonObject(patchValue, 'the patch value');
  const typedConfig = asJsonObject(value['typed_config'], 'the patch value typed_config');
  if (typedConfig['@type'] !== HCM_TYPE)
    throw new Error(`the patch value merges into ${String(typedConfig['@type'])}, not the HTTP connection manager`);
  const { '@type': _type, ...fields } = typedConfig;
  return bootstrapAround([], fields);
}

function bootstrapAround(httpFilters: JsonObject[], connectionManagerFields: JsonObject): JsonObject {
  return {
    static_resources: {
      listeners: [
        {
          name: 'envoyfilter_patch',
          address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': HCM_TYPE,
                    stat_prefix: 'envoyfilter_patch',
                    ...connectionManagerFields,
                    route_config: {
                      virtual_hosts: [
                        { name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 200 } }] },
                      ],
                    },
                    http_filters: [
                      ...httpFilters,
                      {
                        name: 'envoy.filters.http.router',
                        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    },
  };
}
