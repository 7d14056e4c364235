import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { IngestResponseSchema } from '../../../collector/ingest/ingestResponseSchema.js';
import { WIRE_SCHEMA } from '../../../collector/ingest/wireSchema.js';
import { WireValidator } from '../../../collector/ingest/wireValidator.js';
import type { DigestRecord, PairView, Report } from '../../../collector/types.js';
import { batch, legs, record, testApp, type TestApp } from '../fixtures.js';

let current: TestApp | null = null;

function start(overrides?: Parameters<typeof testApp>[0]): TestApp {
  current = testApp(overrides);
  return current;
}

afterEach(async () => {
  await current?.app.close();
  current = null;
});

async function report(t: TestApp, query = ''): Promise<Report> {
  const response = await t.get(`/v1/report${query}`);
  expect(response.statusCode).toBe(200);
  return response.json<Report>();
}

function metricValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const isIngestResponse = new Ajv({ strict: true }).compile(IngestResponseSchema);

describe('POST /v1/batches', () => {
  it('answers what IngestResponseSchema describes', async () => {
    const t = start();
    const response = await t.post(batch(legs('schema-1')));
    expect(response.statusCode).toBe(200);
    expect(isIngestResponse(response.json())).toBe(true);
  });

  it("accepts a record shaped exactly like the schema's required fields", async () => {
    const t = start();
    const schema = WIRE_SCHEMA as unknown as { definitions: { record: { required: string[] } } };
    const required = schema.definitions.record.required;
    const full = record('primary') as unknown as Record<string, unknown>;
    const minimal = Object.fromEntries(required.map((key) => [key, full[key]]));
    expect(Object.keys(minimal).sort()).toEqual([...required].sort());
    const response = await t.post({ v: 1, source: 'edge', sentUnixMs: 0, records: [minimal] });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ accepted: 1, duplicates: 0, late: 0, rejectedRecords: 0, rejected: [] });
  });

  it('accepts collector/examples/batch.json with the outcome the README shows', async () => {
    const t = start();
    const example: unknown = JSON.parse(readFileSync(new URL('../../../collector/examples/batch.json', import.meta.url), 'utf8'));
    expect((await t.post(example)).json()).toEqual({ accepted: 5, duplicates: 0, late: 0, rejectedRecords: 0, rejected: [] });
    expect((await t.post(example)).json()).toMatchObject({ accepted: 5, duplicates: 5 });
    const r = await report(t);
    expect(r.totals).toMatchObject({ records: { primary: 6, shadow: 4 }, pending: 1, matched: 1, diverged: 1 });
    expect(r.routes[0]?.latencyMs.delta).toEqual({ p50: 0.516, p95: 2.931, p99: 2.931 });
    expect(r.routes[0]?.fields.map((f) => f.path)).toEqual(['$.meta.generatedAt', '$.total']);
    t.clock.advance(30_000);
    expect((await t.get('/v1/pairs/7f3a9c1e-0003')).json()).toMatchObject({ state: 'shadow_missing', route: 'POST /checkout' });
  });

  it('reads collector/examples/batch-v2.json, the same batch in wire format 2, as exactly the same records', async () => {
    const t = start();
    const read = (name: string): unknown =>
      JSON.parse(readFileSync(new URL(`../../../collector/examples/${name}`, import.meta.url), 'utf8'));
    const validator = new WireValidator();
    const v1 = validator.check(read('batch.json'));
    const v2 = validator.check(read('batch-v2.json'));
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(v2.records).toEqual(v1.records);
    // As the README's example shows: the second batch is the first one again.
    expect((await t.post(read('batch.json'))).json()).toEqual({ accepted: 5, duplicates: 0, late: 0, rejectedRecords: 0, rejected: [] });
    expect((await t.post(read('batch-v2.json'))).json()).toEqual({ accepted: 5, duplicates: 5, late: 0, rejectedRecords: 0, rejected: [] });
  });

  it('accepts the optional requestId', async () => {
    const t = start();
    const response = await t.post(batch([record('primary', { requestId: '5d1c7a0e-x' })]));
    expect(response.statusCode).toBe(200);
  });

  it('is idempotent: the same batch delivered twice is counted once', async () => {
    const t = start();
    const body = batch(legs('dup-1'));
    expect((await t.post(body)).json()).toMatchObject({ accepted: 2, duplicates: 0 });
    expect((await t.post(body)).json()).toMatchObject({ accepted: 2, duplicates: 2 });
    const r = await report(t);
    expect(r.totals.coverage.pairs).toBe(1);
    expect(r.totals.duplicates).toBe(2);
    t.clock.advance(120_000);
    expect((await report(t)).totals.coverage).toMatchObject({ pairs: 1, shadowMissing: 0, primaryMissing: 0 });
  });

  it('accepts the good records of a partly bad batch and names the bad ones', async () => {
    const t = start();
    const bad = { ...record('shadow', { id: 'bad-7' }), status: -1 };
    const response = await t.post({ ...batch([]), records: [...legs('good-1'), bad] });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      accepted: 2,
      duplicates: 0,
      late: 0,
      rejectedRecords: 1,
      rejected: [{ index: 2, id: 'bad-7', field: 'status', message: 'must be >= 0' }],
    });
    expect(isIngestResponse(response.json())).toBe(true);
    expect((await report(t)).totals).toMatchObject({ rejectedRecords: 1 });
    expect((await report(t)).totals.coverage.pairs).toBe(1);
  });

  it('rejects a batch with no valid record with 400, naming record and field', async () => {
    const t = start();
    const response = await t.post({ ...batch([]), records: [{ ...record('primary', { id: 'r-1' }), leg: 'both' }] });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: {
        code: 'BATCH_INVALID',
        message: 'batch rejected, nothing accepted: records[0].leg: must be one of ["primary","shadow","secondary"]',
        details: [{ index: 0, id: 'r-1', field: 'leg', message: 'must be one of ["primary","shadow","secondary"]' }],
      },
    });
    expect((await report(t)).totals.records).toEqual({ primary: 0, shadow: 0 });
  });

  it('rejects a bad envelope whole, even when its records are fine', async () => {
    const t = start();
    const response = await t.post({ ...batch(legs('env-1')), v: 3 });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({
      code: 'BATCH_INVALID',
      details: [{ field: 'v', message: 'must be one of [1,2] (the wire format versions this collector accepts)' }],
    });
    expect((await report(t)).totals).toMatchObject({ records: { primary: 0, shadow: 0 }, rejectedRecords: 2 });
  });

  it('bounds the details of a batch full of errors', async () => {
    const t = start();
    const records = Array.from({ length: 300 }, (_, i) => ({ ...record('primary', { id: `e${i}` }), status: 'x' }));
    const body = (await t.post({ ...batch([]), records })).json();
    expect(body.error.details).toHaveLength(100);
    expect(body.error.moreDetails).toBe(200);
  });

  it.each([
    ['malformed JSON', '{"v":1,', 'application/json', 400, 'MALFORMED_JSON'],
    ['an empty body', '', 'application/json', 400, 'MALFORMED_JSON'],
    ['prototype poisoning', '{"__proto__":{"polluted":true}}', 'application/json', 400, 'MALFORMED_JSON'],
    ['plain text', 'hello', 'text/plain', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['form data', 'v=1', 'application/x-www-form-urlencoded', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a JSON array', '[]', 'application/json', 400, 'BATCH_INVALID'],
    ['JSON null', 'null', 'application/json', 400, 'BATCH_INVALID'],
  ])('answers %s with a coded error', async (_name, payload, contentType, status, code) => {
    const t = start();
    const response = await t.app.inject({ method: 'POST', url: '/v1/batches', payload, headers: { 'content-type': contentType } });
    expect(response.statusCode).toBe(status);
    expect(response.json().error.code).toBe(code);
    expect(metricValue((await t.get('/metrics')).body, `shadowdiff_collector_rejects_total{code="${code}"}`)).toBe(1);
  });

  it('refuses bodies over bodyLimitBytes with 413', async () => {
    const t = start((c) => {
      c.bodyLimitBytes = 2048;
    });
    const records = Array.from({ length: 10 }, (_, i) => record('primary', { id: `big${i}` }));
    const response = await t.post(batch(records));
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('BODY_TOO_LARGE');
    expect(response.json().error.message).toMatch(/bodyLimitBytes/);
  });

  describe('with a token configured', () => {
    const withToken = () =>
      start((c) => {
        c.token = 's3cret token';
      });

    it.each([
      ['no authorization header', {}],
      ['a wrong token', { authorization: 'Bearer s3cret' }],
      ['a longer wrong token', { authorization: 'Bearer s3cret token and more' }],
      ['another scheme', { authorization: 'Basic czNjcmV0IHRva2Vu' }],
      ['the bare token', { authorization: 's3cret token' }],
    ])('answers 401 to %s', async (_name, headers) => {
      const t = withToken();
      const response = await t.post(batch(legs('a-1')), headers);
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.json().error.code).toBe('UNAUTHORIZED');
      expect((await report(t)).totals.records.primary).toBe(0);
    });

    it('accepts the right token, with any case of the scheme', async () => {
      const t = withToken();
      expect((await t.post(batch(legs('a-2')), { authorization: 'Bearer s3cret token' })).statusCode).toBe(200);
      expect((await t.post(batch(legs('a-3')), { authorization: 'bearer s3cret token' })).statusCode).toBe(200);
    });

    it('checks the token before reading the body', async () => {
      const t = withToken();
      const response = await t.app.inject({
        method: 'POST',
        url: '/v1/batches',
        payload: '{not json',
        headers: { 'content-type': 'application/json' },
      });
      expect(response.statusCode).toBe(401);
    });
  });

  it('needs no token when none is configured', async () => {
    const t = start();
    expect((await t.post(batch(legs('n-1')), { authorization: 'Bearer whatever' })).statusCode).toBe(200);
  });
});

