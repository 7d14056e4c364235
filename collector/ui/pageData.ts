// What a page loads on each poll: the report (with the filters the address holds), the shadow
// versions and the timeline, each of the last two only when this collector has it. A collector
// that refuses the filters (it lacks them) is asked again without them, and the page says so.

import type { ApiResult, Query } from './api.js';
import type { Experiments, FilteredReport, Timeline } from './contract.js';
import { timeRangeMs, type Filters } from './location.js';

export type Get = <T>(path: string, query: Query, signal?: AbortSignal) => Promise<ApiResult<T>>;

export interface PageData {
  report: ApiResult<FilteredReport>;
  /** why the filters were dropped; null when applied (or none set) */
  refused: string | null;
  /** null: GET /v1/experiments is not available here */
  experiments: Experiments | null;
  /** null: GET /v1/timeline is not available here (or failed: see timelineProblem) */
  timeline: Timeline | null;
  timelineProblem: string | null;
}

export function filterQuery(filters: Filters, nowUnixMs: number): Query {
  const range = timeRangeMs(filters.range, nowUnixMs);
  return { version: filters.version, segment: filters.segment, fromUnixMs: range?.fromUnixMs, toUnixMs: range?.toUnixMs };
}

const hasFilters = (query: Query): boolean => Object.values(query).some((value) => value !== undefined);

export async function loadPageData(
  get: Get,
  filters: Filters,
  reportQuery: Query,
  nowUnixMs: number,
  signal?: AbortSignal,
): Promise<PageData> {
  const filtered = filterQuery(filters, nowUnixMs);
  const route = typeof reportQuery['route'] === 'string' ? reportQuery['route'] : undefined;
  const [first, experiments, timeline] = await Promise.all([
    get<FilteredReport>('/v1/report', { ...reportQuery, ...filtered }, signal),
    get<Experiments>('/v1/experiments', {}, signal),
    get<Timeline>('/v1/timeline', { route, ...filtered }, signal),
  ]);
  let report = first;
  let refused: string | null = null;
  if (first.kind === 'unavailable' && hasFilters(filtered)) {
    refused = first.message;
    report = await get<FilteredReport>('/v1/report', reportQuery, signal);
  }
  return {
    report,
    refused,
    experiments: experiments.kind === 'ok' ? experiments.value : null,
    timeline: timeline.kind === 'ok' ? timeline.value : null,
    timelineProblem: timeline.kind === 'ok' || timeline.kind === 'unavailable' ? null : timeline.message,
  };
}
