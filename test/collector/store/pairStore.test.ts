import { describe, expect, it } from 'vitest';
import { comparePair } from '../../../collector/compare/pairCompare.js';
import { ByteBudget } from '../../../collector/budget/byteBudget.js';
import { PairStore } from '../../../collector/store/pairStore.js';
import type { PairView } from '../../../collector/types.js';
import { legs } from '../fixtures.js';

const NOTHING_IGNORED = { field: () => false, header: () => false };

function view(id: string, diverged: boolean): PairView {
  const [primary, shadow] = legs(id, diverged ? { status: 500 } : {});
  return { id, state: 'paired', route: 'GET /orders/{id}', primary, shadow, diff: comparePair(primary, shadow, NOTHING_IGNORED, []), resolvedAtUnixMs: 1 };
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
