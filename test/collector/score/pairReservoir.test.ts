import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PairReservoir, pairReservoirBytes } from '../../../collector/score/pairReservoir.js';

describe('PairReservoir', () => {
  it('keeps every pair until full, then at most its capacity, counting all it was offered', () => {
    const reservoir = new PairReservoir(16);
    for (let i = 0; i < 10; i++) reservoir.add(i, i + 1);
    expect(reservoir.size).toBe(10);
    expect([...reservoir.pairs().primaryUs]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (let i = 10; i < 1000; i++) reservoir.add(i, i + 1);
    expect(reservoir.size).toBe(16);
    expect(reservoir.seen).toBe(1000);
    // pairs stay pairs
    const { primaryUs, shadowUs } = reservoir.pairs();
    primaryUs.forEach((p, i) => expect(shadowUs[i]).toBe(p + 1));
  });

  it('is a uniform sample: late pairs are kept about as often as early ones', () => {
    const reservoir = new PairReservoir(500);
    for (let i = 0; i < 20_000; i++) reservoir.add(i, i);
    const early = [...reservoir.pairs().primaryUs].filter((value) => value < 10_000).length;
    // binomial(500, 0.5): 250 ± 11 at one standard deviation
    expect(early).toBeGreaterThan(200);
    expect(early).toBeLessThan(300);
  });

  it('is deterministic: the same stream leaves the same sample', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 300 }), (values) => {
        const a = new PairReservoir(32);
        const b = new PairReservoir(32);
        for (const value of values) {
          a.add(value, value);
          b.add(value, value);
        }
        expect(a.snapshot()).toEqual(b.snapshot());
      }),
    );
  });

  it('survives a snapshot, and a smaller capacity keeps the first pairs', () => {
    const reservoir = new PairReservoir(64);
    for (let i = 0; i < 200; i++) reservoir.add(i, 2 * i);
    const restored = PairReservoir.fromSnapshot(reservoir.snapshot(), 64);
    expect(restored.snapshot()).toEqual(reservoir.snapshot());
    const smaller = PairReservoir.fromSnapshot(reservoir.snapshot(), 16);
    expect(smaller.size).toBe(16);
    expect(smaller.seen).toBe(200);
    expect([...smaller.pairs().primaryUs]).toEqual([...reservoir.pairs().primaryUs].slice(0, 16));
  });

  it('merges into an empty reservoir as a copy (history included), into a used one as offered pairs', () => {
    const source = new PairReservoir(8);
    for (let i = 0; i < 100; i++) source.add(i, i);
    const empty = new PairReservoir(8);
    empty.merge(source);
    expect(empty.snapshot()).toEqual(source.snapshot());
    const used = new PairReservoir(8);
    used.add(1, 1);
    used.merge(source);
    expect(used.size).toBe(8);
    expect(used.seen).toBe(9);
  });

  it('costs 16 bytes a pair, fixed by its capacity', () => {
    expect(pairReservoirBytes(512) - pairReservoirBytes(256)).toBe(16 * 256);
  });
});
