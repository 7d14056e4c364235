// The UI's addresses: which page a path is, and the filters its query string holds. The collector
// answers the same shell at each page's path (http/uiRoutes.ts); the pages route here, on the
// client, with the History API. Pure.

export type Page =
  | { kind: 'overview' }
  | { kind: 'route'; route: string }
  | { kind: 'pair'; id: string }
  | { kind: 'unknown'; path: string };

/** Time ranges the filter offers, back from now; `all`: no range (everything the collector counted). */
export const TIME_RANGES = ['all', '15m', '1h', '24h', '7d'] as const;
export type TimeRange = (typeof TIME_RANGES)[number];

const RANGE_MS: Record<Exclude<TimeRange, 'all'>, number> = {
  '15m': 15 * 60_000,
  '1h': 60 * 60_000,
  '24h': 24 * 60 * 60_000,
  '7d': 7 * 24 * 60 * 60_000,
};

export const TIME_RANGE_LABELS: Record<TimeRange, string> = {
  all: 'since the collector started',
  '15m': 'last 15 minutes',
  '1h': 'last hour',
  '24h': 'last 24 hours',
  '7d': 'last 7 days',
};

/** What the user chose to look at; each filter absent = not filtered. */
export interface Filters {
  segment?: string;
  range: TimeRange;
  version?: string;
}

export function pageOf(pathname: string): Page {
  if (pathname === '/' || pathname === '') return { kind: 'overview' };
  const route = /^\/routes\/(.+)$/.exec(pathname);
  if (route !== null) return { kind: 'route', route: decodeURIComponent(route[1]!) };
  const pair = /^\/pairs\/([^/]+)$/.exec(pathname);
  if (pair !== null) return { kind: 'pair', id: decodeURIComponent(pair[1]!) };
  return { kind: 'unknown', path: pathname };
}

export function filtersOf(search: string): Filters {
  const query = new URLSearchParams(search);
  const range = query.get('range');
  const filters: Filters = { range: (TIME_RANGES as readonly string[]).includes(range ?? '') ? (range as TimeRange) : 'all' };
  const segment = query.get('segment');
  if (segment !== null && segment !== '') filters.segment = segment;
  const version = query.get('version');
  if (version !== null && version !== '') filters.version = version;
  return filters;
}

/** The query string that keeps the filters across pages ("" when none is set). */
export function filterSearch(filters: Filters): string {
  const query = new URLSearchParams();
  if (filters.version !== undefined) query.set('version', filters.version);
  if (filters.segment !== undefined) query.set('segment', filters.segment);
  if (filters.range !== 'all') query.set('range', filters.range);
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}

export function routeHref(route: string, filters: Filters): string {
  return `/routes/${encodeURIComponent(route)}${filterSearch(filters)}`;
}

export function pairHref(id: string, filters: Filters): string {
  return `/pairs/${encodeURIComponent(id)}${filterSearch(filters)}`;
}

/** The range as the API's fromUnixMs/toUnixMs, or null for `all`. */
export function timeRangeMs(range: TimeRange, nowUnixMs: number): { fromUnixMs: number; toUnixMs: number } | null {
  return range === 'all' ? null : { fromUnixMs: nowUnixMs - RANGE_MS[range], toUnixMs: nowUnixMs };
}
