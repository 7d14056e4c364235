// Latency distribution per leg: bars of the share of each leg's pairs per latency bin.

import { ms, percent } from '../format.js';
import { histogramGeometry, type LatencyHistogramData } from './histogramGeometry.js';

const WIDTH = 640;
const HEIGHT = 220;
const AREA = { left: 48, top: 12, width: WIDTH - 64, height: HEIGHT - 56 };

export function LatencyHistogram(props: { data: LatencyHistogramData; route: string }) {
  const geometry = histogramGeometry(props.data, AREA);
  if (geometry.bars.length === 0) return <p>No latency measured yet.</p>;
  const bottom = AREA.top + AREA.height;
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby="latency-title"
        class="latency-histogram"
        preserveAspectRatio="xMinYMin meet"
      >
        <title id="latency-title">Latency distribution of {props.route}, primary and shadow, share of pairs per latency bin</title>
        <line x1={AREA.left} y1={bottom} x2={AREA.left + AREA.width} y2={bottom} class="axis" />
        <text x={AREA.left - 6} y={AREA.top + 10} class="tick" text-anchor="end">
          {percent(geometry.maxShare)}
        </text>
        <text x={AREA.left - 6} y={bottom} class="tick" text-anchor="end">
          0
        </text>
        {geometry.bars.map((bar) => (
          <rect
            key={`${bar.leg}-${bar.bin}`}
            x={bar.x}
            y={bar.y}
            width={Math.max(0, bar.width - 1)}
            height={bar.height}
            class={`bar ${bar.leg}`}
          >
            <title>
              {bar.leg}: {bar.count} pairs ({percent(bar.share)}) between {ms(props.data.boundsMs[bar.bin])} and{' '}
              {ms(props.data.boundsMs[bar.bin + 1])}
            </title>
          </rect>
        ))}
        {geometry.ticks.map((tick) => (
          <text key={tick.x} x={tick.x} y={bottom + 16} class="tick" text-anchor="middle">
            {ms(tick.ms)}
          </text>
        ))}
        <text x={AREA.left + AREA.width / 2} y={HEIGHT - 8} class="axis-label" text-anchor="middle">
          latency (log scale)
        </text>
      </svg>
      <figcaption>
        <span class="swatch primary" aria-hidden="true" /> primary <span class="swatch shadow" aria-hidden="true" /> shadow — share of each
        leg's pairs per latency bin.
      </figcaption>
    </figure>
  );
}