describe('join window over HTTP (fake clock)', () => {
  it('pairs legs across batches in any order', async () => {
    const t = start();
    const [p, s] = legs('o-1');
    await t.post(batch([s]));
    t.clock.advance(29_000);
    await t.post(batch([p]));
    const r = await report(t);
    expect(r.totals.coverage).toMatchObject({ pairs: 1, shadowMissing: 0, primaryMissing: 0 });
    expect(r.routes[0]?.route).toBe('GET /orders/{id}');
  });

  it('counts expired legs as shadow_missing / primary_missing apart from pairs, and late legs', async () => {
    const t = start((c) => {
      c.join.windowMs = 10_000;
    });
    await t.post(batch([record('primary', { id: 'm-1' }), record('shadow', { id: 'm-2', path: '/users/7' }), ...legs('m-3')]));
    t.clock.advance(9_999);
    expect((await report(t)).totals).toMatchObject({ pending: 2, coverage: { pairs: 1, shadowMissing: 0 } });
    t.clock.advance(1);
    const r = await report(t);
    expect(r.totals).toMatchObject({ pending: 0, coverage: { pairs: 1, shadowMissing: 1, primaryMissing: 1, shadowCoverage: 0.5 } });
    expect(r.routes.find((x) => x.route === 'GET /users/{id}')?.coverage.primaryMissing).toBe(1);
    expect((await t.post(batch([record('shadow', { id: 'm-1' })]))).json()).toMatchObject({ late: 1 });
    expect((await report(t)).totals).toMatchObject({ late: 1, pending: 0, coverage: { pairs: 1 } });
    const metrics = (await t.get('/metrics')).body;
    expect(metricValue(metrics, 'shadowdiff_collector_pairs_total{route="GET /orders/{id}",outcome="shadow_missing"}')).toBe(1);
    expect(metricValue(metrics, 'shadowdiff_collector_pairs_total{route="GET /users/{id}",outcome="primary_missing"}')).toBe(1);
    expect(metricValue(metrics, 'shadowdiff_collector_records_late_total{leg="shadow"}')).toBe(1);
  });

  it('evicts the oldest pending leg when maxPending is reached, and counts it', async () => {
    const t = start((c) => {
      c.join.maxPending = 2;
    });
    await t.post(batch([record('primary', { id: 'v-1' }), record('primary', { id: 'v-2' }), record('primary', { id: 'v-3' })]));
    const r = await report(t);
    expect(r.totals).toMatchObject({ pending: 2, coverage: { evicted: 1 } });
    expect(metricValue((await t.get('/metrics')).body, 'shadowdiff_collector_join_evictions_total')).toBe(1);
    expect(metricValue((await t.get('/metrics')).body, 'shadowdiff_collector_pending_joins')).toBe(2);
    expect((await t.get('/v1/pairs/v-1')).json()).toMatchObject({ state: 'evicted', primary: { id: 'v-1' }, shadow: null });
  });
});

