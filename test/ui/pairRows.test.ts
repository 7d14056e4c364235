import { describe, expect, it } from 'vitest';
import type { PairView } from '../../collector/types.js';
import { pairRows, type LegRecord } from '../../collector/ui/pairRows.js';

const leg = (overrides: Partial<LegRecord>): LegRecord =>
  ({
    status: 200,
    complete: true,
    bodyHash: 'aaaa',
    respBytes: 40,
    json: 'ok',
    fieldsTruncated: false,
    lastByteUs: 2500,
    segment: 'employees',
    method: 'GET',
    path: '/orders/3',
    headers: { 'content-type': 'h1' },
    fields: { '$.id': 'f1', '$.price': 'f2', '$.currency': 'f3' },
    ...overrides,
  }) as LegRecord;

function pair(overrides: Partial<PairView> = {}): PairView {
  return {
    id: 'p-1',
    state: 'paired',
    route: 'GET /orders/{id}',
    primary: leg({ values: { '$.price': 'n10', '$.currency': 'sEUR' } }),
    shadow: leg({
      bodyHash: 'bbbb',
      headers: { 'content-type': 'h1', etag: 'e2' },
      fields: { '$.id': 'f1', '$.price': 'f9', '$.extra': 'f4' },
    }),
    diff: {
      diverged: true,
      kinds: ['field', 'header'],
      fallback: null,
      status: { primary: 200, shadow: 200 },
      statusClassChanged: false,
      completionChanged: false,
      bodyHashDiffers: true,
      headers: [{ name: 'etag', change: 'extra_in_shadow', primary: null, shadow: 'e2' }],
      fields: [
        { path: '$.price', change: 'changed', primary: 'f2', shadow: 'f9', primaryValue: '10', shadowValue: '9.99' },
        { path: '$.currency', change: 'missing_in_shadow', primary: 'f3', shadow: null },
        { path: '$.extra', change: 'extra_in_shadow', primary: null, shadow: 'f4' },
      ],
      ignoredHeaders: 0,
      ignoredFields: 0,
      withinTolerance: [{ path: '$.id', change: 'changed', primary: 'f1', shadow: 'f1' }],
    } as PairView['diff'],
    resolvedAtUnixMs: 1,
    ...overrides,
  };
}

describe('the pair page rows', () => {
  it('marks exactly the fields the diff names, with values where captured and hashes otherwise', () => {
    const { fields } = pairRows(pair());
    expect(fields).toEqual([
      { key: '$.id', primary: '#f1', shadow: '#f1', difference: 'within_tolerance' },
      { key: '$.price', primary: '10', shadow: '9.99', difference: 'changed' },
      { key: '$.currency', primary: '"EUR"', shadow: null, difference: 'missing_in_shadow' },
      { key: '$.extra', primary: null, shadow: '#f4', difference: 'extra_in_shadow' },
    ]);
  });

  it('lists every header either leg has, sorted, marking the ones that differed', () => {
    expect(pairRows(pair()).headers).toEqual([
      { key: 'content-type', primary: 'h1', shadow: 'h1', difference: null },
      { key: 'etag', primary: null, shadow: 'e2', difference: 'extra_in_shadow' },
    ]);
  });

  it('marks the response properties the diff says changed', () => {
    const summary = new Map(pairRows(pair()).summary.map((row) => [row.key, row]));
    expect(summary.get('status')).toEqual({ key: 'status', primary: '200', shadow: '200', difference: null });
    expect(summary.get('body hash')?.difference).toBe('changed');
    expect(summary.get('latency (last byte)')?.primary).toBe('2.5 ms');
  });

  it('shows a pending pair with one leg, nothing marked', () => {
    const rows = pairRows(pair({ state: 'pending', shadow: null, diff: null }));
    expect(rows.fields.every((row) => row.difference === null && row.shadow === null)).toBe(true);
    expect(rows.fields.map((row) => row.primary)).toEqual(['#f1', '10', '"EUR"']);
    expect(rows.summary.find((row) => row.key === 'status')).toEqual({ key: 'status', primary: '200', shadow: null, difference: null });
  });
});
