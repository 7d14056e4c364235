import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idHash } from '../../../collector/score/idHash.js';
import { PairReservoir, pairReservoirBytes } from '../../../collector/score/pairReservoir.js';

/** Offers pair i (primary i, shadow i + 1) of request id-i. */
const offer = (reservoir: PairReservoir, i: number): void => reservoir.add(idHash(`id-${i}`), i, i + 1);

describe('PairReservoir', () => {
  it('keeps every pair until full, then at most its capacity, counting all it was offered, by key', () => {
    const reservoir = new PairReservoir(16);
    for (let i = 0; i < 10; i++) offer(reservoir, i);
    expect(reservoir.size).toBe(10);
    expect([...reservoir.pairs().primaryUs].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (let i = 10; i < 1000; i++) offer(reservoir, i);
    expect(reservoir.size).toBe(16);
    expect(reservoir.seen).toBe(1000);
    const keys = [...reservoir.keys.subarray(0, reservoir.size)];
    expect(keys).toEqual([...keys].sort((a, b) => a - b));
    // pairs stay pairs: the 16 smallest keys of all 1000
    const { primaryUs, shadowUs } = reservoir.pairs();
    primaryUs.forEach((p, i) => expect(shadowUs[i]).toBe(p + 1));
    const smallest = Array.from({ length: 1000 }, (_, i) => i)
      .sort((a, b) => idHash(`id-${a}`) - idHash(`id-${b}`))
      .slice(0, 16);
    expect([...primaryUs]).toEqual(smallest);
  });

  it('is a uniform sample: late pairs are kept about as often as early ones', () => {
    const reservoir = new PairReservoir(500);
    for (let i = 0; i < 20_000; i++) offer(reservoir, i);
    const early = [...reservoir.pairs().primaryUs].filter((value) => value < 10_000).length;
    // binomial(500, 0.5): 250 ± 11 at one standard deviation
    expect(early).toBeGreaterThan(200);
    expect(early).toBeLessThan(300);
  });

  it('keeps the same sample, in the same order, for any order of the same pairs, and merges exactly (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat({ max: 10_000 }), { maxLength: 300 }), fc.nat({ max: 300 }), (values, cut) => {
        const forward = new PairReservoir(32);
        const backward = new PairReservoir(32);
        for (const value of values) offer(forward, value);
        for (const value of [...values].reverse()) offer(backward, value);
        expect(backward.snapshot()).toEqual(forward.snapshot());
        const [first, second] = [values.slice(0, cut), values.slice(cut)].map((part) => {
          const reservoir = new PairReservoir(32);
          for (const value of part) offer(reservoir, value);
          return reservoir;
        });
        first!.merge(second!);
        expect(first!.snapshot()).toEqual(forward.snapshot());
      }),
    );
  });

  it('survives a snapshot; a smaller capacity keeps the smallest keys; one without keys gets spaced keys', () => {
    const reservoir = new PairReservoir(64);
    for (let i = 0; i < 200; i++) offer(reservoir, i);
    const restored = PairReservoir.fromSnapshot(reservoir.snapshot(), 64);
    expect(restored.snapshot()).toEqual(reservoir.snapshot());
    const smaller = PairReservoir.fromSnapshot(reservoir.snapshot(), 16);
    expect(smaller.size).toBe(16);
    expect(smaller.seen).toBe(200);
    expect([...smaller.pairs().primaryUs]).toEqual([...reservoir.pairs().primaryUs].slice(0, 16));
    // A release that sampled by arrival: its pairs are kept, and new ones displace them at the rate of their own.
    const { keys: _keys, ...previous } = reservoir.snapshot();
    const upgraded = PairReservoir.fromSnapshot(previous, 64);
    expect([...upgraded.pairs().primaryUs]).toEqual(previous.primaryUs);
    for (let i = 1000; i < 1200; i++) offer(upgraded, i);
    const fresh = [...upgraded.pairs().primaryUs].filter((value) => value >= 1000).length;
    // 200 of 400 offered are new: binomial(64, ½)
    expect(fresh).toBeGreaterThan(16);
    expect(fresh).toBeLessThan(48);
  });

  it('costs 24 bytes a pair, fixed by its capacity', () => {
    expect(pairReservoirBytes(512) - pairReservoirBytes(256)).toBe(24 * 256);
  });
});
