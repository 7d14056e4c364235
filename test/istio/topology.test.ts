// How the manifests fit together: the route mirrors on exactly the header the edge filter writes,
// mirrored copies land on the workloads the shadow filter is selected for (by label, not by host),
// the optional secondary's copies on the workloads its filter is selected for,
// those copies carry the marker the order service honours, and each role fails the way its README
// says. The filter's behaviour comes from the built module in the host emulator.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { separatorSpellings } from '../../envoy/headerSpellings.js';
import {
  earlyHeaderRemoval,
  edgeWrittenHeaders,
  jwtAuthnFilter,
  VERIFIED_USER_GROUP_HEADER,
  VERIFIED_USER_ID_HEADER,
} from '../../envoy/verifiedIdentity.js';
import { DEMO_JWKS_FILE } from '../../examples/identity/demoIdentity.js';
import { DEMO_ISSUER } from '../../examples/identity/jwt.js';
import { SHADOW_MARKER_HEADER } from '../../examples/orders/orderRoutes.js';
import { envoyFilterConfigs, wasmPluginConfig } from './embeddedFilterConfigs.js';
import { startFilter } from './filterModule.js';
import { shippedResources, type HttpRoute, type IstioResource } from './istioResources.js';
import { isRecord } from './jsonValues.js';
import { PROJECT_ROOT } from './manifests.js';

const [destinationRule, ...otherRules] = shippedResources('DestinationRule');
const virtualServices = shippedResources('VirtualService');
const envoyFilters = shippedResources('EnvoyFilter');
const wasmPlugins = shippedResources('WasmPlugin');
/** The EnvoyFilters that load the shadowdiff module (envoyfilter-identity.yaml loads none). */
const wasmEnvoyFilters = envoyFilters.filter((resource) => envoyFilterConfigs(resource).length > 0);

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
const [secondaryRoute, sampledRoute, defaultRoute, ...extraRoutes] = ingress.spec.http;
const ORDERS_HOST = 'orders.shop.svc.cluster.local';
const MARKER_SPELLINGS = separatorSpellings(SHADOW_MARKER_HEADER);
const SECONDARY_HEADER = 'x-shadowdiff-secondary';
const SECONDARY_SPELLINGS = separatorSpellings(SECONDARY_HEADER);
const MOUNTED_MODULE = '/var/local/wasm/shadowdiff.wasm';

function only<T>(items: readonly T[], what: string): T {
  const [item, ...rest] = items;
  if (item === undefined || rest.length > 0) throw new Error(`expected exactly one ${what}, found ${items.length}`);
  return item;
}

