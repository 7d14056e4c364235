import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { ByteBudget } from '../../../collector/budget/byteBudget.js';
import { InsertionOrderedMap } from '../../../collector/join/insertionOrderedMap.js';
import { pendingLegBytes } from '../../../collector/budget/sizeEstimates.js';
import { JoinWindow, type JoinWindowOptions } from '../../../collector/join/joinWindow.js';
import type { DigestRecord, MissingOutcome } from '../../../collector/types.js';
import { toEnd } from '../../../collector/timeSlices.js';
import { record, T0 } from '../fixtures.js';

/** Collects what offer() and expire() return, by kind. */
class RecordingSink {
  pairs: Array<[string, string]> = [];
  missing: Array<[string, MissingOutcome]> = [];
  evictions: string[] = [];
  duplicates: string[] = [];
  lates: string[] = [];
  paired(primary: DigestRecord, shadow: DigestRecord): void {
    expect(primary.leg).toBe('primary');
    expect(shadow.leg).toBe('shadow');
    expect(primary.id).toBe(shadow.id);
    this.pairs.push([primary.id, shadow.id]);
  }
  unpaired(r: DigestRecord, outcome: MissingOutcome): void {
    this.missing.push([r.id, outcome]);
  }
  evicted(r: DigestRecord): void {
    this.evictions.push(`${r.id}/${r.leg}`);
  }
  duplicate(r: DigestRecord): void {
    this.duplicates.push(`${r.id}/${r.leg}`);
  }
  late(r: DigestRecord): void {
    this.lates.push(`${r.id}/${r.leg}`);
  }
}

const OPTIONS: JoinWindowOptions = { windowMs: 30_000, maxPending: 1000, rememberMs: 60_000, maxRemembered: 1000 };

/** The window under test, with every outcome it returns passed to the recording sink; expire() answers how many windows closed. */
class RecordedJoin {
  readonly window: JoinWindow;

  constructor(
    options: JoinWindowOptions,
    private readonly sink: RecordingSink,
  ) {
    this.window = new JoinWindow(options, new ByteBudget(Number.MAX_SAFE_INTEGER));
  }

  get pendingCount(): number {
    return this.window.pendingCount;
  }

  get rememberedCount(): number {
    return this.window.rememberedCount;
  }

  offer(r: DigestRecord, now: number): void {
    const event = this.window.offer(r, now);
    if (event.kind === 'waiting') for (const evicted of event.evicted) this.sink.evicted(evicted);
    else if (event.kind === 'paired') this.sink.paired(event.primary, event.shadow);
    else if (event.kind === 'duplicate') this.sink.duplicate(r);
    else if (event.kind === 'late') this.sink.late(r);
  }

  expire(now: number): number {
    const closed = this.window.expire(now);
    for (const window of closed) {
      if (window.outcome === 'shadow_missing' || window.outcome === 'primary_missing') this.sink.unpaired(window.record, window.outcome);
    }
    return closed.length;
  }

  pendingLegs(id: string): ReturnType<JoinWindow['pendingLegs']> {
    return this.window.pendingLegs(id);
  }
}

function window(options: Partial<JoinWindowOptions> = {}): { join: RecordedJoin; sink: RecordingSink } {
  const sink = new RecordingSink();
  return { join: new RecordedJoin({ ...OPTIONS, ...options }, sink), sink };
}

