import { afterEach, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../../collector/cli/cli.js';
import { batch, legs, testApp, type TestApp } from '../fixtures.js';

let current: TestApp | null = null;
afterEach(async () => {
  await current?.app.close();
  current = null;
});

interface Captured {
  io: CliIo;
  out: () => string;
  err: () => string;
  urls: string[];
}

/** CLI io whose fetch is answered by an in-process collector through fastify.inject. */
function capture(t: TestApp | null, env: Record<string, string> = {}): Captured {
  let out = '';
  let err = '';
  const urls: string[] = [];
  const fetchViaInject = (async (input: string | URL | Request) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    urls.push(url.href);
    if (t === null) throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:8090') });
    // Like a reverse proxy that mounts the collector under /collector.
    const path = url.pathname.replace(/^\/collector\//, '/');
    const response = await t.app.inject({ method: 'GET', url: path + url.search });
    return new Response(response.body, {
      status: response.statusCode,
      headers: { 'content-type': String(response.headers['content-type']) },
    });
  }) as typeof fetch;
  return {
    io: { stdout: (s) => (out += s), stderr: (s) => (err += s), env, fetch: fetchViaInject },
    out: () => out,
    err: () => err,
    urls,
  };
}

async function seeded(): Promise<TestApp> {
  current = testApp();
  await current.post(batch([...legs('c-1', { fields: { '$.id': '0000002a', '$.total': '99999999' } }), ...legs('c-2')]));
  return current;
}

describe('shadowdiff CLI', () => {
  it('prints the report as a table', async () => {
    const c = capture(await seeded());
    expect(await runCli(['report', '--url', 'http://127.0.0.1:8090'], c.io)).toBe(0);
    expect(c.urls).toEqual(['http://127.0.0.1:8090/v1/report']);
    expect(c.out()).toMatch(/ROUTE\s+PAIRS\s+DIVERGED\s+RATE/);
    expect(c.out()).toMatch(/GET \/orders\/\{id\}\s+2\s+1\s+50\.0%/);
    expect(c.out()).toMatch(/\$\.total\s+1\s+50\.0%/);
    expect(c.err()).toBe('');
  });

  it('passes --route and --top, and keeps a base path', async () => {
    const c = capture(await seeded());
    expect(await runCli(['report', '--url', 'http://h:1/collector', '--route', 'GET /orders/{id}', '--top', '5', '--json'], c.io)).toBe(0);
    expect(c.urls).toEqual(['http://h:1/collector/v1/report?top=5&route=GET+%2Forders%2F%7Bid%7D']);
  });

  it('prints raw JSON with --json and reads $SHADOWDIFF_URL', async () => {
    const c = capture(await seeded(), { SHADOWDIFF_URL: 'http://collector.internal:9000' });
    expect(await runCli(['report', '--json'], c.io)).toBe(0);
    expect(c.urls[0]).toBe('http://collector.internal:9000/v1/report');
    expect(JSON.parse(c.out())).toMatchObject({ totals: { coverage: { pairs: 2 } } });
  });

  it('prints one pair', async () => {
    const c = capture(await seeded());
    expect(await runCli(['pair', 'c-1'], c.io)).toBe(0);
    expect(c.out()).toMatch(/^pair c-1 {2}paired/);
    expect(c.out()).toMatch(/\$\.total\s+changed\s+11111111\s+99999999/);
  });

  it.each([
    [['report', '--frobnicate'], /report: unknown flag --frobnicate/],
    [['report', '-x'], /report: unknown flag -x/],
    [['report', '--url'], /report: flag --url needs a value/],
    [['report', '--json=yes'], /report: flag --json takes no value/],
    [['report', '--url', 'not a url'], /--url: "not a url" is not a URL/],
    [['report', '--url', 'ftp://h'], /--url: "ftp:\/\/h" must be an http:\/\/ or https:\/\/ URL/],
    [['report', '--top', '0'], /--top: "0" must be a whole number from 1 to 1000/],
    [['report', '--top', 'ten'], /--top: "ten" must be a whole number/],
    [['report', 'extra'], /report: unexpected argument "extra"/],
    [['pair'], /pair: a correlation id is required/],
    [['collector', '--port'], /collector: flag --port needs a value/],
    [['colector'], /unknown command "colector"/],
  ])('refuses %j with exit code 2, naming the flag', async (argv, message) => {
    const c = capture(null);
    expect(await runCli(argv, c.io)).toBe(2);
    expect(c.err()).toMatch(message);
    expect(c.err()).toMatch(/shadowdiff --help/);
    expect(c.urls).toEqual([]);
  });

  it('refuses a bad collector config before listening, naming the field and flag', async () => {
    const c = capture(null, { SHADOWDIFF_WINDOW_MS: '1' });
    expect(await runCli(['collector', '--port', '70000'], c.io)).toBe(2);
    expect(c.err()).toContain('listen.port: must be <= 65535 (from --port)');
    expect(c.err()).toContain('join.windowMs: must be >= 100 (from SHADOWDIFF_WINDOW_MS)');
  });

  it('reports an unreachable collector with exit code 1', async () => {
    const c = capture(null);
    expect(await runCli(['report'], c.io)).toBe(1);
    expect(c.err()).toContain('cannot reach the collector at http://127.0.0.1:8090: connect ECONNREFUSED');
  });

  it("relays the collector's coded errors with exit code 1", async () => {
    const c = capture(await seeded());
    expect(await runCli(['pair', 'nope'], c.io)).toBe(1);
    expect(c.err()).toMatch(/answered 404: PAIR_NOT_FOUND: correlation id nope is unknown/);
    expect(await runCli(['report', '--route', 'GET /missing'], c.io)).toBe(1);
    expect(c.err()).toMatch(/answered 404: ROUTE_NOT_FOUND/);
  });

  it('prints usage', async () => {
    const c = capture(null);
    expect(await runCli(['--help'], c.io)).toBe(0);
    expect(c.out()).toMatch(/^usage: shadowdiff <command>/);
    expect(await runCli([], c.io)).toBe(2);
    expect(await runCli(['report', '-h'], c.io)).toBe(0);
  });
});
