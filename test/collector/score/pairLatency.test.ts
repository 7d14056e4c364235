import { describe, expect, it } from 'vitest';
import { comparePair } from '../../../collector/compare/pairCompare.js';
import { routeReports } from '../../../collector/report/buildReport.js';
import { ByteBudget } from '../../../collector/budget/byteBudget.js';
import { defaultConfig } from '../../../collector/config.js';
import { FieldRows } from '../../../collector/compare/fieldRows.js';
import { pairLatency } from '../../../collector/score/pairLatency.js';
import { Scoreboard } from '../../../collector/score/scoreboard.js';
import { legs } from '../fixtures.js';

describe('pairLatency', () => {
  it('times both legs by upstreamUs when both have it', () => {
    const [primary, shadow] = legs('a', { lastByteUs: 90_000, upstreamUs: 20_000 }, { lastByteUs: 30_000, upstreamUs: 25_000 });
    expect(pairLatency({ ...primary, upstreamUs: 21_000 }, shadow)).toEqual({ primaryUs: 21_000, shadowUs: 20_000 });
  });

  it('times both legs by lastByteUs when either lacks it, never one span against the other', () => {
    const [primary, shadow] = legs('a', { lastByteUs: 90_000, upstreamUs: 20_000 }, { lastByteUs: 30_000 });
    expect(pairLatency(primary, shadow)).toEqual({ primaryUs: 30_000, shadowUs: 90_000 });
    const { upstreamUs: _dropped, ...shadowWithout } = shadow;
    expect(pairLatency({ ...primary, upstreamUs: 1_000 }, shadowWithout)).toEqual({ primaryUs: 30_000, shadowUs: 90_000 });
  });
});

describe('the scoreboard times pairs by pairLatency', () => {
  it('reports the upstream spans when both legs carry them, the verdict over the same pairs', () => {
    const board = new Scoreboard({
      examplesPerField: 3,
      maxRoutes: 10,
      maxFieldsPerRoute: 10,
      noise: { threshold: 0.9, minPairs: 20 },
      rows: FieldRows.INDICES_ONLY,
      budget: new ByteBudget(Number.MAX_SAFE_INTEGER),
      latency: defaultConfig().score.latency,
    });
    for (let i = 0; i < 40; i++) {
      // the filter's spans say +200 ms (the mirror's hop); the routers' say equal
      const [p, s] = legs(`id${i}`, { lastByteUs: 250_000, upstreamUs: 10_000 + i }, { lastByteUs: 50_000, upstreamUs: 10_000 + i });
      board.recordPair('GET /x', p.id, p, s, comparePair(p, s, { field: () => false, header: () => false }, []));
    }
    const [route] = routeReports(board, 10);
    expect(route!.latencyMs.delta.p95).toBe(0);
    expect(route!.latencyMs.verdict).toMatchObject({ pairs: 40, deltaMs: 0, ci95: { low: 0, high: 0 }, finding: 'no_change' });
  });
});
