// A route's latency distribution per leg, for the web UI's picture: the two legs' sketches
// (latencySketch.ts, ~1,100 buckets of 2%) re-binned into a few log-spaced bins spanning what both
// legs saw, the same edges for both, so the two shapes can be laid over each other. Pure.

import { bucketValueUs, type LatencySketch } from './latencySketch.js';

/** Bins of the picture: enough to show a second mode, few enough to read at a glance. */
export const LATENCY_HISTOGRAM_BINS = 24;

/** Bin i counts the values in (boundsMs[i], boundsMs[i + 1]] (the first bin includes its lower edge); no bins without data. */
export interface LatencyHistogram {
  boundsMs: number[];
  primary: number[];
  shadow: number[];
}

/** Below 1 µs is one sketch bucket (value 0); it is drawn at 1 µs, where a log scale can place it. */
const FLOOR_US = 1;

export function latencyHistogram(primary: LatencySketch, shadow: LatencySketch, bins = LATENCY_HISTOGRAM_BINS): LatencyHistogram {
  let lowUs = Number.POSITIVE_INFINITY;
  let highUs = 0;
  for (const sketch of [primary, shadow]) {
    sketch.counts.forEach((count, index) => {
      if (count === 0) return;
      const us = Math.max(FLOOR_US, bucketValueUs(index));
      lowUs = Math.min(lowUs, us);
      highUs = Math.max(highUs, us);
    });
  }
  if (highUs === 0) return { boundsMs: [], primary: [], shadow: [] };
  // One value seen (or all in one bucket): a range around it, so the bin has a width.
  if (highUs / lowUs < 1.1) {
    lowUs /= 1.05;
    highUs *= 1.05;
  }
  const span = Math.log(highUs / lowUs);
  const boundsMs = Array.from({ length: bins + 1 }, (_, i) => roundMs((lowUs * Math.exp((span * i) / bins)) / 1000));
  const binOf = (us: number): number => Math.min(bins - 1, Math.max(0, Math.floor((bins * Math.log(us / lowUs)) / span)));
  const counts = (sketch: LatencySketch): number[] => {
    const out = new Array<number>(bins).fill(0);
    sketch.counts.forEach((count, index) => {
      if (count > 0) out[binOf(Math.max(FLOOR_US, bucketValueUs(index)))]! += count;
    });
    return out;
  };
  return { boundsMs, primary: counts(primary), shadow: counts(shadow) };
}

/** Three significant digits: edges meant to be read, not to be exact. */
function roundMs(ms: number): number {
  return Number(ms.toPrecision(3));
}
