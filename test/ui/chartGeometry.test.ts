import { describe, expect, it } from 'vitest';
import { histogramGeometry } from '../../collector/ui/charts/histogramGeometry.js';
import { timelineGeometry } from '../../collector/ui/charts/timelineGeometry.js';
import type { TimelineBucket } from '../../collector/ui/contract.js';

const AREA = { left: 0, top: 0, width: 100, height: 50 };

describe('the latency histogram shapes', () => {
  it('draws both legs per bin as shares of their own pairs, the largest share at full height', () => {
    const geometry = histogramGeometry({ boundsMs: [1, 2, 4, 8], primary: [1, 3, 0], shadow: [0, 1, 1] }, AREA, 2);
    expect(geometry.maxShare).toBe(0.75);
    const primary = geometry.bars.filter((bar) => bar.leg === 'primary');
    expect(primary.map((bar) => bar.share)).toEqual([0.25, 0.75, 0]);
    expect(primary[1]).toMatchObject({ height: 50, y: 0 });
    const shadow = geometry.bars.filter((bar) => bar.leg === 'shadow');
    expect(shadow.map((bar) => bar.share)).toEqual([0, 0.5, 0.5]);
    // Side by side in each bin's third of the width.
    expect(primary[1]!.x).toBeCloseTo(100 / 3);
    expect(shadow[1]!.x).toBeCloseTo(100 / 3 + 100 / 6);
    expect(geometry.ticks.map((tick) => tick.ms)).toEqual([1, 4, 8]);
  });

  it('draws nothing without data', () => {
    expect(histogramGeometry({ boundsMs: [], primary: [], shadow: [] }, AREA)).toEqual({ bars: [], ticks: [], maxShare: 0 });
  });
});

const bucket = (minute: number, pairs: number, rate: number | null, high?: number): TimelineBucket => ({
  startUnixMs: minute * 60_000,
  pairs,
  diverged: 0,
  rate,
  interval: high === undefined || rate === null ? null : { low: rate / 2, high },
  shadowMissing: 0,
  coverage: null,
  latencyMs: { primary: null, shadow: null },
});

describe('the divergence-over-time shapes', () => {
  it('breaks the line and the band where a bucket has no pairs', () => {
    const geometry = timelineGeometry(
      [bucket(0, 10, 0.1, 0.4), bucket(1, 0, null), bucket(2, 5, 0.2, 0.5), bucket(3, 5, 0.2, 0.5)],
      AREA,
      60_000,
    );
    expect(geometry.maxRate).toBeCloseTo(0.55);
    expect(geometry.line.match(/M/g)).toHaveLength(2);
    expect(geometry.band.match(/Z/g)).toHaveLength(2);
    expect(geometry.points.map((point) => point.x)).toEqual([12.5, 62.5, 87.5]);
    // A rate of 0.2 of 0.55 at the top: 0.2 / 0.55 of the height up from the bottom.
    expect(geometry.points[1]!.y).toBeCloseTo(50 - (0.2 / 0.55) * 50, 0);
    expect([geometry.startUnixMs, geometry.endUnixMs]).toEqual([0, 240_000]);
  });

  it('keeps a floor so that a flat zero is drawn at the bottom', () => {
    const geometry = timelineGeometry([bucket(0, 10, 0, 0)], AREA, 60_000);
    expect(geometry.maxRate).toBe(0.01);
    expect(geometry.points[0]!.y).toBe(50);
  });
});
