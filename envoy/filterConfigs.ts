import type { JsonObject } from './json.js';

/** The Envoy cluster the filter's export calls go to; the bootstrap defines it under this name. */
export const COLLECTOR_CLUSTER = 'shadowdiff_collector';

/** The filter's default `headerPrefix` (filter/README.md, Control headers). */
export const DEFAULT_HEADER_PREFIX = 'x-shadowdiff-';

/**
 * Edge role as in filter/README.md: employees always mirrored, beta users at 50%,
 * and a small default share of everyone else.
 */
export function defaultEdgeFilterConfig(): JsonObject {
  return {
    role: 'edge',
    collector: { cluster: COLLECTOR_CLUSTER },
    sampling: {
      keyHeader: 'x-user-id',
      defaultPercent: 5,
      segments: [
        { name: 'employees', header: 'x-user-group', exact: ['employee', 'staff'], percent: 100 },
        { name: 'beta', header: 'x-beta-user', present: true, percent: 50 },
      ],
    },
  };
}

/** Shadow role: tags mirrored copies and digests the shadow leg. */
export function defaultShadowFilterConfig(): JsonObject {
  return {
    role: 'shadow',
    collector: { cluster: COLLECTOR_CLUSTER },
  };
}
