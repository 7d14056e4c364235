// A minimal Envoy bootstrap around one HTTP filter taken from an EnvoyFilter patch, so that
// `envoy --mode validate` can judge what the CRD cannot: the patch value is free-form in the CRD,
// but Envoy parses it as a typed proto and, for the Wasm filter, loads the module and configures
// the plugin with the embedded configuration.

import type { JsonObject } from '../../envoy/json.js';
import { asJsonObject, isRecord } from './jsonValues.js';

const WASM_FILTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm';

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
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'envoyfilter_patch',
                    route_config: {
                      virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 200 } }] }],
                    },
                    http_filters: [
                      filter,
                      { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
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
