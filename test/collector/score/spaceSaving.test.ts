import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpaceSaving, type Weighted } from '../../../collector/score/spaceSaving.js';

interface Item extends Weighted {
  key: string;
}

/** The space-saving admission the scoreboard uses, on a bare table: count `key` once. */
function offer(table: SpaceSaving<Item>, key: string): void {
  if (table.get(key) !== undefined) return table.add(key, 1);
  const error = table.full ? (table.popLightest()?.[1].weight ?? 0) : 0;
  table.insert(key, { key, weight: error + 1, countError: error });
}

describe('SpaceSaving', () => {
  it('keeps the lightest at the root through adds, inserts and pops', () => {
    const table = new SpaceSaving<Item>(4);
    for (const [key, weight] of [['a', 5], ['b', 1], ['c', 3], ['d', 2]] as const) table.insert(key, { key, weight, countError: 0 });
    expect(table.lightest()?.key).toBe('b');
    table.add('b', 10);
    expect(table.lightest()?.key).toBe('d');
    expect(table.popLightest()?.[0]).toBe('d');
    expect(table.popLightest()?.[0]).toBe('c');
    table.add('b', -10);
    expect(table.lightest()?.key).toBe('b');
    expect(table.size).toBe(2);
    expect(() => table.insert('a', { key: 'a', weight: 1, countError: 0 })).toThrow(/cannot insert/);
  });

  it('bounds every estimate and keeps every key heavier than total/capacity (Metwally et al.)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 400 }), fc.integer({ min: 1, max: 12 }), (stream, capacity) => {
        const table = new SpaceSaving<Item>(capacity);
        const truth = new Map<string, number>();
        for (const n of stream) {
          const key = `k${n}`;
          truth.set(key, (truth.get(key) ?? 0) + 1);
          offer(table, key);
        }
        expect(table.size).toBeLessThanOrEqual(capacity);
        for (const item of table.values()) {
          const real = truth.get(item.key) ?? 0;
          expect(item.weight).toBeGreaterThanOrEqual(real);
          expect(item.weight - item.countError).toBeLessThanOrEqual(real);
        }
        for (const [key, count] of truth) if (count > stream.length / capacity) expect(table.get(key)).toBeDefined();
      }),
    );
  });

  it('a flood of one-off keys does not push out a key seen steadily', () => {
    const table = new SpaceSaving<Item>(10);
    for (let i = 0; i < 1000; i++) {
      offer(table, `junk-${i}`);
      if (i % 5 === 0) offer(table, 'real');
    }
    expect(table.get('real')).toMatchObject({ key: 'real' });
    offer(table, 'late-regression');
    expect(table.get('late-regression')).toBeDefined();
  });
});
