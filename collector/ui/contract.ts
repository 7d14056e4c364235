// The answers of the endpoints issue 16's backend adds (notes: the UI/API contract): GET
// /v1/experiments, GET /v1/timeline, and the report's experiment, segments and filter. This
// collector may not have them yet; the pages check for each before they use it. Once the
// backend's TypeBox schemas exist, these are their Static<> types.

import type { Report, WilsonInterval } from '../report/reportSchema.js';

export interface ExperimentVersion {
  version: string;
  source: 'header' | 'label' | 'default';
  startedUnixMs: number;
  lastSeenUnixMs: number;
  pairs: number;
  diverged: number;
  current: boolean;
}

export interface Experiments {
  current: string;
  versions: ExperimentVersion[];
}

export interface TimelineBucket {
  startUnixMs: number;
  pairs: number;
  diverged: number;
  rate: number | null;
  interval: WilsonInterval | null;
  shadowMissing: number;
  coverage: number | null;
  latencyMs: { primary: { p50: number; p99: number } | null; shadow: { p50: number; p99: number } | null };
}

export interface Timeline {
  version: string;
  route: string | null;
  resolution: 'minute' | 'hour';
  buckets: TimelineBucket[];
}

/** The report as the backend extends it; each addition absent from a collector without it. */
export interface FilteredReport extends Report {
  experiment?: { version: string; source: string; startedUnixMs: number; current: boolean };
  segments?: Array<{ segment: string; pairs: number }>;
  filter?: { segment?: string; fieldsFiltered?: boolean; timeRange?: { fromUnixMs: number; toUnixMs: number; resolution: string } };
}
