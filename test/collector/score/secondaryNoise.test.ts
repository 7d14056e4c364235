import { describe, expect, it } from 'vitest';
import { ABSOLUTE, judgeBySecondary, MIN_TRIPLES, noiseEvidence, RELATIVE } from '../../../collector/score/secondaryNoise.js';
import { wilson } from '../../../collector/score/wilson.js';

const finding = (shadow: [number, number], secondary: [number, number]) =>
  judgeBySecondary({ differing: shadow[0], compared: shadow[1] }, { differing: secondary[0], compared: secondary[1] })?.finding;

describe('judgeBySecondary', () => {
  it('says nothing without a triple compared, and nothing proven below MIN_TRIPLES', () => {
    expect(judgeBySecondary({ differing: 5, compared: 5 }, { differing: 0, compared: 0 })).toBeNull();
    expect(finding([100, 100], [MIN_TRIPLES - 1, MIN_TRIPLES - 1])).toBe('too_few_triples');
    expect(finding([100, 100], [MIN_TRIPLES, MIN_TRIPLES])).toBe('noise');
  });

  it('calls noise a field the primaries differ in as often: the lower bound of their rate within RELATIVE and ABSOLUTE of the shadow rate', () => {
    // 0.8 × 0.45 − 0.01 = 0.35: 45 of 100 triples have a lower bound of 0.356, 44 of 100 0.347.
    expect((1 - RELATIVE) * 0.45 - ABSOLUTE).toBeCloseTo(0.35, 10);
    expect(wilson(45, 100)!.low).toBeGreaterThan(0.35);
    expect(wilson(44, 100)!.low).toBeLessThan(0.35);
    expect(finding([450, 1000], [45, 100])).toBe('noise');
    expect(finding([450, 1000], [44, 100])).toBe('inconclusive');
    // A field that differs more between the primaries than against the shadow is noise too.
    expect(finding([200, 1000], [80, 100])).toBe('noise');
  });

  it('takes the absolute allowance for rarely differing fields, but never calls noise a field the primaries never differ in', () => {
    // 0.8 × 0.02 − 0.01 = 0.006: 4 of 100 triples (lower bound 0.0157) explain it, 2 of 100 (0.0055) do not.
    expect(finding([20, 1000], [4, 100])).toBe('noise');
    expect(finding([20, 1000], [2, 100])).not.toBe('noise');
    // The allowance alone would cover 0.1%; the primaries never differing in 500 triples does not.
    expect(finding([1, 1000], [0, 500])).toBe('inconclusive');
  });

  it('calls regression a field whose shadow interval lies wholly above the primaries', () => {
    expect(finding([50, 100], [0, 40])).toBe('regression');
    expect(finding([100, 100], [20, 40])).toBe('regression');
    // Thin evidence either way is inconclusive: more triples decide, and the gate counts it meanwhile.
    expect(finding([100, 100], [19, 20])).toBe('inconclusive');
  });

  it('gives both rates and intervals, and the words that show the evidence', () => {
    const judged = judgeBySecondary({ differing: 40, compared: 40 }, { differing: 20, compared: 20 })!;
    expect(judged).toEqual({
      finding: 'noise',
      shadowRate: 1,
      shadowCi95: wilson(40, 40),
      secondaryRate: 1,
      secondaryCi95: wilson(20, 20),
    });
    expect(noiseEvidence({ ...judged, divergentTriples: 20, triples: 20 })).toBe(
      'differs between the two primaries in 20 of 20 triples (100.0%, 95% CI 83.9%–100.0%), as often as between primary and shadow (100.0%): non-determinism',
    );
  });
});