describe('comparison over HTTP', () => {
  it('applies global and per-route ignore rules at comparison time', async () => {
    const t = start((c) => {
      c.ignore.fields = ['$.meta.generatedAt'];
      c.ignore.routes = { '/orders/{id}': { fields: ['$.items[*].traceId'], headers: [] } };
    });
    const fields = { '$.id': '0000002a', '$.meta.generatedAt': '00000001', '$.items[0].traceId': '00000001' };
    const shadowFields = { '$.id': '0000002a', '$.meta.generatedAt': '00000002', '$.items[0].traceId': '00000002' };
    await t.post(
      batch([...legs('i-1', { fields: shadowFields }, { fields }), ...legs('i-2', { fields: shadowFields }, { fields, path: '/users/1' })]),
    );
    const r = await report(t);
    expect(r.routes.find((x) => x.route === 'GET /orders/{id}')).toMatchObject({ pairs: 1, diverged: 0 });
    expect(r.routes.find((x) => x.route === 'GET /users/{id}')?.fields.map((f) => f.path)).toEqual(['$.items[*].traceId']);
    expect((await t.get('/v1/pairs/i-1')).json().diff).toMatchObject({ diverged: false, ignoredFields: 2 });
  });

  it('reloads ignore rules without restarting (what SIGHUP does)', async () => {
    const t = start();
    const shadow = { fields: { '$.id': '0000002a', '$.total': '22222222' } };
    await t.post(batch(legs('h-1', shadow)));
    t.app.pipeline.setIgnoreRules({ fields: ['$.total'], headers: [], routes: {} });
    await t.post(batch(legs('h-2', shadow)));
    expect((await report(t)).routes[0]).toMatchObject({ pairs: 2, diverged: 1 });
  });

  it('collapses routes, caps them, and folds the route that gave up its place into `other`', async () => {
    const t = start((c) => {
      c.routes.max = 2;
      c.routes.templates = ['/search/{term}'];
    });
    await t.post(
      batch([...legs('c-1', {}, { path: '/search/shoes' }), ...legs('c-2', {}, { path: '/orders/9' }), ...legs('c-3', {}, { path: '/x' })]),
    );
    const r = await report(t);
    // Space-saving: the newcomer takes the place of the lightest (the oldest of equals) and inherits its weight as the error.
    expect(r.routes.map((x) => x.route).sort()).toEqual(['GET /orders/{id}', 'GET /x', 'other']);
    expect(r.routeEvictions).toBe(1);
    expect(r.routesTracked).toBe(2);
    expect(r.routes.find((x) => x.route === 'other')).toMatchObject({ pairs: 1, countError: 0 });
    expect(r.routes.find((x) => x.route === 'GET /x')).toMatchObject({ pairs: 1, countError: 1 });
    expect(r.totals.coverage.pairs).toBe(3);
  });
});

