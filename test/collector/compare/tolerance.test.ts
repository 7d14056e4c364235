// Tolerances: a numeric difference declared acceptable is reported within tolerance, never as a
// divergence and never hidden; anything else about the pair still decides.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IgnoreRules } from '../../../collector/compare/ignoreRules.js';
import { numericDifference } from '../../../collector/compare/magnitude.js';
import { comparePair } from '../../../collector/compare/pairCompare.js';
import { Tolerances } from '../../../collector/compare/tolerance.js';
import { parseConfig } from '../../../collector/config.js';
import { legs } from '../fixtures.js';

const NO_IGNORE = new IgnoreRules({ fields: [], headers: [], routes: {} }).forRoute('GET /orders/{id}');

function pair(primaryTotal: string, shadowTotal: string, shadowHash = '22222222') {
  return legs(
    'p-1',
    { fields: { '$.id': '0000002a', '$.total': shadowHash }, values: { '$.total': shadowTotal } },
    { values: { '$.total': primaryTotal } },
  );
}

describe('tolerances', () => {
  it('show both values and the magnitude of a diverging numeric field', () => {
    const [p, s] = pair('n12.345', 'n12.3451');
    const diff = comparePair(p, s, NO_IGNORE, []);
    expect(diff.diverged).toBe(true);
    expect(diff.fields).toEqual([
      {
        path: '$.total',
        change: 'changed',
        primary: '11111111',
        shadow: '22222222',
        primaryValue: '12.345',
        shadowValue: '12.3451',
        magnitude: { abs: 0.0001, rel: 0.0001 / 12.3451 },
      },
    ]);
    expect(diff).not.toHaveProperty('withinTolerance');
  });

  it('move a difference within abs to withinTolerance: not diverged, still listed', () => {
    const [p, s] = pair('n12.345', 'n12.3451');
    const diff = comparePair(p, s, NO_IGNORE, [], new Tolerances([{ path: '$.total', abs: 0.0001 }]));
    expect(diff.diverged).toBe(false);
    expect(diff.fields).toEqual([]);
    expect(diff.withinTolerance).toMatchObject([{ path: '$.total', primaryValue: '12.345', shadowValue: '12.3451' }]);
  });

  it('are exact at the boundary and refuse what is beyond it', () => {
    const at = new Tolerances([{ path: '$.*', abs: 0.001 }]);
    expect(at.within('$.total', numericDifference('n12.345', 'n12.346')!)).toBe(true);
    expect(at.within('$.total', numericDifference('n12.345', 'n12.3460001')!)).toBe(false);
    const rel = new Tolerances([{ path: '$.total', rel: 0.01 }]);
    expect(rel.within('$.total', numericDifference('n100', 'n101')!)).toBe(true);
    expect(rel.within('$.total', numericDifference('n100', 'n102')!)).toBe(false);
    expect(rel.within('$.other', numericDifference('n100', 'n101')!)).toBe(false);
  });

  it('take the first tolerance whose glob matches, with [*] for any index', () => {
    const t = new Tolerances([
      { path: '$.lines[*].price', abs: 0.5 },
      { path: '$.lines', abs: 0 },
    ]);
    expect(t.within('$.lines[3].price', numericDifference('n1', 'n1.5')!)).toBe(true);
    expect(t.within('$.lines[3].qty', numericDifference('n1', 'n1.5')!)).toBe(false);
  });

  it('never tolerate what is not a numeric difference: strings, a missing value, a status change', () => {
    const tolerances = new Tolerances([{ path: '$.total', abs: 1e9 }]);
    const [p, s] = pair('sa', 'sb');
    expect(comparePair(p, s, NO_IGNORE, [], tolerances).diverged).toBe(true);
    const [p2, s2] = legs('p-2', { fields: { '$.id': '0000002a', '$.total': '22222222' }, values: {} }, { values: { '$.total': 'n1' } });
    expect(comparePair(p2, s2, NO_IGNORE, [], tolerances).diverged).toBe(true);
    const [p3, s3] = pair('n1', 'n1.5');
    const statusChanged = comparePair(p3, { ...s3, status: 201 }, NO_IGNORE, [], tolerances);
    expect(statusChanged).toMatchObject({ diverged: true, kinds: ['status'] });
    expect(statusChanged.withinTolerance).toHaveLength(1);
  });

  it('decide by |p - s| <= abs for any decimals (property)', () => {
    const cents = fc.integer({ min: -1_000_000, max: 1_000_000 });
    fc.assert(
      fc.property(cents, cents, fc.integer({ min: 0, max: 2_000_000 }), (a, b, tol) => {
        const text = (n: number) => `n${(n / 10_000).toString()}`;
        const within = new Tolerances([{ path: '$.x', abs: tol / 10_000 }]).within('$.x', numericDifference(text(a), text(b))!);
        expect(within).toBe(Math.abs(a - b) <= tol);
      }),
    );
  });

  it('are validated at the edge, naming the field', () => {
    expect(() => parseConfig({ compare: { tolerances: [{ path: '$.a' }] } })).toThrow('compare.tolerances[0]: needs abs or rel');
    expect(() => parseConfig({ compare: { tolerances: [{ path: 'totals', abs: 1 }] } })).toThrow(
      'compare.tolerances[0].path: must start with "$"',
    );
    expect(() => parseConfig({ compare: { tolerances: [{ path: '$.a', abs: -1 }] } })).toThrow('compare.tolerances[0].abs');
    expect(() => parseConfig({ compare: { tolerances: [{ path: '$.a', abs: 1, within: 2 }] } })).toThrow('compare.tolerances[0]');
  });
});
