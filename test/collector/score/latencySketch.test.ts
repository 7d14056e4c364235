import { describe, expect, it } from 'vitest';
import { LatencySketch } from '../../../collector/score/latencySketch.js';

describe('LatencySketch', () => {
  it('is empty until fed', () => {
    expect(new LatencySketch().quantile(0.5)).toBeNull();
  });

  it('answers quantiles within 1% relative error', () => {
    const sketch = new LatencySketch();
    for (let us = 1; us <= 100_000; us++) sketch.add(us);
    for (const [q, exact] of [
      [0.5, 50_000],
      [0.95, 95_000],
      [0.99, 99_000],
    ] as const) {
      const estimate = sketch.quantile(q) ?? 0;
      expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.01);
    }
  });

  it('keeps zero and huge values without overflowing', () => {
    const sketch = new LatencySketch();
    sketch.add(0);
    sketch.add(0);
    sketch.add(10 ** 12);
    expect(sketch.quantile(0.5)).toBe(0);
    expect(sketch.quantile(1)).toBeGreaterThan(4e9);
    expect(sketch.total).toBe(3);
  });

  it('round-trips through its snapshot of non-empty buckets, skipping buckets it does not have', () => {
    const sketch = new LatencySketch();
    for (const us of [0, 1, 250, 250, 9_000]) sketch.add(us);
    const buckets = sketch.snapshot();
    expect(buckets).toHaveLength(4);
    expect(buckets.every(([, count]) => count > 0)).toBe(true);
    const restored = LatencySketch.fromSnapshot([...buckets, [-1, 7], [1_000_000, 7]]);
    expect(restored.total).toBe(5);
    expect(restored.snapshot()).toEqual(buckets);
    for (const q of [0, 0.2, 0.5, 1]) expect(restored.quantile(q)).toBe(sketch.quantile(q));
  });
});