describe('GET /v1/report', () => {
  it('ranks routes and fields, with examples, coverage and a confidence interval', async () => {
    const t = start();
    const records: DigestRecord[] = [];
    for (let i = 0; i < 10; i++) records.push(...legs(`f-${i}`, i < 4 ? { fields: { '$.id': '0000002a', '$.total': '99999999' } } : {}));
    await t.post(batch(records));
    const r = await report(t);
    expect(r.windowMs).toBe(30_000);
    expect(r.totals).toMatchObject({ matched: 6, diverged: 4, records: { primary: 10, shadow: 10 } });
    const [route] = r.routes;
    expect(route).toMatchObject({ route: 'GET /orders/{id}', pairs: 10, diverged: 4, divergenceRate: 0.4 });
    expect(route?.divergenceCi95?.low).toBeCloseTo(0.1682, 4);
    expect(route?.fields[0]).toMatchObject({
      path: '$.total',
      divergentPairs: 4,
      rate: 0.4,
      examples: ['f-3', 'f-2', 'f-1'],
      likelyNoise: false,
    });
    expect(route?.latencyMs.delta.p50).toBeCloseTo(3, 0);
  });

  it('filters by route and limits fields with top', async () => {
    const t = start();
    await t.post(batch([...legs('g-1', { fields: { '$.a': '00000001', '$.b': '00000002' } }), ...legs('g-2', {}, { path: '/other' })]));
    const r = await report(t, `?route=${encodeURIComponent('GET /orders/{id}')}&top=1`);
    expect(r.routes).toHaveLength(1);
    expect(r.routes[0]?.fields).toHaveLength(1);
  });

  it.each([
    ['?top=0', 'querystring.top', /must be >= 1/],
    ['?top=abc', 'querystring.top', /must be integer/],
    ['?top=5000', 'querystring.top', /must be <= 1000/],
    ['?colour=red', 'querystring.colour', /not a known field/],
    ['?route=', 'querystring.route', /fewer than 1/],
  ])('answers 400 QUERY_INVALID to %s, naming the parameter', async (query, field, message) => {
    const t = start();
    const response = await t.get(`/v1/report${query}`);
    expect(response.statusCode).toBe(400);
    const error = response.json().error;
    expect(error.code).toBe('QUERY_INVALID');
    expect(error.details.find((d: { field: string }) => d.field === field)?.message).toMatch(message);
  });

  it('answers 404 ROUTE_NOT_FOUND for an unknown route', async () => {
    const t = start();
    const response = await t.get('/v1/report?route=GET%20%2Fnope');
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('ROUTE_NOT_FOUND');
  });
});

