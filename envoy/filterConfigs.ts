import type { JsonObject } from './json.js';
import { VERIFIED_USER_GROUP_HEADER, VERIFIED_USER_ID_HEADER } from './verifiedIdentity.js';

/** The Envoy cluster the filter's export calls go to; the bootstrap defines it under this name. */
export const COLLECTOR_CLUSTER = 'shadowdiff_collector';

/** The filter's default `headerPrefix` (filter/README.md, Control headers). */
export const DEFAULT_HEADER_PREFIX = 'x-shadowdiff-';

/**
 * Edge role as in filter/README.md: employees always mirrored, beta users at 50%, and a small
 * default share of everyone else. Who is an employee or a beta user, and the sticky key, come from
 * the headers the edge Envoy writes from a verified token (envoy/verifiedIdentity.ts), never from
 * a header a client can send. The filter's default caps apply: 50 mirrored requests per second per
 * segment, 100 in all.
 */
export function defaultEdgeFilterConfig(): JsonObject {
  return {
    role: 'edge',
    collector: { cluster: COLLECTOR_CLUSTER },
    sampling: {
      keyHeader: VERIFIED_USER_ID_HEADER,
      defaultPercent: 5,
      segments: [
        { name: 'employees', header: VERIFIED_USER_GROUP_HEADER, exact: ['employee', 'staff'], percent: 100 },
        { name: 'beta', header: VERIFIED_USER_GROUP_HEADER, exact: ['beta'], percent: 50 },
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

/**
 * The secondary's filter: the shadow role observing leg `secondary`. The secondary runs the primary
 * version, and the marker keeps its copies from writing just as the shadow's are kept.
 */
export function defaultSecondaryFilterConfig(): JsonObject {
  return {
    role: 'shadow',
    leg: 'secondary',
    collector: { cluster: COLLECTOR_CLUSTER },
  };
}
