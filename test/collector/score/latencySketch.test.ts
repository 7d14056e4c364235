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
});
