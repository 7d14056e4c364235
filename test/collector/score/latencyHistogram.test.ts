import { describe, expect, it } from 'vitest';
import { LATENCY_HISTOGRAM_BINS, latencyHistogram } from '../../../collector/score/latencyHistogram.js';
import { LatencySketch } from '../../../collector/score/latencySketch.js';

function sketchOf(valuesUs: readonly number[]): LatencySketch {
  const sketch = new LatencySketch();
  for (const us of valuesUs) sketch.add(us);
  return sketch;
}

describe('latencyHistogram', () => {
  it('has no bins before any latency', () => {
    expect(latencyHistogram(new LatencySketch(), new LatencySketch())).toEqual({ boundsMs: [], primary: [], shadow: [] });
  });

  it('counts every value of both legs once, on edges spanning both legs', () => {
    const primary = sketchOf([1_000, 1_100, 1_200, 2_000, 50_000]);
    const shadow = sketchOf([3_000, 3_000, 3_100, 400_000]);
    const histogram = latencyHistogram(primary, shadow);
    expect(histogram.boundsMs).toHaveLength(LATENCY_HISTOGRAM_BINS + 1);
    expect(histogram.primary).toHaveLength(LATENCY_HISTOGRAM_BINS);
    expect(histogram.shadow).toHaveLength(LATENCY_HISTOGRAM_BINS);
    expect(histogram.primary.reduce((a, b) => a + b)).toBe(5);
    expect(histogram.shadow.reduce((a, b) => a + b)).toBe(4);
    // Within the sketch's 1% of the smallest and largest values.
    expect(histogram.boundsMs[0]).toBeCloseTo(1, 1);
    expect(histogram.boundsMs.at(-1)! / 400).toBeCloseTo(1, 1);
    // Log-spaced: every edge the same ratio above the one before it.
    const ratios = histogram.boundsMs.slice(1).map((edge, i) => edge / histogram.boundsMs[i]!);
    for (const ratio of ratios) expect(ratio).toBeCloseTo(ratios[0]!, 1);
    // 1.0, 1.1 and 1.2 ms: within the first bin (400^(1/24) ≈ 1.28 wide).
    expect(histogram.primary[0]).toBe(3);
    expect(histogram.shadow.at(-1)).toBe(1);
  });

  it('puts each value in the bin whose edges hold it', () => {
    const histogram = latencyHistogram(sketchOf([1_000, 10_000, 100_000]), sketchOf([10_000, 10_000]), 4);
    const binOf = (ms: number): number => histogram.boundsMs.findIndex((edge, i) => i > 0 && ms <= edge) - 1;
    expect(histogram.primary[binOf(1)]).toBeGreaterThan(0);
    expect(histogram.shadow[binOf(10)]).toBe(2);
    expect(histogram.shadow.reduce((a, b) => a + b)).toBe(2);
  });

  it('gives one latency a range around it, and places sub-microsecond values at 1 µs', () => {
    const one = latencyHistogram(sketchOf([5_000]), new LatencySketch());
    expect(one.boundsMs[0]).toBeLessThan(5);
    expect(one.boundsMs.at(-1)).toBeGreaterThan(5);
    expect(one.primary.reduce((a, b) => a + b)).toBe(1);
    expect(one.shadow.every((count) => count === 0)).toBe(true);
    const tiny = latencyHistogram(sketchOf([0, 0.5]), sketchOf([2_000]));
    expect(tiny.boundsMs[0]).toBeCloseTo(0.001, 4);
    expect(tiny.primary[0]).toBe(2);
  });
});
