import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { idHash } from '../../../collector/score/idHash.js';
import {
  mergeValueSample,
  noiseReason,
  restoredValueSample,
  sampleValue,
  VALUE_SAMPLE_SIZE,
  volatileWord,
} from '../../../collector/score/noise.js';

const SETTINGS = { threshold: 0.9, minPairs: 20 };

/** The values of differing pairs id-0, id-1…, sampled as the scoreboard samples them. */
function evidence(path: string, divergentPairs: number, values: string[]) {
  const e = { path, divergentPairs, valueSample: [] as number[], valueKeys: [] as number[] };
  values.forEach((v, i) => sampleValue(e, v, idHash(`id-${i}`)));
  return e;
}

const distinct = Array.from({ length: 16 }, (_, i) => i.toString(16).padStart(8, '0'));
const repeating = Array.from({ length: 16 }, (_, i) => (i % 2).toString(16).padStart(8, '0'));

describe('noise', () => {
  it('flags a field that differs almost always and whose values never repeat', () => {
    expect(noiseReason(evidence('$.data.x7', 95, distinct), 100, SETTINGS)).toMatch(/differs in 95\.0% .* values rarely repeat \(16 of 16/);
  });

  it('flags a field that differs almost always and has a volatile name', () => {
    expect(noiseReason(evidence('$.meta.generatedAt', 99, repeating), 100, SETTINGS)).toMatch(/name looks volatile \("generated"\)/);
    expect(noiseReason(evidence('$.servedBy', 99, repeating), 100, SETTINGS)).toMatch(/"served"/);
  });

  it('does not flag a systematic change with repeating values and an ordinary name', () => {
    expect(noiseReason(evidence('$.currency', 100, repeating), 100, SETTINGS)).toBeNull();
  });

  it('does not flag below the threshold or with too little evidence', () => {
    expect(noiseReason(evidence('$.timestamp', 80, distinct), 100, SETTINGS)).toBeNull();
    expect(noiseReason(evidence('$.timestamp', 10, distinct), 10, SETTINGS)).toBeNull();
  });

  it('flags at the boundaries: exactly minPairs compared, a rate exactly at the threshold, exactly 90% of 10 samples distinct', () => {
    expect(noiseReason(evidence('$.timestamp', 20, repeating), 20, SETTINGS)).toMatch(/differs in 100\.0%/);
    expect(noiseReason(evidence('$.timestamp', 90, repeating), 100, SETTINGS)).toMatch(/differs in 90\.0%/);
    const nineOfTen = [...distinct.slice(0, 9), distinct[0] as string];
    expect(noiseReason(evidence('$.x7', 100, nineOfTen), 100, SETTINGS)).toMatch(/\(9 of 10 sampled values distinct\)/);
  });

  it('needs 8 sampled values to judge repetition, and never judges zero compared pairs', () => {
    expect(noiseReason(evidence('$.x7', 100, distinct.slice(0, 8)), 100, SETTINGS)).toMatch(/\(8 of 8 sampled values distinct\)/);
    expect(noiseReason(evidence('$.x7', 100, distinct.slice(0, 7)), 100, SETTINGS)).toBeNull();
    expect(noiseReason(evidence('$.timestamp', 0, distinct), 0, { threshold: 0, minPairs: 0 })).toBeNull();
  });

  it('samples a bounded number of values: the pairs of smallest key, whatever the order, merging exactly', () => {
    const values = Array.from({ length: 48 }, (_, i) => distinct[i % 16]!);
    const e = evidence('$.a', 0, values);
    expect(e.valueSample).toHaveLength(VALUE_SAMPLE_SIZE);
    expect(e.valueKeys).toEqual([...e.valueKeys].sort((a, b) => a - b));
    const offered = values.map((value, i) => ({ value, key: idHash(`id-${i}`) }));
    fc.assert(
      fc.property(fc.shuffledSubarray(offered, { minLength: offered.length, maxLength: offered.length }), (shuffled) => {
        const again = { valueSample: [] as number[], valueKeys: [] as number[] };
        for (const { value, key } of shuffled) sampleValue(again, value, key);
        expect(again).toEqual({ valueSample: e.valueSample, valueKeys: e.valueKeys });
        const [first, second] = [shuffled.slice(0, 20), shuffled.slice(20)].map((part) => {
          const sample = { valueSample: [] as number[], valueKeys: [] as number[] };
          for (const { value, key } of part) sampleValue(sample, value, key);
          return sample;
        });
        mergeValueSample(first!, second!);
        expect(first).toEqual(again);
      }),
    );
  });

  it("restores a previous release's sample (its distinct values and their count) to the same judgement", () => {
    const previous = { valueSample: distinct.slice(0, 9).map((hash) => Number.parseInt(hash, 16)), valueSamples: 10 };
    const restored = { path: '$.x7', divergentPairs: 100, ...restoredValueSample(previous, 100) };
    expect(noiseReason(restored, 100, SETTINGS)).toMatch(/\(9 of 10 sampled values distinct\)/);
  });

  it.each([
    ['$.meta.createdAt', 'created'],
    ['$.items[*].trace_id', 'trace'],
    ['$["x-served-by"]', 'served'],
    ['$.timestamp', 'timestamp'],
    ['$.stats[3]', null],
    ['$.price', null],
    ['$.productId', null],
    ['$.timestamp.count', null],
    ['$.a["ts.b"]', 'ts'],
  ])('volatileWord(%s) = %s', (path, word) => {
    expect(volatileWord(path)).toBe(word);
  });
});