describe('JoinWindow', () => {
  it('pairs legs that arrive primary first', () => {
    const { join, sink } = window();
    join.offer(record('primary', { id: 'a' }), T0);
    expect(sink.pairs).toEqual([]);
    expect(join.pendingCount).toBe(1);
    join.offer(record('shadow', { id: 'a' }), T0 + 10);
    expect(sink.pairs).toEqual([['a', 'a']]);
    expect(join.pendingCount).toBe(0);
  });

  it('pairs legs that arrive shadow first', () => {
    const { join, sink } = window();
    join.offer(record('shadow', { id: 'b' }), T0);
    join.offer(record('primary', { id: 'b' }), T0 + 29_999);
    expect(sink.pairs).toEqual([['b', 'b']]);
    expect(sink.missing).toEqual([]);
  });

  it('counts a re-delivered leg once, while pending and after pairing', () => {
    const { join, sink } = window();
    join.offer(record('primary', { id: 'c' }), T0);
    join.offer(record('primary', { id: 'c' }), T0 + 1);
    join.offer(record('shadow', { id: 'c' }), T0 + 2);
    join.offer(record('shadow', { id: 'c' }), T0 + 3);
    join.offer(record('primary', { id: 'c' }), T0 + 4);
    expect(sink.pairs).toHaveLength(1);
    expect(sink.duplicates).toEqual(['c/primary', 'c/shadow', 'c/primary']);
  });

  it('expires an unpaired primary as shadow_missing and an unpaired shadow as primary_missing', () => {
    const { join, sink } = window();
    join.offer(record('primary', { id: 'p' }), T0);
    join.offer(record('shadow', { id: 's' }), T0 + 1_000);
    expect(join.expire(T0 + 29_999)).toBe(0);
    expect(join.expire(T0 + 30_000)).toBe(1);
    expect(sink.missing).toEqual([['p', 'shadow_missing']]);
    expect(join.expire(T0 + 31_000)).toBe(1);
    expect(sink.missing).toEqual([
      ['p', 'shadow_missing'],
      ['s', 'primary_missing'],
    ]);
    expect(join.pendingCount).toBe(0);
  });

  it('reports a leg arriving after its window as late, not as a second missing leg', () => {
    const { join, sink } = window();
    join.offer(record('primary', { id: 'l' }), T0);
    join.expire(T0 + 30_000);
    join.offer(record('shadow', { id: 'l' }), T0 + 31_000);
    join.expire(T0 + 70_000);
    expect(sink.missing).toEqual([['l', 'shadow_missing']]);
    expect(sink.lates).toEqual(['l/shadow']);
    expect(sink.pairs).toEqual([]);
    expect(join.pendingCount).toBe(0);
  });

  it('forgets resolved ids after rememberMs, so memory does not grow with history', () => {
    const { join, sink } = window({ rememberMs: 5_000 });
    join.offer(record('primary', { id: 'f' }), T0);
    join.offer(record('shadow', { id: 'f' }), T0);
    expect(join.rememberedCount).toBe(1);
    join.expire(T0 + 5_000);
    expect(join.rememberedCount).toBe(0);
    // Past the memory horizon the id is new again; the guarantee is documented as bounded.
    join.offer(record('primary', { id: 'f' }), T0 + 6_000);
    expect(sink.duplicates).toEqual([]);
    expect(join.pendingCount).toBe(1);
  });

  it('caps pending entries, evicting the oldest first', () => {
    const { join, sink } = window({ maxPending: 2 });
    join.offer(record('primary', { id: 'e1' }), T0);
    join.offer(record('shadow', { id: 'e2' }), T0 + 1);
    join.offer(record('primary', { id: 'e3' }), T0 + 2);
    expect(sink.evictions).toEqual(['e1/primary']);
    expect(join.pendingCount).toBe(2);
    // The evicted id's partner is late, not a new pending entry.
    join.offer(record('shadow', { id: 'e1' }), T0 + 3);
    expect(sink.lates).toEqual(['e1/shadow']);
    expect(join.pendingCount).toBe(2);
  });

  it('caps remembered ids', () => {
    const { join } = window({ maxRemembered: 3 });
    for (let i = 0; i < 10; i++) {
      join.offer(record('primary', { id: `r${i}` }), T0);
      join.offer(record('shadow', { id: `r${i}` }), T0);
    }
    expect(join.rememberedCount).toBe(3);
  });

  it('says an id is pending anew when it resolved since the changes last written, and takes it as forgotten, not settled', () => {
    const join = new JoinWindow({ ...OPTIONS, maxRemembered: 1, trackChanges: true }, new ByteBudget(Number.MAX_SAFE_INTEGER));
    const anew = (id: string, now: number): boolean => {
      const event = join.offer(record('primary', { id }), now);
      if (event.kind !== 'waiting') throw new Error(`${id} was ${event.kind}`);
      return event.anew;
    };
    /** `id` paired, then forgotten (another id resolved past the cap of 1). */
    const resolvedAndForgotten = (id: string, now: number): void => {
      join.offer(record('primary', { id }), now);
      join.offer(record('shadow', { id }), now);
      join.offer(record('primary', { id: `push-${id}` }), now);
      join.offer(record('shadow', { id: `push-${id}` }), now);
    };
    expect(anew('new', T0)).toBe(false);
    resolvedAndForgotten('a', T0);
    expect(anew('a', T0 + 1)).toBe(true);
    // Pending again: neither settled nor remembered; forgotten, so that a tombstone the store holds goes.
    expect(join.takeChanges()).toEqual({
      settled: ['push-a'],
      remembered: [['push-a', 3, T0 + OPTIONS.rememberMs]],
      forgotten: ['a'],
    });
    join.changesWritten(true);
    // Resolved and forgotten while the changes that have it are being written: anew until they are.
    resolvedAndForgotten('b', T0 + 2);
    join.takeChanges();
    expect(anew('b', T0 + 3)).toBe(true);
    join.changesWritten(true);
    // Changes taken and not written are changes again: their ids pending anew are anew until written.
    resolvedAndForgotten('c', T0 + 4);
    join.takeChanges();
    join.changesWritten(false);
    expect(anew('c', T0 + 5)).toBe(true);
    join.takeChanges();
    join.changesWritten(true);
    resolvedAndForgotten('d', T0 + 6);
    join.takeChanges();
    join.changesWritten(true);
    expect(anew('d', T0 + 7)).toBe(false);
    // Without trackChanges, never.
    const plain = new JoinWindow({ ...OPTIONS, maxRemembered: 1 }, new ByteBudget(Number.MAX_SAFE_INTEGER));
    plain.offer(record('primary', { id: 'e' }), T0);
    plain.offer(record('shadow', { id: 'e' }), T0);
    plain.offer(record('primary', { id: 'f' }), T0);
    plain.offer(record('shadow', { id: 'f' }), T0);
    expect(plain.offer(record('primary', { id: 'e' }), T0)).toMatchObject({ kind: 'waiting', anew: false });
  });

  it('expires without scanning entries that are still inside their window', () => {
    const { join } = window({ maxPending: 200_000 });
    for (let i = 0; i < 100_000; i++) join.offer(record('primary', { id: `x${i}` }), T0 + i);
    // Counted, not timed: the window reaches its entries only through these, and a no-op expiry
    // may look at the front of its two maps and nothing else (bench/joinWindowFill.ts times it).
    const reads = (['oldest', 'get', 'entries', 'values', 'shift'] as const).map(
      (method) => [method, vi.spyOn(InsertionOrderedMap.prototype, method)] as const,
    );
    for (let i = 0; i < 10_000; i++) join.expire(T0 + 29_999);
    const calls = Object.fromEntries(reads.map(([method, spy]) => [method, spy.mock.calls.length]));
    for (const [, spy] of reads) spy.mockRestore();
    expect(calls).toEqual({ oldest: 20_000, get: 0, entries: 0, values: 0, shift: 0 });
    expect(join.pendingCount).toBe(100_000);
    expect(join.expire(T0 + 30_000 + 49_999)).toBe(50_000);
  });

  it('exposes the legs of a pending id for lookups', () => {
    const { join } = window();
    join.offer(record('shadow', { id: 'q' }), T0);
    expect(join.pendingLegs('q')?.shadow?.id).toBe('q');
    expect(join.pendingLegs('q')?.primary).toBeNull();
    expect(join.pendingLegs('nope')).toBeUndefined();
  });

  it('exposes only the leg that arrived: a pending primary has no shadow', () => {
    const { join } = window();
    join.offer(record('primary', { id: 'q' }), T0);
    expect(join.pendingLegs('q')?.primary?.id).toBe('q');
    expect(join.pendingLegs('q')?.shadow).toBeNull();
  });

  it('counts a late leg once: its re-delivery, like the expired leg again, is a duplicate', () => {
    const { join, sink } = window();
    join.offer(record('primary', { id: 'd' }), T0);
    join.expire(T0 + 30_000);
    join.offer(record('shadow', { id: 'd' }), T0 + 31_000);
    join.offer(record('shadow', { id: 'd' }), T0 + 32_000);
    join.offer(record('primary', { id: 'd' }), T0 + 33_000);
    expect(sink.lates).toEqual(['d/shadow']);
    expect(sink.duplicates).toEqual(['d/shadow', 'd/primary']);
  });

  it('after a restore, keeps a pending leg pending with its own deadline and the legs seen, even when rememberMs is shorter', () => {
    const before = window();
    before.join.offer(record('primary', { id: 't' }), T0);
    const { join, sink } = window({ windowMs: 30_000, rememberMs: 5_000 });
    expect(join.window.restore(before.join.window.rememberedIds(), before.join.window.pendingArrivals())).toEqual({
      evicted: [],
      superseded: 0,
    });
    join.expire(T0 + 29_999);
    join.offer(record('primary', { id: 't' }), T0 + 29_999);
    join.offer(record('shadow', { id: 't' }), T0 + 29_999);
    expect(sink.duplicates).toEqual(['t/primary']);
    expect(sink.pairs).toEqual([['t', 't']]);
    expect(join.pendingCount).toBe(0);
    join.expire(T0 + 29_999 + 5_000);
    expect(join.rememberedCount).toBe(0);
  });

  it('pairs every id exactly once whatever the arrival order and duplication (property)', () => {
    // Each id gets 0-3 copies of each leg; all copies arrive in a random order.
    const requests = fc.uniqueArray(fc.record({ id: fc.stringMatching(/^[a-z0-9]{1,8}$/), primary: fc.nat(3), shadow: fc.nat(3) }), {
      selector: (r) => r.id,
      maxLength: 40,
    });
    const deliveries = requests.chain((reqs) => {
      const copies = reqs.flatMap((r) => [
        ...Array.from({ length: r.primary }, () => record('primary', { id: r.id })),
        ...Array.from({ length: r.shadow }, () => record('shadow', { id: r.id })),
      ]);
      return fc.tuple(fc.constant(reqs), fc.shuffledSubarray(copies, { minLength: copies.length }));
    });
    fc.assert(
      fc.property(deliveries, ([reqs, arrivals]) => {
        const { join, sink } = window();
        arrivals.forEach((r, i) => join.offer(r, T0 + i));
        const paired = reqs.filter((r) => r.primary > 0 && r.shadow > 0).map((r) => r.id);
        const oneLeg = reqs.filter((r) => r.primary > 0 !== r.shadow > 0).length;
        const extraCopies = reqs.reduce((n, r) => n + Math.max(0, r.primary - 1) + Math.max(0, r.shadow - 1), 0);
        expect(sink.pairs.map(([id]) => id).sort()).toEqual(paired.sort());
        expect(sink.duplicates).toHaveLength(extraCopies);
        expect(join.pendingCount).toBe(oneLeg);
        join.expire(T0 + 1_000_000);
        expect(sink.missing).toHaveLength(oneLeg);
      }),
      { numRuns: 300 },
    );
  });
});

