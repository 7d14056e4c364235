import { describe, expect, it } from 'vitest';
import type { Report, RouteReport } from '../../collector/types.js';
import { gateInterval, rolloutVerdict } from '../../collector/ui/verdict.js';

// The verdict reads only these parts of a report.
const route = (name: string, high: number | null, gateHigh?: number): RouteReport =>
  ({
    route: name,
    divergenceCi95: high === null ? null : { low: 0, high },
    ...(gateHigh === undefined ? {} : { gate: { diverged: 0, noiseOnly: 0, rate: 0, ci95: { low: 0, high: gateHigh } } }),
  }) as RouteReport;
const report = (routes: RouteReport[], maxUpperBound = 0.01): Report => ({ rolloutGate: { maxUpperBound }, routes }) as unknown as Report;

describe('the rollout verdict', () => {
  it('has no data before any route has an interval', () => {
    expect(rolloutVerdict(report([]))).toEqual({ kind: 'no_data', threshold: 0.01 });
    expect(rolloutVerdict(report([route('GET /a', null)])).kind).toBe('no_data');
  });

  it('is closed by the worst upper bound above the threshold, counting every route above it', () => {
    const verdict = rolloutVerdict(report([route('GET /a', 0.2), route('GET /b', 0.5), route('GET /c', 0.005)]));
    expect(verdict).toMatchObject({ kind: 'closed', upperBound: 0.5, routesOver: 2, threshold: 0.01 });
    expect(verdict.kind !== 'no_data' && verdict.worst.route).toBe('GET /b');
  });

  it('is open while every upper bound is within the threshold, equal included', () => {
    expect(rolloutVerdict(report([route('GET /a', 0.01), route('GET /b', 0.004)]))).toMatchObject({
      kind: 'open',
      upperBound: 0.01,
      routesOver: 0,
    });
    expect(rolloutVerdict(report([route('GET /a', 0.04)], 0.05)).kind).toBe('open');
  });

  it("judges a route with triples by its gate count's interval (secondary-proven noise left out)", () => {
    const noisy = route('GET /a', 0.6, 0.008);
    expect(gateInterval(noisy)).toEqual({ low: 0, high: 0.008 });
    expect(rolloutVerdict(report([noisy])).kind).toBe('open');
  });
});
