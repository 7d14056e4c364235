// Every route of every committed bootstrap that reaches the primary removes the shadow marker in
// each spelling a primary may read as it (and the secondary routing header), the edge verifies
// identity before the edge filter reads it, and a bootstrap with a secondary mirrors the requests
// routed to it to both the shadow and the secondary. Read from the committed files, as Envoy reads them.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  EDGE_LISTENER,
  PRIMARY_CLUSTER,
  SECONDARY_VIA_INTERNAL_LISTENER_CLUSTER,
  SHADOW_VIA_INTERNAL_LISTENER_CLUSTER,
} from '../../envoy/bootstrap.js';
import { DEFAULT_HEADER_PREFIX } from '../../envoy/filterConfigs.js';
import { separatorSpellings } from '../../envoy/headerSpellings.js';
import { SHIPPED_CONFIGS } from '../../envoy/shippedConfigs.js';
import { CLAIM_HEADERS } from '../../envoy/verifiedIdentity.js';
import { PROJECT_ROOT } from '../../devkit/paths.js';

const MARKER_SPELLINGS = separatorSpellings(`${DEFAULT_HEADER_PREFIX}shadow`);
const SECONDARY_SPELLINGS = separatorSpellings(`${DEFAULT_HEADER_PREFIX}secondary`);

interface Route {
  name?: string;
  match?: { headers?: Array<{ name: string; string_match?: { exact?: string } }> };
  route?: {
    cluster?: string;
    weighted_clusters?: { clusters: Array<{ name: string }> };
    request_mirror_policies?: Array<{ cluster: string; runtime_fraction?: unknown }>;
  };
  request_headers_to_remove?: string[];
}
interface RouteConfig {
  request_headers_to_remove?: string[];
  virtual_hosts: Array<{ name: string; request_headers_to_remove?: string[]; routes: Route[] }>;
}
interface HttpConnectionManager {
  route_config: RouteConfig;
  early_header_mutation_extensions?: unknown[];
  http_filters: Array<{ name: string; typed_config: Record<string, unknown> }>;
}
interface Bootstrap {
  static_resources: {
    listeners: Array<{ name: string; filter_chains: Array<{ filters: Array<{ typed_config: HttpConnectionManager }> }> }>;
  };
}

function clustersOf(route: Route): string[] {
  if (route.route?.cluster !== undefined) return [route.route.cluster];
  return route.route?.weighted_clusters?.clusters.map((cluster) => cluster.name) ?? [];
}

/** Each route to the primary, with the headers removed on it at route, virtual host and route configuration level. */
function primaryRoutes(bootstrap: Bootstrap): Array<{ where: string; route: Route; removed: string[] }> {
  return bootstrap.static_resources.listeners.flatMap((listener) =>
    listener.filter_chains.flatMap((chain) =>
      chain.filters.flatMap(({ typed_config: hcm }) =>
        hcm.route_config.virtual_hosts.flatMap((host) =>
          host.routes
            .filter((route) => clustersOf(route).includes(PRIMARY_CLUSTER))
            .map((route) => ({
              where: `${listener.name}/${host.name}/${route.name ?? '?'}`,
              route,
              removed: [
                ...(hcm.route_config.request_headers_to_remove ?? []),
                ...(host.request_headers_to_remove ?? []),
                ...(route.request_headers_to_remove ?? []),
              ],
            })),
        ),
      ),
    ),
  );
}

async function loadBootstrap(file: string): Promise<Bootstrap> {
  return parse(await readFile(join(PROJECT_ROOT, file), 'utf8')) as Bootstrap;
}

describe.each(SHIPPED_CONFIGS.map((config) => [config.file, config.options.secondary !== undefined] as const))(
  '%s',
  (file, withSecondary) => {
    it('removes the shadow marker and the secondary routing header, in every spelling, on every route to the primary', async () => {
      const routes = primaryRoutes(await loadBootstrap(file));
      expect(routes.map((route) => route.where)).toEqual([
        ...(withSecondary ? [`${EDGE_LISTENER}/edge/sampled_secondary`] : []),
        `${EDGE_LISTENER}/edge/sampled`,
        `${EDGE_LISTENER}/edge/not_sampled`,
      ]);
      for (const route of routes)
        expect(route.removed, route.where).toEqual(expect.arrayContaining([...MARKER_SPELLINGS, ...SECONDARY_SPELLINGS]));
      expect(MARKER_SPELLINGS).toEqual(['x-shadowdiff-shadow', 'x-shadowdiff_shadow', 'x_shadowdiff-shadow', 'x_shadowdiff_shadow']);
      expect(SECONDARY_SPELLINGS).toHaveLength(4);
    });

    it('mirrors every sampled request to the shadow, and those routed to the secondary to the secondary as well', async () => {
      const routes = new Map(primaryRoutes(await loadBootstrap(file)).map(({ where, route }) => [where.split('/').at(-1), route]));
      const mirrors = (name: string): string[] | undefined =>
        routes.get(name)?.route?.request_mirror_policies?.map((policy) => policy.cluster);
      const matched = (name: string): string[] | undefined =>
        routes.get(name)?.match?.headers?.map((header) => `${header.name}: ${header.string_match?.exact ?? '?'}`);
      expect(mirrors('sampled')).toEqual([SHADOW_VIA_INTERNAL_LISTENER_CLUSTER]);
      expect(matched('sampled')).toEqual([`${DEFAULT_HEADER_PREFIX}sampled: 1`]);
      expect(mirrors('not_sampled')).toBeUndefined();
      if (withSecondary) {
        // first, so that it wins over `sampled`; it also requires sampled, which no client can forge (the edge strips and rewrites it)
        expect(mirrors('sampled_secondary')).toEqual([SHADOW_VIA_INTERNAL_LISTENER_CLUSTER, SECONDARY_VIA_INTERNAL_LISTENER_CLUSTER]);
        expect(matched('sampled_secondary')).toEqual([`${DEFAULT_HEADER_PREFIX}sampled: 1`, `${DEFAULT_HEADER_PREFIX}secondary: 1`]);
      } else {
        expect(routes.has('sampled_secondary')).toBe(false);
      }
    });
  },
);

it('ships a secondary in envoy/envoy.yaml (off until the edge sets sampling.secondaryPercent), not in the compose bootstrap', () => {
  expect(SHIPPED_CONFIGS.filter((config) => config.options.secondary !== undefined).map((config) => config.file)).toEqual([
    'envoy/envoy.yaml',
    'envoy/envoy-nowasm.yaml',
  ]);
});

describe.each(SHIPPED_CONFIGS.filter((config) => config.options.wasm !== false).map((config) => [config.file] as const))(
  '%s, whose edge runs the filter',
  (file) => {
    it("removes client copies of the claim headers and of the mirroring route's header before routing, and verifies the token before the edge filter runs", async () => {
      const edge = (await loadBootstrap(file)).static_resources.listeners.find((listener) => listener.name === EDGE_LISTENER)!;
      const hcm = edge.filter_chains[0]!.filters[0]!.typed_config;
      expect(hcm.http_filters.map((filter) => filter.name)).toEqual([
        'envoy.filters.http.jwt_authn',
        'envoy.filters.http.wasm',
        'envoy.filters.http.router',
      ]);
      expect(hcm.early_header_mutation_extensions).toEqual([
        {
          name: 'envoy.http.early_header_mutation.header_mutation',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation',
            mutations: [...CLAIM_HEADERS.map(([header]) => header), `${DEFAULT_HEADER_PREFIX}sampled`].map((header) => ({
              remove: header,
            })),
          },
        },
      ]);
    });
  },
);