describe('GET /v1/pairs/:id', () => {
  it('shows both digests and the field diff of a pair', async () => {
    const t = start();
    await t.post(batch(legs('p-1', { status: 201, fields: { '$.id': '0000002a' } })));
    const response = await t.get('/v1/pairs/p-1');
    expect(response.statusCode).toBe(200);
    const view = response.json<PairView>();
    expect(view).toMatchObject({
      id: 'p-1',
      state: 'paired',
      route: 'GET /orders/{id}',
      primary: { leg: 'primary' },
      shadow: { leg: 'shadow', status: 201 },
    });
    expect(view.diff).toMatchObject({
      diverged: true,
      kinds: ['status', 'field'],
      basis: 'fields',
      fields: [{ path: '$.total', change: 'missing_in_shadow', primary: '11111111', shadow: null }],
    });
  });

  it('shows a pending leg, then the missing outcome', async () => {
    const t = start();
    await t.post(batch([record('primary', { id: 'p-2' })]));
    expect((await t.get('/v1/pairs/p-2')).json()).toMatchObject({ state: 'pending', shadow: null, diff: null });
    t.clock.advance(30_000);
    expect((await t.get('/v1/pairs/p-2')).json()).toMatchObject({ state: 'shadow_missing', route: 'GET /orders/{id}' });
  });

  it('answers 404 PAIR_NOT_FOUND for an unknown id and 400 for an id the wire format forbids', async () => {
    const t = start();
    const missing = await t.get('/v1/pairs/never-seen');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('PAIR_NOT_FOUND');
    const invalid = await t.get('/v1/pairs/bad%20id');
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error).toMatchObject({ code: 'QUERY_INVALID', details: [{ field: 'params.id' }] });
    expect((await t.get(`/v1/pairs/${'x'.repeat(128)}`)).statusCode).toBe(404);
    expect((await t.get(`/v1/pairs/${'x'.repeat(129)}`)).json().error.code).toBe('QUERY_INVALID');
    expect((await t.get('/v1/pairs/%E0%A4%A')).json().error.code).toBe('QUERY_INVALID');
  });

  it('keeps diverged pairs apart from matches, both bounded', async () => {
    const t = start((c) => {
      c.pairs = { keepDiverged: 1, keepOther: 1 };
    });
    await t.post(batch([...legs('k-d', { status: 500 }), ...legs('k-1'), ...legs('k-2')]));
    expect((await t.get('/v1/pairs/k-d')).statusCode).toBe(200);
    expect((await t.get('/v1/pairs/k-1')).statusCode).toBe(404);
    expect((await t.get('/v1/pairs/k-2')).statusCode).toBe(200);
  });
});

describe('health, readiness, not found', () => {
  it('answers /healthz and /readyz', async () => {
    const t = start();
    expect((await t.get('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await t.get('/readyz')).json()).toEqual({ status: 'ready' });
  });

  it('turns not ready once closing starts', async () => {
    const t = start();
    let readiness: number | undefined;
    t.app.addHook('onClose', async () => {
      readiness = (await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode;
    });
    await t.app.close();
    current = null;
    expect(readiness).toBe(503);
  });

  it('answers unknown endpoints with a coded 404', async () => {
    const t = start();
    const response = await t.get('/v2/everything?x=1');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no endpoint GET /v2/everything' } });
  });
});
