// The scoreboard's tallies as a function of the resolutions counted, not of their order (Kafka
// mode's report instances count the verdicts partitions interleaved as they come): while no
// table overflows, every order gives the same report, examples, samples, magnitudes and latency
// interval included; once a field table overflows, which fields it holds depends on the order, within space-saving's bounds,
// which hold in every order.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparePair } from '../../../collector/compare/pairCompare.js';
import { defaultConfig } from '../../../collector/config.js';
import { routeReports } from '../../../collector/report/buildReport.js';
import type { Scoreboard, ScoreboardSettings } from '../../../collector/score/scoreboard.js';
import type { IngestedRecord } from '../../../collector/types.js';
import { legs, T0 } from '../fixtures.js';
import { NOTHING_IGNORED, testScoreboard } from './testScoreboard.js';

function board(overrides: Partial<ScoreboardSettings> = {}): Scoreboard {
  return testScoreboard({ latency: { ...defaultConfig().score.latency, reservoirPairs: 16, resamples: 200, minPairs: 8 }, ...overrides });
}

/** One compared pair, resolved at `atUnixMs`. */
interface Counted {
  route: string;
  primary: IngestedRecord;
  shadow: IngestedRecord;
  atUnixMs: number;
}

/** Pair i: on one of three routes, every other one differing in a field (with captured numbers) and a header, latencies apart. */
function pair(i: number, atUnixMs: number): Counted {
  const route = `GET /r${i % 3}`;
  const differs = i % 2 === 0;
  const [primary, shadow] = legs(
    `id-${i}`,
    differs
      ? {
          fields: { '$.id': '0000002a', '$.total': (i % 5).toString(16).padStart(8, '0'), '$.at': i.toString(16).padStart(8, '0') },
          values: { '$.total': `n${10 + (i % 4)}` },
          headers: { 'content-type': '99999999' },
          lastByteUs: 20_000 + (i % 7) * 1000,
        }
      : { lastByteUs: 15_000 + (i % 5) * 1000 },
    { values: { '$.total': 'n10' }, lastByteUs: 12_000 + (i % 11) * 500 },
  );
  return { route, primary, shadow, atUnixMs };
}

function count(scoreboard: Scoreboard, pairs: readonly Counted[]): void {
  for (const { route, primary, shadow, atUnixMs } of pairs)
    scoreboard.recordPair(route, primary.id, primary, shadow, comparePair(primary, shadow, NOTHING_IGNORED, ['content-type']), atUnixMs);
}

function reportOf(pairs: readonly Counted[], overrides: Partial<ScoreboardSettings> = {}) {
  const scoreboard = board(overrides);
  count(scoreboard, pairs);
  return routeReports(scoreboard, 100);
}

// 90 pairs, three at each millisecond: examples of one time are told apart by id.
const PAIRS = Array.from({ length: 90 }, (_, i) => pair(i, T0 + Math.floor(i / 3)));

describe('Scoreboard, in any order', () => {
  it('gives the same report for every order of the same pairs: examples, values, magnitudes, noise and latency interval included', () => {
    const inOrder = reportOf(PAIRS);
    const fields = inOrder.flatMap((route) => route.fields);
    expect(fields.some((field) => field.divergentPairs > 3 && field.examples.length === 3)).toBe(true);
    expect(fields.some((field) => field.magnitude !== undefined && field.exampleValues?.length === 3)).toBe(true);
    expect(inOrder.every((route) => route.latencyMs.verdict.pairs === 16 && route.pairs > 16)).toBe(true);
    expect(inOrder.some((route) => route.headers.length > 0)).toBe(true);
    fc.assert(
      fc.property(fc.shuffledSubarray(PAIRS, { minLength: PAIRS.length, maxLength: PAIRS.length }), (shuffled) => {
        expect(reportOf(shuffled)).toEqual(inOrder);
      }),
      { numRuns: 25 },
    );
  });

  it('keeps the latest examples by resolution time, of equal times the greatest id, newest first', () => {
    const r0 = reportOf([...PAIRS].reverse()).find((route) => route.route === 'GET /r0');
    // r0 differs at i ≡ 0 (mod 6): the latest are 84 (T0+28), 78 (T0+26), 72 (T0+24).
    expect(r0!.fields.find((field) => field.path === '$.total')!.examples).toEqual(['id-84', 'id-78', 'id-72']);
    const tied = [0, 2, 4, 6].map((i) => ({ ...pair(i, T0), route: 'GET /t' }));
    for (const order of [tied, [...tied].reverse()]) {
      const [route] = reportOf(order);
      expect(route!.fields.find((field) => field.path === '$.total')!.examples).toEqual(['id-6', 'id-4', 'id-2']);
      expect(route!.headers[0]!.examples).toEqual(['id-6', 'id-4', 'id-2']);
    }
  });

  it('once a field table overflows, holds the heavy fields and bounds every count in every order (space-saving)', () => {
    // 12 fields on one route, two heavy (70 and 45 pairs), ten of 6; 4 places.
    const truth = (path: string): number => [70, 45][Number(path.slice(3))] ?? 6;
    const differing: Counted[] = [];
    let n = 0;
    for (let k = 0; k < 12; k++)
      for (let j = 0; j < truth(`$.f${k}`); j++) {
        const id = `f${k}-${j}`;
        const [primary, shadow] = legs(id, { fields: { [`$.f${k}`]: '00000001' } }, { fields: {} });
        differing.push({ route: 'GET /wide', primary, shadow, atUnixMs: T0 + n++ });
      }
    const total = differing.length;
    const places = 4;
    fc.assert(
      fc.property(fc.shuffledSubarray(differing, { minLength: total, maxLength: total }), (shuffled) => {
        const [route] = reportOf(shuffled, { maxFieldsPerRoute: places });
        expect(route!.fieldsTracked).toBe(places);
        for (const field of route!.fields) {
          // What the report says: counted since it got its place, and at most countError before.
          expect(field.divergentPairs).toBeLessThanOrEqual(truth(field.path));
          expect(truth(field.path)).toBeLessThanOrEqual(field.divergentPairs + field.countError);
        }
        // Every field differing in more than total / places pairs is held, whatever the order.
        const held = new Set(route!.fields.map((field) => field.path));
        const heavy = Array.from({ length: 12 }, (_, k) => `$.f${k}`).filter((path) => truth(path) > total / places);
        expect(heavy).toEqual(['$.f0', '$.f1']);
        for (const path of heavy) expect(held).toContain(path);
      }),
      { numRuns: 50 },
    );
  });
});
