import { describe, expect, it } from 'vitest';
import { apiGet, apiPath, classify, type Fetch } from '../../collector/ui/api.js';
import { filterQuery, loadPageData, type Get } from '../../collector/ui/pageData.js';

const answer = (status: number, body: unknown): Response => new Response(JSON.stringify(body), { status });
const error = (code: string, message: string, details?: Array<{ field: string }>) => ({
  error: { code, message, ...(details ? { details } : {}) },
});

describe('what an answer of the API means to a page', () => {
  it('tells a missing endpoint from a missing thing', () => {
    expect(classify(404, error('NOT_FOUND', 'no endpoint GET /v1/timeline')).kind).toBe('unavailable');
    expect(classify(404, error('ROUTE_NOT_FOUND', 'no route')).kind).toBe('not_found');
    expect(classify(404, error('VERSION_NOT_FOUND', 'no version')).kind).toBe('not_found');
    expect(classify(404, null).kind).toBe('unavailable');
  });

  it('reads a refused query parameter as unavailable, other errors as failures, 401 as a token to ask for', () => {
    const refused = classify(400, error('QUERY_INVALID', 'querystring: must NOT have additional properties', [{ field: 'querystring' }]));
    expect(refused).toEqual({ kind: 'unavailable', message: 'querystring: must NOT have additional properties' });
    expect(classify(400, error('QUERY_INVALID', 'params: too long', [{ field: 'params' }])).kind).toBe('failed');
    expect(classify(401, error('UNAUTHORIZED', 'wrong bearer token for reports (reportToken)'))).toEqual({
      kind: 'unauthorized',
      message: 'wrong bearer token for reports (reportToken)',
    });
    expect(classify(503, 'not json')).toEqual({ kind: 'failed', message: 'the collector answered 503' });
  });

  it('sends the token as a bearer header, only when there is one, and leaves unset parameters out', async () => {
    const seen: Array<{ input: string; headers: Record<string, string> }> = [];
    const fetcher: Fetch = async (input, init) => {
      seen.push({ input, headers: init.headers });
      return answer(200, { ok: true });
    };
    expect(await apiGet(fetcher, '/v1/report', { top: 1, segment: undefined }, 'secret')).toEqual({ kind: 'ok', value: { ok: true } });
    await apiGet(fetcher, '/v1/report', {}, null);
    expect(seen).toEqual([
      { input: '/v1/report?top=1', headers: { accept: 'application/json', authorization: 'Bearer secret' } },
      { input: '/v1/report', headers: { accept: 'application/json' } },
    ]);
    expect(apiPath('/v1/report', { route: 'GET /a/{id}' })).toBe('/v1/report?route=GET+%2Fa%2F%7Bid%7D');
  });

  it('says when the collector cannot be reached', async () => {
    const result = await apiGet(async () => Promise.reject(new TypeError('fetch failed')), '/v1/report', {}, null);
    expect(result).toEqual({ kind: 'failed', message: 'the collector could not be reached (fetch failed)' });
  });
});

describe('a page load against a collector without the experiments backend', () => {
  /** Today's collector: no /v1/experiments, no /v1/timeline, and a report that refuses unknown parameters. */
  const calls: string[] = [];
  const get: Get = async <T>(path: string, query: Record<string, unknown>) => {
    calls.push(apiPath(path, query as Record<string, string>));
    if (path !== '/v1/report') return classify(404, error('NOT_FOUND', `no endpoint GET ${path}`));
    if (query['segment'] !== undefined)
      return classify(400, error('QUERY_INVALID', 'querystring: must NOT have additional properties', [{ field: 'querystring' }]));
    return { kind: 'ok', value: { routes: [] } as unknown as T };
  };

  it('asks again without the filters, says they were not applied, and has no versions or timeline', async () => {
    calls.length = 0;
    const data = await loadPageData(get, { segment: 'beta', range: 'all' }, { top: 1 }, 0);
    expect(data.report.kind).toBe('ok');
    expect(data.refused).toBe('querystring: must NOT have additional properties');
    expect(data.experiments).toBeNull();
    expect(data.timeline).toBeNull();
    expect(data.timelineProblem).toBeNull();
    expect(calls).toEqual(['/v1/report?top=1&segment=beta', '/v1/experiments', '/v1/timeline?segment=beta', '/v1/report?top=1']);
  });

  it('sends no filter parameter when none is set', async () => {
    calls.length = 0;
    const data = await loadPageData(get, { range: 'all' }, { route: 'GET /a', top: 100 }, 0);
    expect(data.refused).toBeNull();
    expect(calls).toEqual(['/v1/report?route=GET+%2Fa&top=100', '/v1/experiments', '/v1/timeline?route=GET+%2Fa']);
    expect(filterQuery({ range: '1h', version: 'v2' }, 3_600_000)).toEqual({
      version: 'v2',
      segment: undefined,
      fromUnixMs: 0,
      toUnixMs: 3_600_000,
    });
  });
});