describe('JoinWindow.wholeSnapshot', () => {
  /** What a whole snapshot must hold: the ids as they are now; the pending ones as a set, the tombstones in their order. */
  function idsNow(join: JoinWindow): { pending: string[]; remembered: string[] } {
    return { pending: join.pendingIds().sort(), remembered: join.rememberedIds().map((r) => JSON.stringify(r)) };
  }

  function readInto(items: Iterable<string | [string, number, number]>, into: { pending: string[]; remembered: string[] }): void {
    for (const item of items) {
      if (typeof item === 'string') into.pending.push(item);
      else into.remembered.push(JSON.stringify(item));
    }
  }

  it('holds the ids as they were when taken (the tombstones in their order), while legs pair, windows close, tombstones are forgotten and pending legs are evicted between its steps (property)', () => {
    // A step: offer a leg of one of a few ids (pairing, late, duplicate, evicting past the cap, a
    // tombstone forgotten past its cap), let time pass (windows close, tombstones are forgotten),
    // or read the snapshot on.
    type Step = { kind: 'offer'; id: number; shadow: boolean } | { kind: 'advance'; ms: number } | { kind: 'read'; items: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant('offer' as const), id: fc.nat(30), shadow: fc.boolean() }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.nat(40) }),
      fc.record({ kind: fc.constant('read' as const), items: fc.nat(4) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.array(step, { maxLength: 200 }), (before, during) => {
        const join = new JoinWindow(
          { windowMs: 50, maxPending: 8, rememberMs: 80, maxRemembered: 10 },
          new ByteBudget(Number.MAX_SAFE_INTEGER),
        );
        let now = T0;
        const change = (s: Step): void => {
          if (s.kind === 'offer') join.offer(record(s.shadow ? 'shadow' : 'primary', { id: `r${s.id}` }), now);
          else if (s.kind === 'advance') {
            now += s.ms;
            join.expire(now);
          }
        };
        before.forEach(change);
        const expected = idsNow(join);
        const read = { pending: [] as string[], remembered: [] as string[] };
        const reading = join.wholeSnapshot()[Symbol.iterator]();
        const rest = { [Symbol.iterator]: () => reading };
        for (const s of during) {
          change(s);
          for (let i = 0; s.kind === 'read' && i < s.items; i++) {
            const next = reading.next();
            if (next.done === true) break;
            readInto([next.value], read);
          }
        }
        readInto(rest, read);
        expect({ pending: read.pending.sort(), remembered: read.remembered }).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('ends the copying once read: a second snapshot holds the ids as they were when it was taken', () => {
    const join = new JoinWindow({ ...OPTIONS }, new ByteBudget(Number.MAX_SAFE_INTEGER));
    join.offer(record('primary', { id: 'a' }), T0);
    join.offer(record('primary', { id: 'b' }), T0);
    const first = { pending: [] as string[], remembered: [] as string[] };
    readInto(join.wholeSnapshot(), first);
    join.offer(record('shadow', { id: 'a' }), T0 + 1);
    const second = { pending: [] as string[], remembered: [] as string[] };
    readInto(join.wholeSnapshot(), second);
    expect(first).toEqual({ pending: ['a', 'b'], remembered: [] });
    expect(second).toEqual({ pending: ['b'], remembered: [JSON.stringify(['a', 3, T0 + 1 + OPTIONS.rememberMs])] });
  });
});

describe('JoinWindow within the pending byte budget', () => {
  const heavy = (id: string, n: number): DigestRecord =>
    record('primary', { id, fields: Object.fromEntries(Array.from({ length: n }, (_, i) => [`$.${'k'.repeat(200)}${i}`, '00000001'])) });

  it('evicts the oldest pending legs when the bytes run out, and never holds more than the budget', () => {
    const budget = new ByteBudget(pendingLegBytes(heavy('x', 50)) * 3 + 100);
    const join = new JoinWindow({ ...OPTIONS, maxPending: 1_000_000 }, budget);
    const evicted: string[] = [];
    for (let i = 0; i < 10; i++) {
      const event = join.offer(heavy(`h-${i}`, 50), T0 + i);
      if (event.kind === 'waiting') evicted.push(...event.evicted.map((r) => r.id));
      expect(budget.usedBytes).toBeLessThanOrEqual(budget.limitBytes);
    }
    expect(join.pendingCount).toBe(3);
    expect(evicted).toEqual(['h-0', 'h-1', 'h-2', 'h-3', 'h-4', 'h-5', 'h-6']);
    expect(budget.evictions).toBe(7);
    // The partner of an evicted leg is late, not a new pending entry.
    expect(join.offer({ ...heavy('h-0', 1), leg: 'shadow' }, T0 + 20).kind).toBe('late');
    // Pairing and expiry give the bytes back.
    expect(join.offer({ ...heavy('h-9', 1), leg: 'shadow' }, T0 + 21).kind).toBe('paired');
    join.expire(T0 + OPTIONS.windowMs + 100);
    expect(budget.usedBytes).toBe(0);
  });

  it('takes the estimate it is given for a first leg (the store made it for its row) rather than estimating again', () => {
    const budget = new ByteBudget(1 << 20);
    const join = new JoinWindow(OPTIONS, budget);
    join.offer(heavy('given', 10), T0, 1234);
    expect(budget.usedBytes).toBe(1234);
    join.offer(heavy('estimated', 10), T0);
    expect(budget.usedBytes).toBe(1234 + pendingLegBytes(heavy('estimated', 10)));
    // Pairing gives back what was taken, whatever the partner's estimate.
    expect(join.offer({ ...heavy('given', 10), leg: 'shadow' }, T0 + 1, 999).kind).toBe('paired');
    expect(budget.usedBytes).toBe(pendingLegBytes(heavy('estimated', 10)));
  });

  it('evicts a single leg larger than the whole budget at once, keeping the others', () => {
    const budget = new ByteBudget(pendingLegBytes(heavy('x', 10)) * 2);
    const join = new JoinWindow(OPTIONS, budget);
    join.offer(heavy('small', 10), T0);
    const event = join.offer(heavy('huge', 400), T0 + 1);
    expect(event).toMatchObject({ kind: 'waiting', evicted: [{ id: 'huge' }] });
    expect(join.pendingCount).toBe(1);
    expect(join.pendingLegs('small')).toBeDefined();
    expect(budget.refusals).toBe(1);
    expect(join.offer({ ...heavy('huge', 1), leg: 'shadow' }, T0 + 2).kind).toBe('late');
  });
});

describe('JoinWindow with deferred legs (a restart left them in the store)', () => {
  /** A deferred leg whose reads are counted; `damaged` reads answer null, as a row that cannot be read back. */
  function deferred(id: string, leg: 'primary' | 'shadow', damaged = false) {
    const stands = record(leg, { id });
    const reads = { count: 0 };
    const held = {
      deferred: true as const,
      id,
      leg,
      bytes: pendingLegBytes(stands),
      read: () => {
        reads.count++;
        return damaged ? null : stands;
      },
    };
    return { held, stands, reads };
  }

  it('reads a deferred leg only when it is needed: paired, closed, evicted, looked up; the budget holds what the record would', () => {
    const budget = new ByteBudget(1 << 20);
    const join = new JoinWindow(OPTIONS, budget);
    const [a, b, c] = [deferred('a', 'primary'), deferred('b', 'shadow'), deferred('c', 'primary')];
    join.restore(
      [],
      [
        { arrivedUnixMs: T0, record: a.held },
        { arrivedUnixMs: T0 + 10, record: b.held },
        { arrivedUnixMs: T0 + 20, record: c.held },
        // A copy logged while `a` was pending: dropped by id and role, never read.
        { arrivedUnixMs: T0 + 30, record: deferred('a', 'primary').held },
      ],
    );
    expect([a.reads.count, b.reads.count, c.reads.count]).toEqual([0, 0, 0]);
    expect(budget.usedBytes).toBe(a.held.bytes + b.held.bytes + c.held.bytes);
    expect(join.isPending('a')).toBe(true);
    expect(a.reads.count).toBe(0);

    const event = join.offer(record('shadow', { id: 'a' }), T0 + 100);
    expect(event).toEqual({ kind: 'paired', primary: a.stands, shadow: record('shadow', { id: 'a' }) });
    expect(join.pendingLegs('b')).toEqual({ primary: null, shadow: b.stands });
    expect(join.expire(T0 + OPTIONS.windowMs + 10)).toEqual([{ record: b.stands, outcome: 'primary_missing' }]);
    expect([a.reads.count, b.reads.count, c.reads.count]).toEqual([1, 2, 0]);
    expect(budget.usedBytes).toBe(c.held.bytes);
  });

  it('reads ahead in deadline order up to the time given, once each, skipping what resolved meanwhile', () => {
    const join = new JoinWindow(OPTIONS, new ByteBudget(1 << 20));
    const legs = ['a', 'b', 'c', 'd'].map((id) => deferred(id, 'primary'));
    join.restore(
      [],
      legs.map(({ held }, n) => ({ arrivedUnixMs: T0 + n * 1000, record: held })),
    );
    join.offer(record('shadow', { id: 'b' }), T0 + 5000);
    expect(legs[1]!.reads.count).toBe(1);
    // Windows closing up to T0 + 2000 + windowMs: a, (b resolved), c.
    toEnd(join.readAhead(T0 + 2000 + OPTIONS.windowMs));
    expect(legs.map(({ reads }) => reads.count)).toEqual([1, 1, 1, 0]);
    expect(join.hasDeferred).toBe(true);
    expect(join.expire(T0 + 2000 + OPTIONS.windowMs).map((closed) => ('record' in closed ? closed.record.id : closed.primary.id))).toEqual([
      'a',
      'c',
    ]);
    expect(legs.map(({ reads }) => reads.count)).toEqual([1, 1, 1, 0]);
    toEnd(join.readAhead(Number.POSITIVE_INFINITY));
    expect(join.hasDeferred).toBe(false);
    expect(legs.map(({ reads }) => reads.count)).toEqual([1, 1, 1, 1]);
    expect(join.pendingLegs('d')).toEqual({ primary: legs[3]!.stands, shadow: null });
  });

  it('drops a deferred leg that cannot be read back: its window closes with nothing, its partner is late, an eviction returns nothing', () => {
    const budget = new ByteBudget(1 << 20);
    const join = new JoinWindow({ ...OPTIONS, maxPending: 2 }, budget);
    const [a, b, c] = [deferred('a', 'primary', true), deferred('b', 'primary', true), deferred('c', 'primary', true)];
    // Three under a cap of two: the oldest is evicted at the restore, and it cannot be read.
    expect(
      join.restore(
        [],
        [a, b, c].map(({ held }, n) => ({ arrivedUnixMs: T0 + n, record: held })),
      ),
    ).toEqual({ evicted: [], superseded: 0 });
    expect(a.reads.count).toBe(1);
    expect(join.offer(record('shadow', { id: 'b' }), T0 + 10)).toEqual({ kind: 'late' });
    expect(join.expire(T0 + OPTIONS.windowMs + 10)).toEqual([]);
    expect(join.pendingCount).toBe(0);
    expect(budget.usedBytes).toBe(0);
  });
});
