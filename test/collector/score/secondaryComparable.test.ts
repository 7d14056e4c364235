import { describe, expect, it } from 'vitest';
import { secondaryComparable, secondaryOutcome } from '../../../collector/score/secondaryComparable.js';
import { FieldRows } from '../../../collector/compare/fieldRows.js';
import { PairComparer } from '../../../collector/compare/pairComparer.js';
import { config, record } from '../fixtures.js';

const reached = { upstreamUs: 5_000 };

describe('secondaryComparable', () => {
  it('takes a secondary that answered as the primary did: same status, both upstreams reached or neither record saying (wire format 1)', () => {
    expect(secondaryComparable(record('primary', reached), record('secondary', { upstreamUs: 7_000 }))).toBe(true);
    expect(secondaryComparable(record('primary'), record('secondary'))).toBe(true);
    // Two local replies of one status are alike: nothing between them can pass for noise.
    expect(secondaryComparable(record('primary', { status: 503 }), record('secondary', { status: 503 }))).toBe(true);
  });

  it('refuses a secondary that is down (a local reply), one of another status, and one that alone reached its upstream', () => {
    const down = record('secondary', { status: 503, json: 'none', fields: {}, headers: { 'content-type': 'deadbeef' } });
    expect(secondaryComparable(record('primary', reached), down)).toBe(false);
    expect(secondaryComparable(record('primary', reached), { ...down, status: 200 })).toBe(false);
    expect(secondaryComparable(record('primary', reached), record('secondary', { ...reached, status: 500 }))).toBe(false);
    expect(secondaryComparable(record('primary', reached), record('secondary', { ...reached, status: 201 }))).toBe(false);
    expect(secondaryComparable(record('primary', { status: 503 }), record('secondary', { ...reached, status: 503 }))).toBe(false);
  });
});

describe('secondaryOutcome', () => {
  it('names a missing secondary, a comparable one and one that is not', () => {
    const primary = record('primary', reached);
    const c = config();
    const diff = new PairComparer(c, new FieldRows(c.compare)).compare(primary, primary, 'GET /orders/{id}');
    expect(secondaryOutcome(primary, null)).toBe('secondary_missing');
    expect(secondaryOutcome(primary, { record: record('secondary', reached), diff })).toBe('triple');
    expect(secondaryOutcome(primary, { record: record('secondary', { status: 503 }), diff })).toBe('secondary_unusable');
  });
});
