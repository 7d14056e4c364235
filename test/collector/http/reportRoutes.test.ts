import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { PairViewSchema, ReportSchema } from '../../../collector/report/reportSchema.js';
import { batch, legs, record, testApp } from '../fixtures.js';

const ajv = new Ajv({ strict: true });
const isReport = ajv.compile(ReportSchema);
const isPairView = ajv.compile(PairViewSchema);

describe('report routes', () => {
  it('GET /v1/report answers a report that matches its response schema', async () => {
    const t = testApp();
    await t.post(batch([...legs('a', { status: 500 }), ...legs('b')]));
    const response = await t.get('/v1/report?top=1');
    expect(response.statusCode).toBe(200);
    const body: unknown = response.json();
    expect(isReport(body), ajv.errorsText(isReport.errors)).toBe(true);
    expect(body).toMatchObject({ totals: { matched: 1, diverged: 1 }, routes: [{ route: 'GET /orders/{id}', pairs: 2 }] });
  });

  it('GET /v1/report?route= names an unknown route, and refuses unknown parameters', async () => {
    const t = testApp();
    const unknown = await t.get('/v1/report?route=GET%20%2Fnope');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND' } });
    const bad = await t.get('/v1/report?tpo=3');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'QUERY_INVALID' } });
  });

  it('GET /v1/pairs/:id answers pending and paired views that match the response schema, 404 otherwise', async () => {
    const t = testApp();
    await t.post(batch([...legs('p', { complete: false }), record('primary', { id: 'w', requestId: 'r-1' })]));
    for (const id of ['p', 'w']) {
      const response = await t.get(`/v1/pairs/${id}`);
      expect(response.statusCode).toBe(200);
      const body: unknown = response.json();
      expect(isPairView(body), ajv.errorsText(isPairView.errors)).toBe(true);
    }
    expect((await t.get('/v1/pairs/p')).json()).toMatchObject({ state: 'paired', diff: { kinds: ['completion'] } });
    expect((await t.get('/v1/pairs/w')).json()).toMatchObject({ state: 'pending', primary: { requestId: 'r-1' }, shadow: null });
    const missing = await t.get('/v1/pairs/nobody');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'PAIR_NOT_FOUND' } });
  });

  it('GET /healthz, /readyz and /metrics answer without a token configured', async () => {
    const t = testApp();
    expect((await t.get('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await t.get('/readyz')).json()).toEqual({ status: 'ready' });
    const metrics = await t.get('/metrics');
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toMatch(/^shadowdiff_collector_pending_joins 0$/m);
  });
});
