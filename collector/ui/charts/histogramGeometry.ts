// The latency histogram's shapes: per bin, one bar per leg side by side, heights as the share of
// that leg's pairs (the legs can be compared whatever their counts), on a log time axis. Pure.

import type { RouteReport } from '../../report/reportSchema.js';

export type LatencyHistogramData = RouteReport['latencyHistogram'];

export interface Bar {
  leg: 'primary' | 'shadow';
  bin: number;
  x: number;
  y: number;
  width: number;
  height: number;
  share: number;
  count: number;
}

export interface HistogramGeometry {
  bars: Bar[];
  /** bin edges with their x, for the axis labels */
  ticks: Array<{ x: number; ms: number }>;
  /** the largest share drawn (full height) */
  maxShare: number;
}

export interface PlotArea {
  left: number;
  top: number;
  width: number;
  height: number;
}

export function histogramGeometry(data: LatencyHistogramData, area: PlotArea, tickEvery = 4): HistogramGeometry {
  const bins = data.primary.length;
  if (bins === 0) return { bars: [], ticks: [], maxShare: 0 };
  const total = (counts: readonly number[]): number => counts.reduce((a, b) => a + b, 0);
  const totals = { primary: total(data.primary), shadow: total(data.shadow) };
  const share = (leg: 'primary' | 'shadow', i: number): number => (totals[leg] === 0 ? 0 : (data[leg][i] ?? 0) / totals[leg]);
  let maxShare = 0;
  for (let i = 0; i < bins; i++) maxShare = Math.max(maxShare, share('primary', i), share('shadow', i));
  // Equal widths: the edges are log-spaced, so the axis is logarithmic.
  const binWidth = area.width / bins;
  const bars: Bar[] = [];
  for (let i = 0; i < bins; i++) {
    (['primary', 'shadow'] as const).forEach((leg, side) => {
      const s = share(leg, i);
      const height = maxShare === 0 ? 0 : (s / maxShare) * area.height;
      bars.push({
        leg,
        bin: i,
        x: area.left + i * binWidth + side * (binWidth / 2),
        y: area.top + area.height - height,
        width: binWidth / 2,
        height,
        share: s,
        count: data[leg][i] ?? 0,
      });
    });
  }
  const ticks = data.boundsMs.flatMap((edge, i) => (i % tickEvery === 0 || i === bins ? [{ x: area.left + i * binWidth, ms: edge }] : []));
  return { bars, ticks, maxShare };
}
