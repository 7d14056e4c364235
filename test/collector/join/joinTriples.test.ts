// The join with a third leg: a primary announcing a secondary (withSecondary) waits for it once
// its shadow is in, until it arrives or the window closes; a pair without the announcement is
// judged as before.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../../collector/budget/byteBudget.js';
import { pendingLegBytes } from '../../../collector/budget/sizeEstimates.js';
import { JoinWindow, type ClosedWindow, type JoinEvent, type JoinWindowOptions } from '../../../collector/join/joinWindow.js';
import type { IngestedRecord } from '../../../collector/types.js';
import { record, T0, triple } from '../fixtures.js';

const OPTIONS: JoinWindowOptions = { windowMs: 30_000, maxPending: 1000, rememberMs: 60_000, maxRemembered: 1000 };

function join(options: Partial<JoinWindowOptions> = {}, budget = new ByteBudget(Number.MAX_SAFE_INTEGER)): JoinWindow {
  return new JoinWindow({ ...OPTIONS, ...options }, budget);
}

/** Every order of three items. */
function orders<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => orders([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

function outcomeOf(closed: ClosedWindow): string {
  return `${'record' in closed ? closed.record.id : closed.primary.id}:${closed.outcome}`;
}

describe('JoinWindow with secondary legs', () => {
  it.each(orders(['primary', 'shadow', 'secondary'] as const))('joins a triple arriving %s, %s, %s at its last leg', (...order) => {
    const window = join();
    const [primary, shadow, secondary] = triple('t');
    const byLeg = { primary, shadow, secondary };
    const events = order.map((leg, n) => window.offer(byLeg[leg], T0 + n));
    expect(events.slice(0, 2).map((event) => event.kind)).toEqual(['waiting', 'waiting']);
    expect(events[2]).toEqual({ kind: 'paired', primary, shadow, secondary });
    expect(window.pendingCount).toBe(0);
    // Every leg is remembered: a copy of any is a duplicate.
    for (const leg of order) expect(window.offer(byLeg[leg], T0 + 10).kind).toBe('duplicate');
  });

  it('keeps the pair waiting for its secondary once primary and shadow are in, and lists all three while pending', () => {
    const window = join();
    const [primary, shadow, secondary] = triple('w');
    window.offer(primary, T0);
    expect(window.offer(shadow, T0 + 1)).toMatchObject({ kind: 'waiting', evicted: [] });
    expect(window.isPending('w')).toBe(true);
    expect(window.pendingLegs('w')).toEqual({ primary, shadow });
    expect(window.pendingArrivals().map(({ arrivedUnixMs, record: r }) => [arrivedUnixMs, r.leg])).toEqual([
      [T0, 'primary'],
      [T0, 'shadow'],
    ]);
    expect(window.offer(secondary, T0 + 2)).toEqual({ kind: 'paired', primary, shadow, secondary });
  });

  it('pairs at once without withSecondary, exactly as before; a secondary after that is late', () => {
    const window = join();
    const primary = record('primary', { id: 'p' });
    const shadow = record('shadow', { id: 'p' });
    window.offer(primary, T0);
    expect(window.offer(shadow, T0 + 1)).toEqual({ kind: 'paired', primary, shadow });
    expect(window.offer(record('secondary', { id: 'p' }), T0 + 2)).toEqual({ kind: 'late' });
  });

  it('makes a triple of a secondary that came first even when the primary does not announce it', () => {
    const window = join();
    const secondary = record('secondary', { id: 'u' });
    const primary = record('primary', { id: 'u' });
    const shadow = record('shadow', { id: 'u' });
    window.offer(secondary, T0);
    window.offer(primary, T0 + 1);
    expect(window.offer(shadow, T0 + 2)).toEqual({ kind: 'paired', primary, shadow, secondary });
  });

  it('closes a triple still missing its secondary as a pair (secondary_missing); the secondary after the close is late', () => {
    const window = join();
    const [primary, shadow, secondary] = triple('m');
    window.offer(primary, T0);
    window.offer(shadow, T0 + 5_000);
    expect(window.expire(T0 + OPTIONS.windowMs - 1)).toEqual([]);
    // The window is measured from the first leg's arrival, as for pairs.
    expect(window.expire(T0 + OPTIONS.windowMs)).toEqual([{ outcome: 'secondary_missing', primary, shadow }]);
    expect(window.offer(secondary, T0 + OPTIONS.windowMs + 1)).toEqual({ kind: 'late' });
    expect(window.offer(secondary, T0 + OPTIONS.windowMs + 2)).toEqual({ kind: 'duplicate' });
  });

  it('closes what is not a pair as before: one leg of the pair is missing its partner, a lone secondary is orphaned', () => {
    const window = join();
    const [p1, , s1] = triple('primary-and-secondary');
    const [, sh2, s2] = triple('shadow-and-secondary');
    const [, , s3] = triple('secondary-alone');
    for (const leg of [p1, s1, sh2, s2, s3]) window.offer(leg, T0);
    expect(window.expire(T0 + OPTIONS.windowMs).map(outcomeOf)).toEqual([
      'primary-and-secondary:shadow_missing',
      'shadow-and-secondary:primary_missing',
      'secondary-alone:secondary_orphaned',
    ]);
    // A shadow late after its window closed with the primary alone is late, not a new entry.
    expect(window.offer(record('shadow', { id: 'primary-and-secondary' }), T0 + OPTIONS.windowMs + 1).kind).toBe('late');
  });

  it('evicts within the caps: a pair waiting for its secondary is judged as a pair, a lone secondary is orphaned', () => {
    const window = join({ maxPending: 1 });
    const [primary, shadow] = triple('a');
    window.offer(primary, T0);
    window.offer(shadow, T0 + 1);
    expect(window.offer(record('secondary', { id: 'b' }), T0 + 2)).toEqual({
      kind: 'waiting',
      evicted: [],
      anew: false,
      closed: [{ outcome: 'secondary_missing', primary, shadow }],
    });
    const lone = record('secondary', { id: 'b' });
    const next = record('primary', { id: 'c' });
    expect(window.offer(next, T0 + 3)).toEqual({
      kind: 'waiting',
      evicted: [],
      anew: false,
      closed: [{ outcome: 'secondary_orphaned', record: lone }],
    });
    // One leg of a pair evicted beside its secondary is an eviction, as before.
    window.offer(record('secondary', { id: 'c' }), T0 + 4);
    expect(window.offer(record('primary', { id: 'd' }), T0 + 5)).toMatchObject({ kind: 'waiting', evicted: [next] });
  });

  it('holds every leg waiting in the pending budget, and gives it all back when the triple resolves', () => {
    const budget = new ByteBudget(1 << 20);
    const window = join({}, budget);
    const legs = triple('b');
    window.offer(legs[0], T0);
    window.offer(legs[1], T0 + 1);
    expect(budget.usedBytes).toBe(pendingLegBytes(legs[0]) + pendingLegBytes(legs[1]));
    window.offer(legs[2], T0 + 2);
    expect(budget.usedBytes).toBe(0);
    // The byte budget evicts a waiting pair like any pending entry.
    const small = new ByteBudget(pendingLegBytes(legs[0]) + pendingLegBytes(legs[1]) + 10);
    const tight = join({}, small);
    const other = triple('c');
    tight.offer(other[0], T0);
    const event = tight.offer(other[1], T0 + 1);
    expect(event).toMatchObject({ kind: 'waiting' });
    const [x] = triple('d');
    expect(tight.offer(x, T0 + 2)).toMatchObject({ closed: [{ outcome: 'secondary_missing' }] });
    expect(small.evictions).toBe(1);
  });

  it('restores the legs of a triple a restart left pending, without taking them for an earlier request, and remembers secondary legs', () => {
    const window = join();
    const [primary, shadow, secondary] = triple('r');
    const { evicted, superseded } = window.restore(
      [['done', 7, T0 + 60_000]],
      [
        { arrivedUnixMs: T0, record: primary },
        { arrivedUnixMs: T0 + 1, record: shadow },
      ],
    );
    expect({ evicted, superseded }).toEqual({ evicted: [], superseded: 0 });
    expect(window.pendingLegs('r')).toEqual({ primary, shadow });
    expect(window.offer(secondary, T0 + 2)).toEqual({ kind: 'paired', primary, shadow, secondary });
    // The remembered id had all three legs: a secondary copy is a duplicate.
    expect(window.offer(record('secondary', { id: 'done' }), T0 + 3)).toEqual({ kind: 'duplicate' });
    // A pair's leg that would resolve what was restored before it still supersedes it, as before.
    const again = join();
    const plain = record('primary', { id: 'x' });
    expect(
      again.restore(
        [],
        [
          { arrivedUnixMs: T0, record: plain },
          { arrivedUnixMs: T0 + 1, record: record('shadow', { id: 'x' }) },
        ],
      ).superseded,
    ).toBe(1);
  });

  it('resolves each id once, in any order with copies, as a triple when all its legs came in time', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.constantFrom('primary', 'shadow', 'secondary'), fc.boolean()), {
          maxLength: 80,
        }),
        (offers) => {
          const window = join();
          const byId = new Map<string, IngestedRecord[]>();
          const resolved = new Map<string, number>();
          let duplicates = 0;
          offers.forEach(([n, leg], at) => {
            const id = `id-${n}`;
            const legs = triple(id);
            const offered = legs.find((r) => r.leg === leg)!;
            const event: JoinEvent = window.offer(offered, T0 + at);
            const seen = byId.get(id) ?? [];
            if (seen.some((r) => r.leg === leg)) {
              expect(event.kind === 'duplicate' || event.kind === 'late').toBe(true);
              if (event.kind === 'duplicate') duplicates++;
            } else seen.push(offered);
            byId.set(id, seen);
            if (event.kind === 'paired') {
              expect(event.secondary).toEqual(legs[2]);
              resolved.set(id, (resolved.get(id) ?? 0) + 1);
            }
          });
          for (const closed of window.expire(T0 + OPTIONS.windowMs + 100)) {
            const id = 'record' in closed ? closed.record.id : closed.primary.id;
            resolved.set(id, (resolved.get(id) ?? 0) + 1);
          }
          for (const [id, seen] of byId) {
            expect(resolved.get(id)).toBe(1);
            if (seen.length === 3) expect(window.offer(triple(id)[2], T0 + 10 ** 6).kind).toBe('duplicate');
          }
          expect(duplicates).toBeLessThanOrEqual(offers.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
