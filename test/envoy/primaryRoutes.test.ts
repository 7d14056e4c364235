// Every route of every committed bootstrap that reaches the primary removes the shadow marker in
// each spelling a primary may read as it, and the edge verifies identity before the edge filter
// reads it. Read from the committed files, as Envoy reads them.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EDGE_LISTENER, PRIMARY_CLUSTER } from '../../envoy/bootstrap.js';
import { DEFAULT_HEADER_PREFIX } from '../../envoy/filterConfigs.js';
import { separatorSpellings } from '../../envoy/headerSpellings.js';
import { SHIPPED_CONFIGS } from '../../envoy/shippedConfigs.js';
import { CLAIM_HEADERS } from '../../envoy/verifiedIdentity.js';
import { PROJECT_ROOT } from '../support/paths.js';

const MARKER_SPELLINGS = separatorSpellings(`${DEFAULT_HEADER_PREFIX}shadow`);

interface Route {
  name?: string;
  route?: { cluster?: string; weighted_clusters?: { clusters: Array<{ name: string }> } };
  request_headers_to_remove?: string[];
}
interface RouteConfig {
  request_headers_to_remove?: string[];
  virtual_hosts: Array<{ name: string; request_headers_to_remove?: string[]; routes: Route[] }>;
}
interface HttpConnectionManager {
  route_config: RouteConfig;
  http_filters: Array<{ name: string; typed_config: Record<string, unknown> }>;
}
interface Bootstrap {
  static_resources: { listeners: Array<{ name: string; filter_chains: Array<{ filters: Array<{ typed_config: HttpConnectionManager }> }> }> };
}

function clustersOf(route: Route): string[] {
  if (route.route?.cluster !== undefined) return [route.route.cluster];
  return route.route?.weighted_clusters?.clusters.map((cluster) => cluster.name) ?? [];
}

/** Each route to the primary, with the headers removed on it at route, virtual host and route configuration level. */
function primaryRoutes(bootstrap: Bootstrap): Array<{ where: string; removed: string[] }> {
  return bootstrap.static_resources.listeners.flatMap((listener) =>
    listener.filter_chains.flatMap((chain) =>
      chain.filters.flatMap(({ typed_config: hcm }) =>
        hcm.route_config.virtual_hosts.flatMap((host) =>
          host.routes
            .filter((route) => clustersOf(route).includes(PRIMARY_CLUSTER))
            .map((route) => ({
              where: `${listener.name}/${host.name}/${route.name ?? '?'}`,
              removed: [...(hcm.route_config.request_headers_to_remove ?? []), ...(host.request_headers_to_remove ?? []), ...(route.request_headers_to_remove ?? [])],
            })),
        ),
      ),
    ),
  );
}

describe.each(SHIPPED_CONFIGS.map((config) => [config.file, config] as const))('%s', (file, config) => {
  const load = async (): Promise<Bootstrap> => parse(await readFile(join(PROJECT_ROOT, file), 'utf8')) as Bootstrap;

  it('removes the shadow marker, in every spelling, on every route to the primary', async () => {
    const routes = primaryRoutes(await load());
    expect(routes.map((route) => route.where)).toEqual([`${EDGE_LISTENER}/edge/sampled`, `${EDGE_LISTENER}/edge/not_sampled`]);
    for (const route of routes) expect(route.removed, route.where).toEqual(expect.arrayContaining(MARKER_SPELLINGS));
    expect(MARKER_SPELLINGS).toEqual(['x-shadowdiff-shadow', 'x-shadowdiff_shadow', 'x_shadowdiff-shadow', 'x_shadowdiff_shadow']);
  });

  it('verifies the bearer token, and removes client copies of its claim headers, before the edge filter reads them', async () => {
    const edge = (await load()).static_resources.listeners.find((listener) => listener.name === EDGE_LISTENER)!;
    const filters = edge.filter_chains[0]!.filters[0]!.typed_config.http_filters;
    const expected = ['envoy.filters.http.header_mutation', 'envoy.filters.http.jwt_authn', ...(config.options.wasm === false ? [] : ['envoy.filters.http.wasm']), 'envoy.filters.http.router'];
    expect(filters.map((filter) => filter.name)).toEqual(expected);
    expect(filters[0]!.typed_config['mutations']).toEqual({ request_mutations: CLAIM_HEADERS.map(([header]) => ({ remove: header })) });
  });
});
