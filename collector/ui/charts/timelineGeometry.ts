// The divergence-rate-over-time picture: a line through each bucket's rate and the band of its
// 95% interval, on a linear time axis; buckets without pairs break the line. Pure.

import type { TimelineBucket } from '../contract.js';
import type { PlotArea } from './histogramGeometry.js';

export interface TimelineGeometry {
  /** SVG path data of the rate line (one M…L run per stretch of buckets with pairs) */
  line: string;
  /** SVG path data of the interval band (one closed polygon per stretch) */
  band: string;
  points: Array<{ x: number; y: number; bucket: TimelineBucket }>;
  /** the rate at the top of the plot */
  maxRate: number;
  startUnixMs: number;
  endUnixMs: number;
}

const round = (value: number): number => Math.round(value * 10) / 10;

export function timelineGeometry(buckets: readonly TimelineBucket[], area: PlotArea, bucketMs: number): TimelineGeometry {
  const startUnixMs = buckets[0]?.startUnixMs ?? 0;
  const endUnixMs = (buckets.at(-1)?.startUnixMs ?? 0) + bucketMs;
  let maxRate = 0;
  for (const bucket of buckets) maxRate = Math.max(maxRate, bucket.interval?.high ?? bucket.rate ?? 0);
  // Headroom, and a floor so that a flat 0 line does not fill the plot with noise.
  maxRate = Math.max(0.01, maxRate * 1.1);
  const span = Math.max(1, endUnixMs - startUnixMs);
  const x = (unixMs: number): number => round(area.left + ((unixMs + bucketMs / 2 - startUnixMs) / span) * area.width);
  const y = (rate: number): number => round(area.top + area.height - (Math.min(rate, maxRate) / maxRate) * area.height);
  const stretches: TimelineBucket[][] = [];
  let current: TimelineBucket[] = [];
  for (const bucket of buckets) {
    if (bucket.pairs > 0 && bucket.rate !== null) current.push(bucket);
    else if (current.length > 0) {
      stretches.push(current);
      current = [];
    }
  }
  if (current.length > 0) stretches.push(current);
  const line = stretches
    .map((stretch) => stretch.map((b, i) => `${i === 0 ? 'M' : 'L'}${x(b.startUnixMs)},${y(b.rate ?? 0)}`).join(' '))
    .join(' ');
  const band = stretches
    .map((stretch) => {
      const upper = stretch.map((b) => `${x(b.startUnixMs)},${y(b.interval?.high ?? b.rate ?? 0)}`);
      const lower = stretch.map((b) => `${x(b.startUnixMs)},${y(b.interval?.low ?? b.rate ?? 0)}`).reverse();
      return `M${[...upper, ...lower].join(' L')} Z`;
    })
    .join(' ');
  const points = stretches.flat().map((bucket) => ({ x: x(bucket.startUnixMs), y: y(bucket.rate ?? 0), bucket }));
  return { line, band, points, maxRate, startUnixMs, endUnixMs };
}
