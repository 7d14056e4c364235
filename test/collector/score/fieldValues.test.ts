// Captured values through the pipeline: the report shows both values of a field's examples, ranks
// numeric fields by magnitude, counts what was within tolerance (pairs and per field), keeps it
// within the tallies budget, and a snapshot with all of it passes the store's schema and restores.
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { renderPair, renderReport } from '../../../collector/cli/reportTable.js';
import { CollectorMetrics } from '../../../collector/metrics/collectorMetrics.js';
import { Pipeline } from '../../../collector/pipeline.js';
import { PipelineSnapshotSchema } from '../../../collector/store/snapshotSchema.js';
import type { CollectorConfig, IngestedRecord } from '../../../collector/types.js';
import { config, FakeClock, legs } from '../fixtures.js';

function pipeline(overrides: (c: CollectorConfig) => void = () => {}) {
  return new Pipeline(config(overrides), new FakeClock(), new CollectorMetrics({ defaultMetrics: false }));
}

/** A pair whose `$.total` is `primary` and `shadow` (captured), hashed apart when they differ. */
function totals(id: string, primary: string, shadow: string): [IngestedRecord, IngestedRecord] {
  const hash = (value: string) => (value === primary ? '11111111' : '22222222');
  return legs(
    id,
    { fields: { '$.id': '0000002a', '$.total': hash(shadow) }, values: { '$.total': `n${shadow}` } },
    { values: { '$.total': `n${primary}` } },
  );
}

describe('captured values in the report', () => {
  it('shows both values of the examples and the magnitude of a numeric field', () => {
    const p = pipeline();
    p.ingest(totals('a', '12.345', '12.3451'));
    p.ingest(totals('b', '10', '10.0002'));
    p.ingest(totals('c', '7', '7'));
    const route = p.report().routes[0]!;
    const field = route.fields.find((f) => f.path === '$.total')!;
    expect(field.divergentPairs).toBe(2);
    expect(field.exampleValues).toEqual([
      { id: 'b', primary: '10', shadow: '10.0002' },
      { id: 'a', primary: '12.345', shadow: '12.3451' },
    ]);
    expect(field.magnitude).toMatchObject({ measured: 2, maxAbs: 0.0002 });
    expect(field.magnitude?.typicalAbs).toBeCloseTo(0.00015, 12);
    expect(field.magnitude?.smallest).toEqual({ abs: 0.0001, id: 'a', primary: '12.345', shadow: '12.3451' });
    expect(field.magnitude?.largest).toEqual({ abs: 0.0002, id: 'b', primary: '10', shadow: '10.0002' });
    expect(route.fieldsByMagnitude?.[0]).toMatchObject({ path: '$.total', maxAbs: 0.0002 });
    expect(route).not.toHaveProperty('withinTolerance');
    const text = renderReport(p.report(), 'test');
    expect(text).toContain('values of $.total: 10 → 10.0002 (b), 12.345 → 12.3451 (a)');
    expect(text).toMatch(/\$\.total\s+2\s+0\.0002/);
    expect(text).toContain('$.total differs by 0.0001 (12.345 → 12.3451 (a)) up to 0.0002 (10 → 10.0002 (b))');
  });

  it('counts differences within tolerance apart: not diverged, never hidden', () => {
    const p = pipeline((c) => {
      c.compare.tolerances = [{ path: '$.total', abs: 0.0001 }];
    });
    p.ingest(totals('a', '12.345', '12.3451'));
    p.ingest(totals('b', '10', '10.0002'));
    const report = p.report();
    const route = report.routes[0]!;
    expect(report.totals).toMatchObject({ matched: 1, diverged: 1 });
    expect(route.withinTolerance).toBe(1);
    const field = route.fields.find((f) => f.path === '$.total')!;
    expect(field).toMatchObject({ divergentPairs: 1, withinTolerance: 1 });
    expect(field.magnitude).toMatchObject({ measured: 2, maxAbs: 0.0002 });
    expect(p.pair('a')?.diff).toMatchObject({
      diverged: false,
      fields: [],
      withinTolerance: [{ path: '$.total', shadowValue: '12.3451' }],
    });
    expect(renderReport(report, 'test')).toContain('within tolerance: 1 pairs differed only within compare.tolerances');
    expect(renderPair(p.pair('a')!)).toMatch(/\$\.total\s+12\.345\s+12\.3451\s+0\.0001\s+\S+\s+within tolerance/);
    expect(renderPair(p.pair('b')!)).toMatch(/\$\.total\s+10\s+10\.0002\s+0\.0002\s+\S+\s+diverged/);
  });

  it('leaves a report without captured values as it was', () => {
    const p = pipeline();
    p.ingest(legs('a', { fields: { '$.id': '0000002a', '$.total': '22222222' } }));
    const route = p.report().routes[0]!;
    expect(route).not.toHaveProperty('fieldsByMagnitude');
    expect(route.fields[0]).not.toHaveProperty('exampleValues');
    expect(route.fields[0]).not.toHaveProperty('magnitude');
  });

  it('takes the value parts from the tallies budget and gives them back with the field', () => {
    const p = pipeline((c) => {
      c.report.maxFieldsPerRoute = 1;
    });
    p.ingest(totals('a', '1', '2'));
    const withValues = p.report().budget.tallies.usedBytes;
    // a heavier field without values takes the only place: the value parts go with $.total
    for (const id of ['b', 'c']) p.ingest(legs(id, { fields: { '$.id': '0000002b', '$.total': '11111111' } }));
    const without = p.report().budget.tallies.usedBytes;
    expect(without).toBeLessThan(withValues);
    expect(p.report().routes[0]!.fields.map((f) => f.path)).toEqual(['$.id']);
  });

  it('snapshots what it learned of values in the store schema, and restores it', () => {
    const p = pipeline((c) => {
      c.compare.tolerances = [{ path: '$.total', rel: 0.5 }];
    });
    p.ingest(totals('a', '12.345', '12.3451'));
    p.ingest(totals('b', '1', '3'));
    const snapshot = p.snapshot();
    const validate = new Ajv({ strict: true }).compile(PipelineSnapshotSchema);
    expect(validate(JSON.parse(JSON.stringify(snapshot))), JSON.stringify(validate.errors)).toBe(true);
    const restored = pipeline((c) => {
      c.compare.tolerances = [{ path: '$.total', rel: 0.5 }];
    });
    restored.restore(JSON.parse(JSON.stringify(snapshot)));
    const before = p.report();
    const after = restored.report();
    expect(after.routes[0]!.fields).toEqual(before.routes[0]!.fields);
    expect(after.routes[0]!.withinTolerance).toBe(1);
    expect(after.routes[0]!.fieldsByMagnitude).toEqual(before.routes[0]!.fieldsByMagnitude);
  });
});
