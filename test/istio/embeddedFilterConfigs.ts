// The shadowdiff plugin configurations carried by the Istio manifests, as the filter receives them:
// an EnvoyFilter passes its Wasm config's StringValue through verbatim, and Istio hands a
// WasmPlugin's pluginConfig (a protobuf Struct) to Envoy as that Struct serialized to JSON.

import type { EnvoyFilterSpec, IstioResource, WasmPluginSpec } from './istioResources.js';
import { isRecord } from './jsonValues.js';

const WASM_FILTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm';
const STRING_VALUE_TYPE = 'type.googleapis.com/google.protobuf.StringValue';

export interface EmbeddedFilterConfig {
  /** `EnvoyFilter shop/shadowdiff-shadow (envoy/istio/envoyfilter-shadow.yaml#1)` */
  carrier: string;
  kind: 'EnvoyFilter' | 'WasmPlugin';
  /** The root id the plugin is started with (root_id, or a WasmPlugin's pluginName). */
  rootId: string;
  /** Exactly what the filter's on_configure reads. */
  configuration: string;
  /** Envoy's failure_policy, or the WasmPlugin's failStrategy. */
  failurePolicy: string;
}

/** Every Wasm HTTP filter an EnvoyFilter patch inserts, with its plugin configuration. */
export function envoyFilterConfigs(resource: IstioResource<EnvoyFilterSpec>): EmbeddedFilterConfig[] {
  const carrier = `EnvoyFilter ${resource.metadata.namespace}/${resource.metadata.name} (${resource.source})`;
  return resource.spec.configPatches.flatMap((configPatch, index) => {
    const typedConfig = isRecord(configPatch.patch.value) ? configPatch.patch.value['typed_config'] : undefined;
    if (!isRecord(typedConfig) || typedConfig['@type'] !== WASM_FILTER_TYPE) return [];
    const where = `${carrier} configPatches[${index}]`;
    const config = typedConfig['config'];
    if (!isRecord(config)) throw new Error(`${where}: the Wasm filter has no config`);
    const configuration = config['configuration'];
    if (!isRecord(configuration) || configuration['@type'] !== STRING_VALUE_TYPE || typeof configuration['value'] !== 'string') {
      throw new Error(`${where}: the plugin configuration must be a ${STRING_VALUE_TYPE} (the filter reads a JSON string)`);
    }
    return [
      {
        carrier,
        kind: 'EnvoyFilter',
        rootId: typeof config['root_id'] === 'string' ? config['root_id'] : '',
        configuration: configuration['value'],
        // Absent, Envoy falls back to the older bool fail_open (default false: fail closed).
        failurePolicy: typeof config['failure_policy'] === 'string' ? config['failure_policy'] : 'UNSPECIFIED',
      },
    ];
  });
}

export function wasmPluginConfig(resource: IstioResource<WasmPluginSpec>): EmbeddedFilterConfig {
  const { spec } = resource;
  return {
    carrier: `WasmPlugin ${resource.metadata.namespace}/${resource.metadata.name} (${resource.source})`,
    kind: 'WasmPlugin',
    rootId: spec.pluginName ?? '',
    // Istio sends no configuration at all for an empty pluginConfig.
    configuration: spec.pluginConfig === undefined ? '' : JSON.stringify(spec.pluginConfig),
    // Istio's default failStrategy is FAIL_CLOSE.
    failurePolicy: spec.failStrategy ?? 'FAIL_CLOSE',
  };
}
