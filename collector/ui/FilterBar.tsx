// The filters: shadow version (GET /v1/experiments), segment (the report's segments) and time
// range (the time buckets behind GET /v1/timeline); each offered only where the collector has it.

import type { Experiments } from './contract.js';
import { NotAvailable } from './common.js';
import { TIME_RANGE_LABELS, TIME_RANGES, type Filters, type TimeRange } from './location.js';
import { useSession } from './session.js';

export interface FilterOptions {
  /** null: this collector has no versions endpoint */
  experiments: Experiments | null;
  /** null: this collector's report lists no segments */
  segments: Array<{ segment: string; pairs: number }> | null;
  /** false: this collector has no time buckets */
  timeRanges: boolean;
  /** the collector refused the filters in the address (it does not have them) */
  refused: string | null;
}

export function FilterBar(props: { options: FilterOptions }) {
  const { filters, setFilters } = useSession();
  const { experiments, segments, timeRanges, refused } = props.options;
  const set = (change: Partial<Filters>): void => {
    const next: Filters = { ...filters, ...change };
    for (const key of ['segment', 'version'] as const) if (next[key] === '') delete next[key];
    setFilters(next);
  };
  return (
    <form class="filters" aria-label="Filters" onSubmit={(event) => event.preventDefault()}>
      {experiments === null ? (
        <NotAvailable what="Shadow versions" />
      ) : (
        <label>
          Shadow version
          <select value={filters.version ?? ''} onChange={(e) => set({ version: e.currentTarget.value })}>
            <option value="">current ({experiments.current})</option>
            {experiments.versions.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version} ({v.pairs} pairs{v.current ? ', current' : ''})
              </option>
            ))}
          </select>
        </label>
      )}
      {segments === null ? (
        <NotAvailable what="Segment filter" />
      ) : (
        <label>
          Segment
          <select value={filters.segment ?? ''} onChange={(e) => set({ segment: e.currentTarget.value })}>
            <option value="">all segments</option>
            {segments.map((s) => (
              <option key={s.segment} value={s.segment}>
                {s.segment} ({s.pairs} pairs)
              </option>
            ))}
          </select>
        </label>
      )}
      {timeRanges ? (
        <label>
          Time range
          <select value={filters.range} onChange={(e) => set({ range: e.currentTarget.value as TimeRange })}>
            {TIME_RANGES.map((range) => (
              <option key={range} value={range}>
                {TIME_RANGE_LABELS[range]}
              </option>
            ))}
          </select>
        </label>
      ) : (
        <NotAvailable what="Time range filter" />
      )}
      {refused === null ? null : (
        <p class="problem" role="alert">
          The filters in the address were not applied: {refused}. Showing everything.
        </p>
      )}
    </form>
  );
}
