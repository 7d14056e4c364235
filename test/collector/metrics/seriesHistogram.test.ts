// The histogram whose series are bound once answers the registry as prom-client's Histogram does:
// the same /metrics text and JSON after the same observations, removals and resets.
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SeriesHistogram } from '../../../collector/metrics/seriesHistogram.js';

const BOUNDS = [0.001, 0.01, 0.5, 2];
const LABELS = [
  { route: 'GET /a', leg: 'primary' },
  { route: 'GET /a', leg: 'shadow' },
  { route: 'POST /b "q"\\', leg: 'primary' },
] as const;

type Step = { observe: number; value: number } | { remove: number } | { reset: true };

async function both(steps: readonly Step[]): Promise<{ ours: [string, unknown]; theirs: [string, unknown] }> {
  const ourRegistry = new Registry();
  const theirRegistry = new Registry();
  const ours = new SeriesHistogram('x_seconds', 'help "text"', ['route', 'leg'], BOUNDS, ourRegistry);
  const theirs = new Histogram({
    name: 'x_seconds',
    help: 'help "text"',
    labelNames: ['route', 'leg'],
    buckets: BOUNDS,
    registers: [theirRegistry],
  });
  // Bound once, before any step, as the collector binds each route's series.
  const ourChildren = LABELS.map((labels) => ours.child(labels));
  const theirChildren = LABELS.map((labels) => theirs.labels(labels));
  for (const step of steps) {
    if ('observe' in step) {
      ourChildren[step.observe]!.observe(step.value);
      theirChildren[step.observe]!.observe(step.value);
    } else if ('remove' in step) {
      ours.remove(LABELS[step.remove]!);
      theirs.remove(LABELS[step.remove]!);
    } else {
      ours.reset();
      theirs.reset();
    }
  }
  return {
    ours: [await ourRegistry.metrics(), await ourRegistry.getMetricsAsJSON()],
    theirs: [await theirRegistry.metrics(), await theirRegistry.getMetricsAsJSON()],
  };
}

describe('SeriesHistogram', () => {
  it('gives the text and JSON of prom-client’s Histogram after the same observations, removals and resets', async () => {
    const step: fc.Arbitrary<Step> = fc.oneof(
      {
        weight: 8,
        arbitrary: fc.record({
          observe: fc.nat(2),
          value: fc.oneof(fc.constantFrom(0, 0.001, 0.5, 2, 2.5, -1), fc.double({ min: -1, max: 5, noNaN: true })),
        }),
      },
      { weight: 1, arbitrary: fc.record({ remove: fc.nat(2) }) },
      { weight: 1, arbitrary: fc.constant({ reset: true as const }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const { ours, theirs } = await both(steps);
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 300 },
    );
    // Not vacuous: a series observed, removed and observed again comes back after the others.
    const { ours } = await both([{ observe: 0, value: 0.2 }, { observe: 1, value: 3 }, { remove: 0 }, { observe: 0, value: 0.0005 }]);
    expect(ours[0]).toContain('x_seconds_bucket{le="0.5",route="GET /a",leg="shadow"} 0');
    const text = ours[0];
    expect(text.indexOf('x_seconds_bucket{le="0.001",route="GET /a",leg="primary"} 1')).toBeGreaterThan(
      text.indexOf('x_seconds_count{route="GET /a",leg="shadow"} 1'),
    );
    expect(text).toContain('x_seconds_count{route="GET /a",leg="shadow"} 1');
  });

  it('refuses what prom-client refuses: a value that is not a finite number, a label it was not made with', () => {
    const histogram = new SeriesHistogram('y_seconds', 'y', ['route'], BOUNDS, new Registry());
    expect(() => histogram.child({ route: 'r' }).observe(Number.NaN)).toThrow(TypeError);
    expect(() => histogram.child({ route: 'r', leg: 'x' } as never)).toThrow(/not included in initial labelset/);
  });
});
