// Divergence rate over time: the rate per bucket and the band of its 95% interval.

import type { Timeline } from '../contract.js';
import { interval, percent, utcTime } from '../format.js';
import { timelineGeometry } from './timelineGeometry.js';

const WIDTH = 640;
const HEIGHT = 200;
const AREA = { left: 48, top: 12, width: WIDTH - 64, height: HEIGHT - 52 };
const BUCKET_MS = { minute: 60_000, hour: 3_600_000 } as const;

export function RateTimeline(props: { timeline: Timeline; label: string }) {
  const { timeline } = props;
  if (timeline.buckets.every((b) => b.pairs === 0)) return <p>No pairs in this time range yet.</p>;
  const geometry = timelineGeometry(timeline.buckets, AREA, BUCKET_MS[timeline.resolution]);
  const bottom = AREA.top + AREA.height;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby="timeline-title" class="rate-timeline">
        <title id="timeline-title">
          Divergence rate over time of {props.label}, per {timeline.resolution}, with its 95% interval
        </title>
        <line x1={AREA.left} y1={bottom} x2={AREA.left + AREA.width} y2={bottom} class="axis" />
        <text x={AREA.left - 6} y={AREA.top + 10} class="tick" text-anchor="end">
          {percent(geometry.maxRate)}
        </text>
        <text x={AREA.left - 6} y={bottom} class="tick" text-anchor="end">
          0%
        </text>
        <path d={geometry.band} class="band" />
        <path d={geometry.line} class="line" />
        {geometry.points.map((point) => (
          <circle key={point.bucket.startUnixMs} cx={point.x} cy={point.y} r={3} class="point">
            <title>
              {utcTime(point.bucket.startUnixMs)}: {percent(point.bucket.rate)} of {point.bucket.pairs} pairs (95%:{' '}
              {interval(point.bucket.interval)})
            </title>
          </circle>
        ))}
        <text x={AREA.left} y={bottom + 16} class="tick">
          {utcTime(geometry.startUnixMs)}
        </text>
        <text x={AREA.left + AREA.width} y={bottom + 16} class="tick" text-anchor="end">
          {utcTime(geometry.endUnixMs)}
        </text>
      </svg>
      <figcaption>Divergence rate per {timeline.resolution} (line) and its 95% interval (band).</figcaption>
    </figure>
  );
}
