// Secondary legs through the HTTP API: batches in wire formats 1 and 2 carrying `leg:
// "secondary"` and the primary's `withSecondary`, validated and joined into triples; the report
// and pair answers carry them (validated against their response schemas, as the CLI does).

import { Ajv } from 'ajv';
import { afterEach, describe, expect, it } from 'vitest';
import { PairViewSchema, ReportSchema } from '../../../collector/report/reportSchema.js';
import type { IngestedRecord } from '../../../collector/types.js';
import { batch, batchV2, noisyTriple, record, testApp, triple, type TestApp } from '../fixtures.js';

const ajv = new Ajv({ strict: true });
const isReport = ajv.compile(ReportSchema);
const isPairView = ajv.compile(PairViewSchema);

let current: TestApp | undefined;
afterEach(async () => {
  await current?.app.close();
  current = undefined;
});

describe('POST /v1/batches with secondary legs', () => {
  it('accepts secondary legs and withSecondary in both wire formats, joins triples across batches, and reports them', async () => {
    current = testApp();
    const triples = Array.from({ length: 24 }, (_, n) => noisyTriple(n, n < 12 ? '99999999' : '11111111'));
    // Wire format 1 carries the primaries and shadows, wire format 2 the secondaries (and two triples whole).
    const first = await current.post(batch(triples.slice(0, 22).flatMap((legs) => legs.slice(0, 2))));
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ accepted: 44, rejectedRecords: 0 });
    const second = await current.post(batchV2([...triples.slice(0, 22).map((legs) => legs[2]), ...triples.slice(22).flat()]));
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({ accepted: 28, duplicates: 0, late: 0, rejectedRecords: 0 });

    const answer = await current.get('/v1/report');
    expect(answer.statusCode).toBe(200);
    const report = answer.json();
    expect(isReport(report), JSON.stringify(isReport.errors)).toBe(true);
    expect(report.totals.records).toEqual({ primary: 24, shadow: 24, secondary: 24 });
    expect(report.totals.coverage).toMatchObject({ pairs: 24, triples: 24, secondaryMissing: 0, secondaryCoverage: 1 });
    const route = report.routes[0];
    const at = route.fields.find((field: { path: string }) => field.path === '$.meta.at');
    expect(at).toMatchObject({ likelyNoise: true, suggestedIgnore: '$.meta.at', secondary: { triples: 24, finding: 'noise' } });
    const total = route.fields.find((field: { path: string }) => field.path === '$.total');
    expect(total).toMatchObject({ likelyNoise: false, secondary: { divergentTriples: 0, finding: 'regression' } });
    expect(route.gate).toMatchObject({ diverged: 12, noiseOnly: 12 });

    const pair = await current.get('/v1/pairs/t-3');
    expect(pair.statusCode).toBe(200);
    expect(isPairView(pair.json()), JSON.stringify(isPairView.errors)).toBe(true);
    expect(pair.json()).toMatchObject({ state: 'paired', secondary: { leg: 'secondary' }, secondaryDiff: { kinds: ['field'] } });
  });

  it('judges a pair whose secondary never came as a pair when the window closes, and counts the late secondary', async () => {
    current = testApp();
    const [primary, shadow, secondary] = triple('m');
    await current.post(batch([primary, shadow]));
    expect((await current.get('/v1/pairs/m')).json()).toMatchObject({ state: 'pending' });
    current.clock.advance(30_000);
    expect((await current.get('/v1/report')).json().totals.coverage).toMatchObject({
      pairs: 1,
      triples: 0,
      secondaryMissing: 1,
      secondaryCoverage: 0,
    });
    expect((await current.post(batch([secondary]))).json()).toMatchObject({ accepted: 1, late: 1 });
    expect((await current.get('/v1/pairs/m')).json()).toMatchObject({ state: 'paired', secondary: null });
  });

  it('refuses withSecondary that is not true, naming the field', async () => {
    current = testApp();
    const bad = { ...record('primary', { id: 'b' }), withSecondary: false };
    const answer = await current.post(batch([bad as unknown as IngestedRecord, record('shadow', { id: 'c' })]));
    expect(answer.statusCode).toBe(200);
    expect(answer.json().rejected).toEqual([expect.objectContaining({ index: 0, field: 'withSecondary' })]);
  });
});
