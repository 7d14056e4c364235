// The plugin configurations inside the manifests pass the filter's own validation: the built
// module, run in the host emulator, is started with each one as Envoy would start it. A broken
// configuration, in a copy of a manifest, is refused with the field named.

import { describe, expect, it } from 'vitest';
import { envoyFilterConfigs, wasmPluginConfig, type EmbeddedFilterConfig } from './embeddedFilterConfigs.js';
import { CrdValidator } from './crdValidator.js';
import { startFilter } from './filterModule.js';
import { shippedResources, type EnvoyFilterSpec, type IstioResource, type WasmPluginSpec } from './istioResources.js';
import { parseManifest } from './manifests.js';

const envoyFilters = shippedResources('EnvoyFilter');
const wasmPlugins = shippedResources('WasmPlugin');
const embedded: EmbeddedFilterConfig[] = [...envoyFilters.flatMap(envoyFilterConfigs), ...wasmPlugins.map(wasmPluginConfig)];

/** The role, and the leg a shadow role observes when it names one: `edge`, `shadow`, `shadow/secondary`. */
function roleOf(config: EmbeddedFilterConfig): string {
  const parsed: unknown = JSON.parse(config.configuration);
  if (typeof parsed !== 'object' || parsed === null) return 'undefined';
  const role = 'role' in parsed ? String(parsed.role) : 'undefined';
  return 'leg' in parsed ? `${role}/${String(parsed.leg)}` : role;
}

describe('the embedded plugin configurations', () => {
  it('are one edge, one shadow and one secondary configuration in each loading method', () => {
    expect(embedded.map((config) => `${config.kind} ${roleOf(config)} ${config.rootId}`)).toEqual([
      'EnvoyFilter edge shadowdiff',
      'EnvoyFilter shadow/secondary shadowdiff',
      'EnvoyFilter shadow shadowdiff',
      'WasmPlugin edge shadowdiff',
      'WasmPlugin shadow/secondary shadowdiff',
      'WasmPlugin shadow shadowdiff',
    ]);
  });

  it.each(embedded.map((config): [string, EmbeddedFilterConfig] => [config.carrier, config]))(
    '%s: the filter accepts it',
    async (_, config) => {
      const { host, plugin } = await startFilter(config.configuration, config.rootId);
      expect(host.criticalLogs()).toEqual([]);
      expect(host.trapped).toBeNull();
      expect(plugin.ok).toBe(true);
    },
  );

  it('are the same per role whichever way the filter is loaded', () => {
    for (const role of ['edge', 'shadow', 'shadow/secondary']) {
      const [viaEnvoyFilter, viaWasmPlugin, ...others] = embedded.filter((config) => roleOf(config) === role);
      expect(others).toEqual([]);
      expect(JSON.parse(viaWasmPlugin?.configuration ?? 'null'), role).toEqual(JSON.parse(viaEnvoyFilter?.configuration ?? 'null'));
    }
  });
});

describe('a broken plugin configuration in a manifest', () => {
  /** The shipped edge EnvoyFilter, its StringValue edited as a YAML author might. */
  function editedEdgeEnvoyFilter(edit: (json: string) => string): EmbeddedFilterConfig {
    const [shippedEdge] = envoyFilters.filter((resource) => resource.metadata.name === 'shadowdiff-edge');
    if (shippedEdge === undefined) throw new Error('no shipped shadowdiff-edge EnvoyFilter');
    const resource: IstioResource<EnvoyFilterSpec> = structuredClone(shippedEdge);
    const [config] = envoyFilterConfigs(resource);
    if (config === undefined) throw new Error('the edge EnvoyFilter carries no plugin configuration');
    const edited = edit(config.configuration);
    expect(edited).not.toBe(config.configuration);
    return { ...config, configuration: edited };
  }

  it.each([
    ['an out-of-range percentage', (json: string) => json.replace('"percent": 100', '"percent": 101'), 'sampling.segments[0].percent'],
    ['a misspelled option', (json: string) => json.replace('"keyHeader"', '"keyHeadr"'), 'sampling.keyHeadr'],
    ['a sampling block in the wrong role', (json: string) => json.replace('"role": "edge"', '"role": "shadow"'), 'sampling'],
  ])('%s is refused, with a critical log naming the field', async (_, edit, field) => {
    const config = editedEdgeEnvoyFilter(edit);
    const { host, plugin } = await startFilter(config.configuration, config.rootId);
    expect(plugin.ok).toBe(false);
    const [critical, ...more] = host.criticalLogs();
    expect(more).toEqual([]);
    expect(critical).toMatch(new RegExp(`^shadowdiff: invalid configuration: ${field.replace(/[.[\]]/g, '\\$&')}: `));
  });

  it('a WasmPlugin pluginConfig read from YAML text is checked the same way, where the CRD sees nothing wrong', async () => {
    const text = `
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: { name: broken, namespace: shop }
spec:
  url: file:///var/local/wasm/shadowdiff.wasm
  pluginName: shadowdiff
  pluginConfig:
    role: shadow
    collector: { cluster: "outbound|8090||shadowdiff-collector.shadowdiff.svc.cluster.local", timeoutMs: 0 }
`;
    const [document] = parseManifest(text, 'broken.yaml');
    if (document === undefined) throw new Error('no document');
    // pluginConfig is free-form (preserve-unknown-fields): only the filter can judge it.
    expect(CrdValidator.shared().validate(document.resource, document.source)).toEqual([]);
    const validated = document.resource as Omit<IstioResource<WasmPluginSpec>, 'source'>;
    const config = wasmPluginConfig({ ...validated, source: document.source });
    const { host, plugin } = await startFilter(config.configuration, config.rootId);
    expect(plugin.ok).toBe(false);
    expect(host.criticalLogs()).toEqual([expect.stringMatching(/^shadowdiff: invalid configuration: collector\.timeoutMs: /)]);
  });
});
