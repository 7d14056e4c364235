// How the manifests fit together: the route mirrors on exactly the header the edge filter writes,
// mirrored copies land on the workloads the shadow filter is selected for (by label, not by host),
// those copies carry the marker the order service honours, and each role fails the way its README
// says. The filter's behaviour comes from the built module in the host emulator.

import { describe, expect, it } from 'vitest';
import { SHADOW_MARKER_HEADER } from '../../examples/orders/orderRoutes.js';
import { envoyFilterConfigs, wasmPluginConfig } from './embeddedFilterConfigs.js';
import { startFilter } from './filterModule.js';
import { shippedResources, type HttpRoute, type IstioResource } from './istioResources.js';
import { isRecord } from './jsonValues.js';

const [destinationRule, ...otherRules] = shippedResources('DestinationRule');
const virtualServices = shippedResources('VirtualService');
const envoyFilters = shippedResources('EnvoyFilter');
const wasmPlugins = shippedResources('WasmPlugin');

function named<Spec>(resources: Array<IstioResource<Spec>>, name: string): IstioResource<Spec> {
  const found = resources.find((resource) => resource.metadata.name === name);
  if (found === undefined) throw new Error(`no shipped resource named ${name}`);
  return found;
}

function subsetLabels(subset: string | undefined): Record<string, string> {
  const found = destinationRule?.spec.subsets.find((candidate) => candidate.name === subset);
  if (found === undefined) throw new Error(`the DestinationRule has no subset ${subset}`);
  return found.labels;
}

const ingress = named(virtualServices, 'orders-ingress');
const mesh = named(virtualServices, 'orders');
const [sampledRoute, defaultRoute, ...extraRoutes] = ingress.spec.http;
const ORDERS_HOST = 'orders.shop.svc.cluster.local';
const MOUNTED_MODULE = '/var/local/wasm/shadowdiff.wasm';

function only<T>(items: readonly T[], what: string): T {
  const [item, ...rest] = items;
  if (item === undefined || rest.length > 0) throw new Error(`expected exactly one ${what}, found ${items.length}`);
  return item;
}

describe('routing', () => {
  it('one DestinationRule splits the orders host into v1 and v2 by the version label', () => {
    expect(otherRules).toEqual([]);
    expect(destinationRule?.spec.host).toBe(ORDERS_HOST);
    expect(subsetLabels('v1')).toEqual({ version: 'v1' });
    expect(subsetLabels('v2')).toEqual({ version: 'v2' });
  });

  it('at the ingress, sampled requests go to v1 and are mirrored in full to v2; the rest go to v1', () => {
    expect(extraRoutes).toEqual([]);
    const sampled: HttpRoute | undefined = sampledRoute;
    expect(sampled?.match).toEqual([{ headers: { 'x-shadowdiff-sampled': { exact: '1' } } }]);
    expect(sampled?.route).toEqual([{ destination: { host: ORDERS_HOST, subset: 'v1' } }]);
    expect(sampled?.mirror).toEqual({ host: ORDERS_HOST, subset: 'v2' });
    expect(sampled?.mirrorPercentage).toEqual({ value: 100 });
    expect(defaultRoute?.match).toBeUndefined();
    expect(defaultRoute?.route).toEqual([{ destination: { host: ORDERS_HOST, subset: 'v1' } }]);
  });

  it('at the ingress, both routes strip a client-sent shadow marker before it can reach v1', () => {
    for (const route of ingress.spec.http) expect(route.headers?.request?.remove, route.name).toEqual([SHADOW_MARKER_HEADER]);
  });

  it('inside the mesh everything goes to v1, so v2 only ever sees mirrored copies', () => {
    expect(mesh.spec.gateways).toBeUndefined();
    expect(mesh.spec.hosts).toEqual([ORDERS_HOST]);
    expect(mesh.spec.http.map((route) => [route.match, route.route, route.mirror])).toEqual([
      [undefined, [{ destination: { host: ORDERS_HOST, subset: 'v1' } }], undefined],
    ]);
  });
});

describe('where each role of the filter runs', () => {
  const edgeSelector = { istio: 'ingressgateway' };
  const v2Workload = { app: 'orders', ...subsetLabels(sampledRoute?.mirror?.subset) };

  it('edge: on the ingress gateway the ingress VirtualService is bound to', () => {
    expect(ingress.spec.gateways).toEqual(['istio-system/public-gateway']);
    const envoyFilter = named(envoyFilters, 'shadowdiff-edge');
    const wasmPlugin = named(wasmPlugins, 'shadowdiff-edge');
    expect([envoyFilter.metadata.namespace, wasmPlugin.metadata.namespace]).toEqual(['istio-system', 'istio-system']);
    expect(envoyFilter.spec.workloadSelector?.labels).toEqual(edgeSelector);
    expect(wasmPlugin.spec.selector?.matchLabels).toEqual(edgeSelector);
    expect(envoyFilter.spec.configPatches.map((patch) => patch.match.context)).toEqual(['GATEWAY']);
  });

  it('shadow: on the v2 workloads the mirror targets, selected by label (no -shadow host suffix since Istio 1.28), inbound only', () => {
    const envoyFilter = named(envoyFilters, 'shadowdiff-shadow');
    const wasmPlugin = named(wasmPlugins, 'shadowdiff-shadow');
    expect(envoyFilter.spec.workloadSelector?.labels).toEqual(v2Workload);
    expect(wasmPlugin.spec.selector?.matchLabels).toEqual(v2Workload);
    expect(envoyFilter.spec.configPatches.map((patch) => patch.match.context)).toEqual(['SIDECAR_INBOUND']);
    expect(wasmPlugin.spec.match).toEqual([{ mode: 'SERVER' }]);
  });

  it('every EnvoyFilter inserts the Wasm filter just before the router of the HTTP connection manager', () => {
    for (const { spec, metadata } of envoyFilters) {
      const patch = only(spec.configPatches, `configPatch in ${metadata.name}`);
      expect(patch.applyTo).toBe('HTTP_FILTER');
      expect(patch.patch.operation).toBe('INSERT_BEFORE');
      expect(patch.match.listener?.filterChain?.filter).toEqual({
        name: 'envoy.filters.network.http_connection_manager',
        subFilter: { name: 'envoy.filters.http.router' },
      });
    }
  });

  it('every WasmPlugin loads the module the EnvoyFilters load, from the same mounted file, in phase STATS', () => {
    for (const { spec, metadata } of wasmPlugins) {
      expect(spec.url, metadata.name).toBe(`file://${MOUNTED_MODULE}`);
      // Istio hands a file:// module to Envoy as a local file and checks no sha256 against it.
      expect(spec.sha256, metadata.name).toBeUndefined();
      expect(spec.phase, metadata.name).toBe('STATS');
    }
    for (const { spec, metadata } of envoyFilters) {
      const value = only(spec.configPatches, 'configPatch').patch.value;
      const typedConfig = isRecord(value) ? value['typed_config'] : undefined;
      const vmConfig = isRecord(typedConfig) && isRecord(typedConfig['config']) ? typedConfig['config']['vm_config'] : undefined;
      expect(vmConfig, metadata.name).toEqual({ vm_id: 'shadowdiff', runtime: 'envoy.wasm.runtime.v8', code: { local: { filename: MOUNTED_MODULE } } });
    }
  });
});