describe('routing', () => {
  it('one DestinationRule splits the orders host into v1, v2 and the optional secondary by the version label', () => {
    expect(otherRules).toEqual([]);
    expect(destinationRule?.spec.host).toBe(ORDERS_HOST);
    expect(destinationRule?.spec.subsets.map((subset) => subset.name)).toEqual(['v1', 'v2', 'secondary']);
    expect(subsetLabels('v1')).toEqual({ version: 'v1' });
    expect(subsetLabels('v2')).toEqual({ version: 'v2' });
    // a v1 Deployment of its own label: no route to v1 reaches it
    expect(subsetLabels('secondary')).toEqual({ version: 'v1-secondary' });
  });

  it('at the ingress, requests sampled for the secondary too go to v1 and are mirrored in full to both v2 and the secondary, first', () => {
    const route: HttpRoute | undefined = secondaryRoute;
    expect(route?.name).toBe('sampled-secondary');
    // it requires the sampled header as well, which no client can forge
    expect(route?.match).toEqual([{ headers: { 'x-shadowdiff-sampled': { exact: '1' }, [SECONDARY_HEADER]: { exact: '1' } } }]);
    expect(route?.route).toEqual([{ destination: { host: ORDERS_HOST, subset: 'v1' } }]);
    expect(route?.mirror).toBeUndefined();
    expect(route?.mirrors).toEqual([
      { destination: { host: ORDERS_HOST, subset: 'v2' }, percentage: { value: 100 } },
      { destination: { host: ORDERS_HOST, subset: 'secondary' }, percentage: { value: 100 } },
    ]);
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

  it('at the ingress, every route strips a client-sent shadow marker and the secondary routing header, in every spelling, before v1', () => {
    for (const route of ingress.spec.http)
      expect(route.headers?.request?.remove, route.name).toEqual([...MARKER_SPELLINGS, ...SECONDARY_SPELLINGS]);
  });

  it('every route to v1, at the ingress and inside the mesh, removes the shadow marker in every spelling, and the secondary routing header', () => {
    const primaryRoutes = virtualServices.flatMap((service) =>
      service.spec.http
        .filter((route) => route.route.some(({ destination }) => destination.host === ORDERS_HOST && destination.subset === 'v1'))
        .map((route) => ({ where: `${service.metadata.name}/${route.name ?? '?'}`, removed: route.headers?.request?.remove ?? [] })),
    );
    expect(primaryRoutes.map((route) => route.where)).toEqual([
      'orders-ingress/sampled-secondary',
      'orders-ingress/sampled',
      'orders-ingress/not-sampled',
      'orders/primary',
    ]);
    for (const route of primaryRoutes)
      expect(route.removed, route.where).toEqual(expect.arrayContaining([...MARKER_SPELLINGS, SECONDARY_HEADER]));
    // Envoy folds case: one lower-case name covers X-ShadowDiff-Shadow. `_` is another character to it.
    expect(MARKER_SPELLINGS).toEqual([SHADOW_MARKER_HEADER, 'x-shadowdiff_shadow', 'x_shadowdiff-shadow', 'x_shadowdiff_shadow']);
  });

  it('inside the mesh, where no filter samples, the route removes every control header a caller could send', () => {
    const remove = mesh.spec.http.map((route) => route.headers?.request?.remove);
    expect(remove).toEqual([
      [...MARKER_SPELLINGS, ...['sampled', 'id', 'segment', 'reason', 'secondary'].map((name) => `x-shadowdiff-${name}`)],
    ]);
  });

  it('inside the mesh everything goes to v1, so v2 and the secondary only ever see mirrored copies', () => {
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
  const secondaryWorkload = { app: 'orders', ...subsetLabels(secondaryRoute?.mirrors?.[1]?.destination.subset) };

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

  it('secondary: on the workloads the second mirror targets, by label, inbound only, as the shadow role observing leg secondary', () => {
    const envoyFilter = named(envoyFilters, 'shadowdiff-secondary');
    const wasmPlugin = named(wasmPlugins, 'shadowdiff-secondary');
    expect(secondaryRoute?.mirrors?.[0]?.destination.subset).toBe(sampledRoute?.mirror?.subset);
    expect(envoyFilter.spec.workloadSelector?.labels).toEqual(secondaryWorkload);
    expect(wasmPlugin.spec.selector?.matchLabels).toEqual(secondaryWorkload);
    expect(envoyFilter.spec.configPatches.map((patch) => patch.match.context)).toEqual(['SIDECAR_INBOUND']);
    expect(wasmPlugin.spec.match).toEqual([{ mode: 'SERVER' }]);
    expect(wasmPlugin.spec.pluginConfig).toMatchObject({ role: 'shadow', leg: 'secondary' });
  });

  it('identity: on the same gateway, the jwt_authn and early header removal the shipped bootstrap runs, jwt_authn at the head of the chain', () => {
    const identity = named(envoyFilters, 'shadowdiff-identity');
    expect(identity.metadata.namespace).toBe('istio-system');
    expect(identity.spec.workloadSelector?.labels).toEqual(edgeSelector);
    const [jwt, early, ...rest] = identity.spec.configPatches;
    expect(rest).toEqual([]);
    const hcm = { name: 'envoy.filters.network.http_connection_manager' };
    expect(
      [jwt, early].map((patch) => [
        patch?.applyTo,
        patch?.match.context,
        patch?.patch.operation,
        patch?.match.listener?.filterChain?.filter,
      ]),
    ).toEqual([
      ['HTTP_FILTER', 'GATEWAY', 'INSERT_FIRST', hcm],
      ['NETWORK_FILTER', 'GATEWAY', 'MERGE', hcm],
    ]);
    // The same configs as the bootstrap's, with the demo's public keys inlined.
    const jwtFilter = jwtAuthnFilter({ issuer: DEMO_ISSUER, jwks: { inline: readFileSync(join(PROJECT_ROOT, DEMO_JWKS_FILE), 'utf8') } });
    const typedConfigOf = (value: unknown): unknown => (isRecord(value) ? value['typed_config'] : undefined);
    expect(typedConfigOf(jwt?.patch.value)).toEqual(jwtFilter['typed_config']);
    expect(typedConfigOf(early?.patch.value)).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      early_header_mutation_extensions: [earlyHeaderRemoval(edgeWrittenHeaders('x-shadowdiff-'))],
    });
  });

  it('every shadowdiff EnvoyFilter inserts the Wasm filter just before the router of the HTTP connection manager', () => {
    for (const { spec, metadata } of wasmEnvoyFilters) {
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
    for (const { spec, metadata } of wasmEnvoyFilters) {
      const value = only(spec.configPatches, 'configPatch').patch.value;
      const typedConfig = isRecord(value) ? value['typed_config'] : undefined;
      const vmConfig = isRecord(typedConfig) && isRecord(typedConfig['config']) ? typedConfig['config']['vm_config'] : undefined;
      expect(vmConfig, metadata.name).toEqual({
        vm_id: 'shadowdiff',
        runtime: 'envoy.wasm.runtime.v8',
        code: { local: { filename: MOUNTED_MODULE } },
      });
    }
  });
});

describe('failure behaviour', () => {
  const policies = [...envoyFilters.flatMap(envoyFilterConfigs), ...wasmPlugins.map(wasmPluginConfig)].map(
    (config) => `${config.carrier.split(' (')[0]}: ${config.failurePolicy}`,
  );

  it('the edge fails open (the primary never loses a request); the shadow and the secondary fail closed (an unmarked copy would write)', () => {
    expect(policies).toEqual([
      'EnvoyFilter istio-system/shadowdiff-edge: FAIL_OPEN',
      'EnvoyFilter shop/shadowdiff-secondary: FAIL_CLOSED',
      'EnvoyFilter shop/shadowdiff-shadow: FAIL_CLOSED',
      'WasmPlugin istio-system/shadowdiff-edge: FAIL_OPEN',
      'WasmPlugin shop/shadowdiff-secondary: FAIL_CLOSE',
      'WasmPlugin shop/shadowdiff-shadow: FAIL_CLOSE',
    ]);
  });
});

describe('the filter, as configured by the manifests, meets the routes and the service', () => {
  const [edgeConfig, secondaryConfig, shadowConfig] = envoyFilters.flatMap(envoyFilterConfigs);

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
    // As jwt_authn (envoyfilter-identity.yaml) writes them from an employee's verified token.
    stream.sendRequestHeaders(request({ [VERIFIED_USER_ID_HEADER]: 'emp-01', [VERIFIED_USER_GROUP_HEADER]: 'employee' }), true);
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
    stream.sendRequestHeaders(
      request({ 'x-shadowdiff-sampled': '1', 'x-shadowdiff-id': '0123456789abcdef', 'x-shadowdiff-segment': 'employees' }),
      true,
    );
    expect(stream.requestHeader(SHADOW_MARKER_HEADER)).toBe('1');
  });

  it('once the edge sets secondaryPercent, it writes exactly the headers the sampled-secondary route matches, and strips a forged one otherwise', async () => {
    const configured: unknown = JSON.parse(edgeConfig?.configuration ?? 'null');
    if (!isRecord(configured) || !isRecord(configured['sampling'])) throw new Error('the edge configuration has no sampling');
    expect(configured['sampling']['secondaryPercent']).toBeUndefined();
    const withSecondary = { ...configured, sampling: { ...configured['sampling'], secondaryPercent: 100 } };
    const { plugin } = await startFilter(JSON.stringify(withSecondary), edgeConfig?.rootId ?? '');
    const employee = plugin.newHttpStream();
    employee.sendRequestHeaders(request({ [VERIFIED_USER_ID_HEADER]: 'emp-02', [VERIFIED_USER_GROUP_HEADER]: 'employee' }), true);
    for (const [name, match] of Object.entries(secondaryRoute?.match?.[0]?.headers ?? {}))
      expect(employee.requestHeader(name), name).toBe(match.exact);
    const { plugin: shipped } = await startFilter(edgeConfig?.configuration ?? '', edgeConfig?.rootId ?? '');
    const forged = shipped.newHttpStream();
    forged.sendRequestHeaders(
      request({ [VERIFIED_USER_ID_HEADER]: 'emp-03', [VERIFIED_USER_GROUP_HEADER]: 'employee', [SECONDARY_HEADER]: '1' }),
      true,
    );
    expect(forged.requestHeader('x-shadowdiff-sampled')).toBe('1');
    expect(forged.requestHeader(SECONDARY_HEADER)).toBeUndefined();
  });

  it('the secondary adds the marker the order service honours to every copy and digests it as leg secondary', async () => {
    const { host, plugin } = await startFilter(secondaryConfig?.configuration ?? '', secondaryConfig?.rootId ?? '');
    const stream = plugin.newHttpStream();
    stream.sendRequestHeaders(
      request({ 'x-shadowdiff-sampled': '1', 'x-shadowdiff-id': '0123456789abcdef', 'x-shadowdiff-segment': 'employees' }),
      true,
    );
    expect(stream.requestHeader(SHADOW_MARKER_HEADER)).toBe('1');
    stream.sendResponseHeaders([[':status', '200']], true);
    stream.complete();
    plugin.tick();
    const [call] = host.pendingHttpCalls();
    const batch: unknown = JSON.parse(call?.bodyText() ?? 'null');
    expect(batch).toMatchObject({ source: 'orders-v1-secondary', records: [{ id: '0123456789abcdef', leg: 'secondary' }] });
  });
});

describe('export to the collector', () => {
  it('every role exports through Istio’s outbound cluster for the collector service', () => {
    const collectors = [...envoyFilters.flatMap(envoyFilterConfigs), ...wasmPlugins.map(wasmPluginConfig)].map((config) => {
      const parsed: unknown = JSON.parse(config.configuration);
      return isRecord(parsed) ? parsed['collector'] : undefined;
    });
    expect(collectors).toHaveLength(6);
    for (const collector of collectors) {
      expect(collector).toEqual({
        cluster: 'outbound|8090||shadowdiff-collector.shadowdiff.svc.cluster.local',
        authority: 'shadowdiff-collector.shadowdiff.svc.cluster.local:8090',
      });
    }
  });
});
