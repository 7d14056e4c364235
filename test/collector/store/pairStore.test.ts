import { describe, expect, it } from 'vitest';
import { comparePair } from '../../../collector/compare/pairCompare.js';
import { ByteBudget } from '../../../collector/budget/byteBudget.js';
import { pairViewBytes } from '../../../collector/budget/sizeEstimates.js';
import { PairStore } from '../../../collector/store/pairStore.js';
import type { PairView } from '../../../collector/types.js';
import { legs } from '../fixtures.js';

const NOTHING_IGNORED = { field: () => false, header: () => false, subtree: () => 'none' as const };

function view(id: string, diverged: boolean): PairView {
  const [primary, shadow] = legs(id, diverged ? { status: 500 } : {});
  return {
    id,
    state: 'paired',
    route: 'GET /orders/{id}',
    primary,
    shadow,
    diff: comparePair(primary, shadow, NOTHING_IGNORED, []),
    resolvedAtUnixMs: 1,
  };
}

function missing(id: string): PairView {
  return { id, state: 'shadow_missing', route: 'GET /orders/{id}', primary: legs(id)[0], shadow: null, diff: null, resolvedAtUnixMs: 1 };
}

describe('PairStore', () => {
  it('keeps diverged pairs apart, so a flood of matches cannot push out the examples', () => {
    const store = new PairStore({ keepDiverged: 2, keepOther: 2 }, new ByteBudget(Number.MAX_SAFE_INTEGER));
    store.add(view('d-1', true));
    for (let i = 0; i < 10; i++) store.add(view(`m-${i}`, false));
    expect(store.get('d-1')?.diff?.diverged).toBe(true);
    expect(store.get('m-0')).toBeUndefined();
    expect(store.get('m-9')?.id).toBe('m-9');
    expect(store.size).toBe(3);
  });

  it('drops the oldest of a full set first, and counts missing legs with the others', () => {
    const store = new PairStore({ keepDiverged: 2, keepOther: 2 }, new ByteBudget(Number.MAX_SAFE_INTEGER));
    store.add(view('d-1', true));
    store.add(view('d-2', true));
    store.add(view('d-3', true));
    store.add(missing('x'));
    expect([store.get('d-1'), store.get('d-2')?.id, store.get('d-3')?.id]).toEqual([undefined, 'd-2', 'd-3']);
    expect(store.get('x')?.state).toBe('shadow_missing');
  });

  it('keeps nothing in a set whose limit is 0', () => {
    const store = new PairStore({ keepDiverged: 0, keepOther: 1 }, new ByteBudget(Number.MAX_SAFE_INTEGER));
    store.add(view('d-1', true));
    store.add(view('m-1', false));
    expect(store.get('d-1')).toBeUndefined();
    expect(store.size).toBe(1);
  });

  it('restores a snapshot with the same eviction order', () => {
    const store = new PairStore({ keepDiverged: 2, keepOther: 2 }, new ByteBudget(Number.MAX_SAFE_INTEGER));
    store.add(view('m-1', false));
    store.add(view('m-2', false));
    const restored = new PairStore({ keepDiverged: 2, keepOther: 2 }, new ByteBudget(Number.MAX_SAFE_INTEGER));
    restored.restore(store.snapshot());
    expect(restored.snapshot()).toEqual(store.snapshot());
    restored.add(view('m-3', false));
    expect(restored.get('m-1')).toBeUndefined();
    expect(restored.get('m-2')?.id).toBe('m-2');
  });
});

describe('PairStore within the pairs byte budget', () => {
  it('keeps the accounted bytes within the budget, giving up matches before diverged pairs, oldest first', () => {
    const one = pairViewBytes(view('x-0', false));
    const budget = new ByteBudget(one * 4 + 10);
    const store = new PairStore({ keepDiverged: 100, keepOther: 100 }, budget);
    store.add(view('d-1', true));
    store.add(view('d-2', true));
    for (let i = 0; i < 5; i++) {
      store.add(view(`m-${i}`, false));
      expect(budget.usedBytes).toBeLessThanOrEqual(budget.limitBytes);
    }
    expect(store.get('d-1')?.id).toBe('d-1');
    expect(store.get('d-2')?.id).toBe('d-2');
    expect(['m-0', 'm-1', 'm-2'].map((id) => store.get(id))).toEqual([undefined, undefined, undefined]);
    expect(store.get('m-4')?.id).toBe('m-4');
    expect(budget.evictions).toBe(3);
    store.add(view('d-3', true));
    store.add(view('d-4', true));
    store.add(view('d-5', true));
    expect(store.get('d-1')).toBeUndefined();
    expect(store.get('d-5')?.id).toBe('d-5');
    expect(budget.usedBytes).toBeLessThanOrEqual(budget.limitBytes);
  });

  it('refuses a pair larger than the whole budget without evicting anything, and gives bytes back on restore', () => {
    const budget = new ByteBudget(pairViewBytes(view('x-0', false)) * 2);
    const store = new PairStore({ keepDiverged: 10, keepOther: 10 }, budget);
    store.add(view('small', false));
    const fields = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`$.f${i}`, '00000001']));
    const [p, s] = legs('huge', { fields: {} }, { fields });
    store.add({
      id: 'huge',
      state: 'paired',
      route: 'GET /',
      primary: p,
      shadow: s,
      diff: comparePair(p, s, NOTHING_IGNORED, []),
      resolvedAtUnixMs: 1,
    });
    expect(store.get('huge')).toBeUndefined();
    expect(store.get('small')?.id).toBe('small');
    expect(budget.refusals).toBe(1);
    store.restore({ diverged: [], other: [] });
    expect(budget.usedBytes).toBe(0);
  });
});