describe('failure behaviour', () => {
  const policies = [...envoyFilters.flatMap(envoyFilterConfigs), ...wasmPlugins.map(wasmPluginConfig)].map(
    (config) => `${config.carrier.split(' (')[0]}: ${config.failurePolicy}`,
  );

  it('the edge fails open (the primary never loses a request); the shadow fails closed (an unmarked copy would write)', () => {
    expect(policies).toEqual([
      'EnvoyFilter istio-system/shadowdiff-edge: FAIL_OPEN',
      'EnvoyFilter shop/shadowdiff-shadow: FAIL_CLOSED',
      'WasmPlugin istio-system/shadowdiff-edge: FAIL_OPEN',
      'WasmPlugin shop/shadowdiff-shadow: FAIL_CLOSE',
    ]);
  });
});

describe('the filter, as configured by the manifests, meets the routes and the service', () => {
  const [edgeConfig, shadowConfig] = envoyFilters.flatMap(envoyFilterConfigs);

  const request = (headers: Record<string, string>) => ({
    ':method': 'GET',
    ':path': '/orders/ord-1001',
    ':authority': 'orders.example.com',
    'x-request-id': 'f3b0c1d2-0000-4000-8000-000000000001',
    ...headers,
  });

  it('the edge writes exactly the header the sampled route matches, for an employee', async () => {
    const { plugin } = await startFilter(edgeConfig?.configuration ?? '', edgeConfig?.rootId ?? '');
    const stream = plugin.newHttpStream();
    stream.sendRequestHeaders(request({ 'x-user-id': 'emp-01', 'x-user-group': 'employee' }), true);
    for (const [name, match] of Object.entries(sampledRoute?.match?.[0]?.headers ?? {})) {
      expect(stream.requestHeader(name), name).toBe(match.exact);
    }
    expect(stream.requestHeader('x-shadowdiff-id')).toMatch(/^[0-9a-f]{16}$/);
  });

  it('the edge strips a client-sent sampled header, so an unsampled request takes the default route', async () => {
    const { plugin } = await startFilter(edgeConfig?.configuration ?? '', edgeConfig?.rootId ?? '');
    const verdicts = Array.from({ length: 20 }, (_, i) => {
      const stream = plugin.newHttpStream();
      stream.sendRequestHeaders(request({ 'x-user-id': `user-${i}`, 'x-shadowdiff-sampled': '1', [SHADOW_MARKER_HEADER]: '1' }), true);
      expect(stream.requestHeader(SHADOW_MARKER_HEADER)).toBeUndefined();
      return stream.requestHeader('x-shadowdiff-sampled');
    });
    // 5% of everyone else is sampled: most of twenty users are not, and lose the forged header.
    expect(verdicts.filter((verdict) => verdict === undefined).length).toBeGreaterThan(10);
  });

  it('the shadow adds the marker the order service honours to every copy', async () => {
    const { plugin } = await startFilter(shadowConfig?.configuration ?? '', shadowConfig?.rootId ?? '');
    const stream = plugin.newHttpStream();
    stream.sendRequestHeaders(request({ 'x-shadowdiff-sampled': '1', 'x-shadowdiff-id': '0123456789abcdef', 'x-shadowdiff-segment': 'employees' }), true);
    expect(stream.requestHeader(SHADOW_MARKER_HEADER)).toBe('1');
  });
});

describe('export to the collector', () => {
  it('every role exports through Istio’s outbound cluster for the collector service', () => {
    const collectors = [...envoyFilters.flatMap(envoyFilterConfigs), ...wasmPlugins.map(wasmPluginConfig)].map((config) => {
      const parsed: unknown = JSON.parse(config.configuration);
      return isRecord(parsed) ? parsed['collector'] : undefined;
    });
    expect(collectors).toHaveLength(4);
    for (const collector of collectors) {
      expect(collector).toEqual({
        cluster: 'outbound|8090||shadowdiff-collector.shadowdiff.svc.cluster.local',
        authority: 'shadowdiff-collector.shadowdiff.svc.cluster.local:8090',
      });
    }
  });
});
