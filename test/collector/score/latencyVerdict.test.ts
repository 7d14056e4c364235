import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../collector/config.js';
import { latencyVerdict } from '../../../collector/score/latencyVerdict.js';
import { idHash } from '../../../collector/score/idHash.js';
import { PairReservoir } from '../../../collector/score/pairReservoir.js';

const SETTINGS = defaultConfig().score.latency;

/** The pairs of requests pair-0, pair-1…, offered in `order` (of their indices; default: as listed). */
function reservoirOf(pairs: Array<[number, number]>, order: number[] = pairs.map((_, i) => i)): PairReservoir {
  const reservoir = new PairReservoir(SETTINGS.reservoirPairs);
  for (const i of order) reservoir.add(idHash(`pair-${i}`), ...pairs[i]!);
  return reservoir;
}

/** n pairs whose primary is 10 ms + jitter and whose shadow adds `extraUs(i)`. */
function pairs(n: number, extraUs: (i: number) => number): Array<[number, number]> {
  return Array.from({ length: n }, (_, i) => {
    const base = 10_000 + ((i * 7919) % 1000);
    return [base, base + extraUs(i)];
  });
}

describe('latencyVerdict', () => {
  it('gives no verdict without pairs, nor below score.latency.minPairs', () => {
    expect(latencyVerdict(reservoirOf([]), SETTINGS)).toMatchObject({ pairs: 0, deltaMs: null, ci95: null, finding: 'too_few_pairs' });
    const few = latencyVerdict(reservoirOf(pairs(SETTINGS.minPairs - 1, () => 100_000)), SETTINGS);
    expect(few).toMatchObject({ pairs: SETTINGS.minPairs - 1, minPairs: SETTINGS.minPairs, finding: 'too_few_pairs' });
    expect(few.deltaMs).toBeCloseTo(100, 6);
  });

  it('finds a regression whose whole interval is past the threshold', () => {
    const verdict = latencyVerdict(reservoirOf(pairs(200, (i) => (i % 5 === 0 ? 50_000 : 0))), SETTINGS);
    expect(verdict.finding).toBe('regression');
    expect(verdict.deltaMs).toBeGreaterThan(40);
    expect(verdict.ci95!.low).toBeGreaterThanOrEqual(verdict.thresholdMs!);
    expect(verdict.thresholdMs).toBe(SETTINGS.minDeltaMs);
  });

  it('calls a significant delta below the threshold no change: a sure +2 ms is not a finding', () => {
    const verdict = latencyVerdict(reservoirOf(pairs(200, () => 2_000)), SETTINGS);
    expect(verdict.ci95!.low).toBeGreaterThan(0);
    expect(verdict.finding).toBe('no_change');
  });

  it('calls large deltas that stalls of either leg give no change: their intervals reach zero', () => {
    // One request in ten stalls for 100-300 ms on one leg, either one: each leg's p95 sits at the
    // edge of its stalls, so the point delta swings far either way from one sample to the next.
    const deltas: number[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      let state = seed;
      const next = (): number => {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        return state / 4294967296;
      };
      const stalled = pairs(200, () => 0).map(([p, s]): [number, number] => {
        if (next() >= 0.1) return [p, s];
        const stall = 100_000 + next() * 200_000;
        return next() < 0.5 ? [p + stall, s] : [p, s + stall];
      });
      const verdict = latencyVerdict(reservoirOf(stalled), SETTINGS);
      deltas.push(verdict.deltaMs!);
      expect(verdict.finding, `seed ${seed}: delta ${verdict.deltaMs} ms, ${JSON.stringify(verdict.ci95)}`).toBe('no_change');
    }
    expect(Math.max(...deltas.map(Math.abs))).toBeGreaterThan(SETTINGS.minDeltaMs);
  });

  it('scales the threshold with the primary: minRelativeDelta of a slow route’s p95', () => {
    const slow: Array<[number, number]> = pairs(200, () => 15_000).map(([p, s]) => [p + 290_000, s + 290_000]);
    const verdict = latencyVerdict(reservoirOf(slow), SETTINGS);
    expect(verdict.thresholdMs).toBeGreaterThan(29);
    expect(verdict.finding).toBe('no_change');
  });

  it('finds an improvement as the mirror image', () => {
    const verdict = latencyVerdict(reservoirOf(pairs(200, () => 0).map(([p]) => [p + 40_000, p] as [number, number])), SETTINGS);
    expect(verdict.finding).toBe('improvement');
    expect(verdict.ci95!.high).toBeLessThan(0);
  });
  it('is the same verdict for the same pairs in any order, recomputed only when the kept pairs change', () => {
    const many = pairs(2000, (i) => (i % 4 === 0 ? 9_000 : 0));
    const forward = reservoirOf(many);
    const backward = reservoirOf(
      many,
      many.map((_, i) => many.length - 1 - i),
    );
    const verdict = latencyVerdict(forward, SETTINGS);
    expect(latencyVerdict(backward, SETTINGS)).toEqual(verdict);
    expect(verdict.pairs).toBe(SETTINGS.reservoirPairs);
    // A pair whose key is above every kept one changes nothing: the cached verdict stands.
    const largest = forward.keys[forward.size - 1]!;
    forward.add(largest + 1, 1, 1_000_000);
    expect(latencyVerdict(forward, SETTINGS)).toBe(verdict);
    forward.add(0, 1, 1_000_000);
    expect(latencyVerdict(forward, SETTINGS)).not.toBe(verdict);
  });
});
