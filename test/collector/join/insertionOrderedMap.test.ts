import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InsertionOrderedMap } from '../../../collector/join/insertionOrderedMap.js';

type Operation = { kind: 'set'; key: string; value: number } | { kind: 'delete'; key: string } | { kind: 'shift' };

// Few keys, many operations: keys are set again and deleted out of order often, so stale queue
// items pile up and both compactions run.
const key = fc.integer({ min: 0, max: 40 }).map((n) => `k${n}`);
const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), key, value: fc.integer() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), key }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('shift' as const) }) },
);

describe('InsertionOrderedMap', () => {
  it('behaves as a Map whose set moves a key to the back and whose shift takes the front', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 6000 }), (operations) => {
        const map = new InsertionOrderedMap<number>();
        const model = new Map<string, number>();
        for (const op of operations) {
          if (op.kind === 'set') {
            map.set(op.key, op.value);
            model.delete(op.key);
            model.set(op.key, op.value);
          } else if (op.kind === 'delete') {
            expect(map.delete(op.key)).toBe(model.delete(op.key));
          } else {
            const front = model.entries().next();
            if (!front.done) model.delete(front.value[0]);
            expect(map.shift()).toEqual(front.done ? undefined : front.value);
          }
          expect(map.size).toBe(model.size);
          expect(map.oldest()).toEqual(model.size === 0 ? undefined : model.entries().next().value);
        }
        expect([...map.entries()]).toEqual([...model.entries()]);
        expect([...map.values()]).toEqual([...model.values()]);
        for (const [k, v] of model) expect(map.get(k)).toBe(v);
      }),
      { numRuns: 60 },
    );
  });

  it('starts over empty after clear', () => {
    const map = new InsertionOrderedMap<string>();
    map.set('a', '1');
    map.set('b', '2');
    map.clear();
    expect(map.size).toBe(0);
    expect(map.oldest()).toBeUndefined();
    map.set('c', '3');
    expect(map.shift()).toEqual(['c', '3']);
  });
});
