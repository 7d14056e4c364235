// Who may talk to the collector, and how much: the ingest token and the report token guard
// separate endpoints, neither token (nor a wrong one presented) ever reaches a log line, the
// collector listens on loopback unless told otherwise, and the documented request limits are
// the ones enforced over real HTTP.
import { readFileSync } from 'node:fs';
import { maxHeaderSize } from 'node:http';
import { connect } from 'node:net';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, REQUEST_TIMEOUT_MS } from '../../../collector/http/app.js';
import { defaultConfig } from '../../../collector/config.js';
import { startServer, type RunningServer } from '../../../collector/http/server.js';
import type { CollectorConfig } from '../../../collector/types.js';
import { collectorDir, startCollectorProcess } from '../../reliability/collectorProcess.js';
import { batch, config, FakeClock, legs } from '../fixtures.js';

const INGEST_TOKEN = 'ingest-Secret-7f3a9c1e';
const REPORT_TOKEN = 'report-Secret-0b7e3d9c';
/** What a client might wrongly present; it must not be logged either. */
const WRONG_TOKEN = 'wrong-Guess-51a2f488';
const JSON_TYPE = { 'content-type': 'application/json' };

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

/** An app with both tokens whose log lines (at trace level) are collected in `lines`. */
function appWithTokens(overrides: (c: CollectorConfig) => void = () => {}): { app: FastifyInstance; lines: string[] } {
  const lines: string[] = [];
  const app = buildApp({
    config: config((c) => {
      c.token = INGEST_TOKEN;
      c.reportToken = REPORT_TOKEN;
      overrides(c);
    }),
    clock: new FakeClock(),
    defaultMetrics: false,
    logger: { level: 'trace', stream: { write: (line: string) => void lines.push(line) } },
  });
  closers.push(() => app.close());
  return { app, lines };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const READ_ENDPOINTS = ['/v1/report', '/v1/pairs/some-id', '/metrics'];

describe('tokens', () => {
  it.each(READ_ENDPOINTS)('GET %s needs the report token; the ingest token does not open it', async (url) => {
    const { app } = appWithTokens();
    for (const headers of [{}, bearer(INGEST_TOKEN), bearer(WRONG_TOKEN), { authorization: REPORT_TOKEN }]) {
      const response = await app.inject({ method: 'GET', url, headers });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    }
    const allowed = await app.inject({ method: 'GET', url, headers: bearer(REPORT_TOKEN) });
    // An unknown pair is a 404 past authentication.
    expect(allowed.statusCode).toBe(url.startsWith('/v1/pairs/') ? 404 : 200);
  });

  it('POST /v1/batches needs the ingest token; the report token does not open it', async () => {
    const { app } = appWithTokens();
    const post = (id: string, headers: Record<string, string>) => app.inject({ method: 'POST', url: '/v1/batches', payload: batch(legs(id)), headers: { ...JSON_TYPE, ...headers } });
    expect((await post('r-1', bearer(REPORT_TOKEN))).statusCode).toBe(401);
    expect((await post('r-2', bearer(WRONG_TOKEN))).statusCode).toBe(401);
    expect((await post('r-3', bearer(INGEST_TOKEN))).statusCode).toBe(200);
    const report = await app.inject({ method: 'GET', url: '/v1/report', headers: bearer(REPORT_TOKEN) });
    expect(report.json()).toMatchObject({ totals: { records: { primary: 1, shadow: 1 } } });
  });

  it('keeps liveness and readiness open for probes', async () => {
    const { app } = appWithTokens();
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('protects each side only when its own token is set', async () => {
    const ingestOnly = appWithTokens((c) => (c.reportToken = '')).app;
    expect((await ingestOnly.inject({ method: 'GET', url: '/v1/report' })).statusCode).toBe(200);
    expect((await ingestOnly.inject({ method: 'POST', url: '/v1/batches', payload: batch(legs('i-1')), headers: JSON_TYPE })).statusCode).toBe(401);
    const reportOnly = appWithTokens((c) => (c.token = '')).app;
    expect((await reportOnly.inject({ method: 'GET', url: '/v1/report' })).statusCode).toBe(401);
    expect((await reportOnly.inject({ method: 'POST', url: '/v1/batches', payload: batch(legs('i-2')), headers: JSON_TYPE })).statusCode).toBe(200);
  });
});

describe('a refused token is told in words', () => {
  it.each([
    ['no header', {}, 'no authorization header'],
    ['Bearer and nothing', { authorization: 'Bearer' }, 'the authorization header says Bearer but carries no token'],
    ['Bearer and blanks', { authorization: 'Bearer   ' }, 'the authorization header says Bearer but carries no token'],
    ['another scheme', { authorization: `Basic ${Buffer.from(`u:${INGEST_TOKEN}`).toString('base64')}` }, 'the authorization header uses another scheme than Bearer'],
    ['a bare token', { authorization: INGEST_TOKEN }, 'the authorization header has no scheme'],
    ['a non-ASCII token', { authorization: 'Bearer t\u00f6k\u00e9n' }, 'the bearer token has characters other than printable ASCII, which no token can have'],
    ['a wrong token', bearer(WRONG_TOKEN), 'wrong bearer token'],
  ])('%s', async (_what, headers, problem) => {
    const { app, lines } = appWithTokens();
    const ingest = await app.inject({ method: 'POST', url: '/v1/batches', payload: batch(legs('w-1')), headers: { ...JSON_TYPE, ...headers } });
    expect(ingest.statusCode).toBe(401);
    expect(ingest.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: `${problem} for ingest (token); send authorization: Bearer <token>` } });
    const read = await app.inject({ method: 'GET', url: '/v1/report', headers });
    expect(read.statusCode).toBe(401);
    expect(read.json().error.message).toBe(`${problem} for reports (reportToken); send authorization: Bearer <token>`);
    expect(lines.join('')).not.toContain(INGEST_TOKEN);
    expect(lines.join('')).not.toContain(WRONG_TOKEN);
  });

  it('a non-ASCII token over real HTTP (latin-1 bytes on the wire)', async () => {
    const server = await startServer(
      config((c) => {
        c.listen.port = 0;
        c.logLevel = 'silent';
        c.token = INGEST_TOKEN;
        c.store.path = '';
      }),
    );
    closers.push(() => server.close());
    const { port } = new URL(server.url);
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.end(Buffer.concat([Buffer.from('POST /v1/batches HTTP/1.1\r\nhost: c\r\nconnection: close\r\ncontent-length: 0\r\nauthorization: Bearer '), Buffer.from([0xf6, 0xe9]), Buffer.from('\r\n\r\n')]));
      });
      socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      socket.on('error', reject).on('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer).toContain('the bearer token has characters other than printable ASCII');
  });
});

describe('logs', () => {
  it('never contain a token, right or wrong, whatever the request', async () => {
    const { app, lines } = appWithTokens();
    const requests: InjectOptions[] = [
      { method: 'POST', url: '/v1/batches', payload: batch(legs('l-1')), headers: JSON_TYPE },
      { method: 'POST', url: '/v1/batches', payload: batch(legs('l-2')), headers: { ...JSON_TYPE, ...bearer(WRONG_TOKEN) } },
      { method: 'POST', url: '/v1/batches', payload: batch(legs('l-3')), headers: { ...JSON_TYPE, authorization: `Basic ${Buffer.from(`u:${WRONG_TOKEN}`).toString('base64')}` } },
      { method: 'POST', url: '/v1/batches', payload: batch(legs('l-4')), headers: { ...JSON_TYPE, authorization: WRONG_TOKEN } },
      { method: 'POST', url: '/v1/batches', payload: batch(legs('l-5')), headers: { ...JSON_TYPE, ...bearer(INGEST_TOKEN) } },
      { method: 'POST', url: '/v1/batches', payload: '{"v":1}', headers: { ...JSON_TYPE, ...bearer(INGEST_TOKEN) } },
      { method: 'POST', url: '/v1/batches', payload: '{not json', headers: { ...JSON_TYPE, ...bearer(INGEST_TOKEN) } },
      { method: 'POST', url: '/v1/batches', payload: 'x', headers: { 'content-type': 'text/plain', ...bearer(INGEST_TOKEN) } },
      { method: 'GET', url: '/v1/report', headers: bearer(WRONG_TOKEN) },
      { method: 'GET', url: '/v1/report', headers: bearer(INGEST_TOKEN) },
      { method: 'GET', url: '/v1/report?top=0', headers: bearer(REPORT_TOKEN) },
      { method: 'GET', url: `/v1/pairs/${WRONG_TOKEN}`, headers: bearer(REPORT_TOKEN) },
      { method: 'GET', url: '/metrics', headers: bearer(REPORT_TOKEN) },
      { method: 'GET', url: '/no/such/endpoint', headers: bearer(INGEST_TOKEN) },
    ];
    const statuses = [];
    for (const r of requests) statuses.push((await app.inject(r)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 200, 400, 400, 415, 401, 401, 400, 404, 200, 404]);
    const log = lines.join('');
    // The refusals were logged (so this checks real log lines), just without the secrets.
    expect(log).toContain('"code":"UNAUTHORIZED"');
    expect(log).toContain('"code":"BATCH_INVALID"');
    expect(log).not.toContain(INGEST_TOKEN);
    expect(log).not.toContain(REPORT_TOKEN);
    // The pair id is part of the URL, which is not a secret; only header values are checked here.
    expect(log.replaceAll(`/v1/pairs/${WRONG_TOKEN}`, '')).not.toContain(WRONG_TOKEN);
    // No request headers are logged at all (the refusal only names the expected scheme).
    expect(log).not.toMatch(/"authorization"\s*:/i);
  });

  it('never contain a token in the running collector\'s output, from start to shutdown', async () => {
    const dir = await collectorDir();
    closers.push(() => dir.remove());
    // No listen.host: the default must be loopback (the helper waits for http://127.0.0.1:<port>).
    const collector = await startCollectorProcess(
      dir.dir,
      { listen: { port: 0 }, token: INGEST_TOKEN, logLevel: 'trace', store: { path: dir.storePath } },
      { SHADOWDIFF_REPORT_TOKEN: REPORT_TOKEN },
    );
    closers.push(() => collector.stop('SIGKILL'));
    const post = (authorization: string) =>
      fetch(`${collector.url}/v1/batches`, { method: 'POST', headers: { ...JSON_TYPE, authorization }, body: JSON.stringify(batch(legs(`p-${authorization.length}`))) });
    expect((await post(`Bearer ${WRONG_TOKEN}`)).status).toBe(401);
    expect((await post(`Bearer ${INGEST_TOKEN}`)).status).toBe(200);
    expect((await fetch(`${collector.url}/v1/report`, { headers: bearer(WRONG_TOKEN) })).status).toBe(401);
    expect((await fetch(`${collector.url}/v1/report`, { headers: bearer(REPORT_TOKEN) })).status).toBe(200);
    expect(await collector.stop('SIGTERM')).toBe(0);
    const output = collector.output();
    expect(output).toMatch(/"auth":"bearer".*"report_auth":"bearer"/);
    expect(output).toContain('"code":"UNAUTHORIZED"');
    for (const secret of [INGEST_TOKEN, REPORT_TOKEN, WRONG_TOKEN]) expect(output).not.toContain(secret);
  }, 60_000);
});

describe('listening', () => {
  it('binds to loopback by default', async () => {
    expect(defaultConfig().listen.host).toBe('127.0.0.1');
    const server = await startServer(
      config((c) => {
        c.listen.port = 0;
        c.logLevel = 'silent';
      }),
    );
    closers.push(() => server.close());
    const address = server.app.server.address();
    expect(address).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
  });
});

/**
 * One HTTP/1.1 request written whole on a plain socket (an HTTP client could be cut off while
 * still sending when the server refuses early); resolves with the status of the answer.
 */
function rawStatus(server: RunningServer, path: string, headers: Record<string, string>, body = '', chunked = false): Promise<number> {
  const { port } = new URL(server.url);
  const lines = [`${body === '' ? 'GET' : 'POST'} ${path} HTTP/1.1`, 'host: 127.0.0.1', 'connection: close', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  if (chunked) lines.push('transfer-encoding: chunked');
  else if (body !== '') lines.push(`content-length: ${Buffer.byteLength(body)}`);
  const payload = chunked ? `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n` : body;
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => (answer += data));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1];
      if (status === undefined) reject(new Error(`no HTTP answer: ${JSON.stringify(answer.slice(0, 80))}`));
      else resolve(Number(status));
    });
    socket.end(`${lines.join('\r\n')}\r\n\r\n${payload}`);
  });
}

describe('request limits over real HTTP', () => {
  async function server(): Promise<RunningServer> {
    const s = await startServer(
      config((c) => {
        c.listen.port = 0;
        c.logLevel = 'silent';
        c.bodyLimitBytes = 64 * 1024;
      }),
    );
    closers.push(() => s.close());
    return s;
  }

  it("answers 431 when the request line and headers exceed Node's 16 KiB", async () => {
    const s = await server();
    expect(await rawStatus(s, '/healthz', { 'x-padding': 'a'.repeat(12 * 1024) })).toBe(200);
    expect(await rawStatus(s, '/healthz', { 'x-padding': 'a'.repeat(17 * 1024) })).toBe(431);
    expect(await rawStatus(s, `/healthz?${'q'.repeat(17 * 1024)}`, {})).toBe(431);
    expect(await rawStatus(s, '/healthz', { authorization: `Bearer ${'t'.repeat(17 * 1024)}` })).toBe(431);
  });

  it('answers 413 for a body over bodyLimitBytes, announced or chunked', async () => {
    const s = await server();
    const big = JSON.stringify({ padding: 'x'.repeat(64 * 1024) });
    expect(await rawStatus(s, '/v1/batches', JSON_TYPE, big)).toBe(413);
    expect(await rawStatus(s, '/v1/batches', JSON_TYPE, big, true)).toBe(413);
    const fits = JSON.stringify(batch(legs('fits')));
    expect(await rawStatus(s, '/v1/batches', JSON_TYPE, fits)).toBe(200);
  });

  it('accepts correlation ids up to the wire limit of 128 characters in /v1/pairs/:id, and refuses longer ones', async () => {
    const s = await server();
    expect(await rawStatus(s, `/v1/pairs/${'a'.repeat(128)}`, {})).toBe(404);
    expect(await rawStatus(s, `/v1/pairs/${'a'.repeat(129)}`, {})).toBe(400);
  });

  it('gives a request at most 60 s, the longest the filter waits (collector.timeoutMs)', async () => {
    const s = await server();
    expect(s.app.server.requestTimeout).toBe(60_000);
    expect(s.app.server.headersTimeout).toBeLessThanOrEqual(60_000);
  });

  it('are the ones collector/README.md documents', () => {
    const readme = readFileSync(new URL('../../../collector/README.md', import.meta.url), 'utf8');
    const row = (what: string) => readme.split('\n').find((line) => line.startsWith(`| ${what} |`)) ?? `(no row "${what}")`;
    expect(maxHeaderSize).toBe(16 * 1024);
    expect(row('request line and headers')).toContain('16 KiB');
    expect(row('whole request')).toContain(`${REQUEST_TIMEOUT_MS / 1000} s`);
    expect(defaultConfig().bodyLimitBytes).toBe(8 * 1024 * 1024);
    expect(row('request body')).toContain('default 8 MiB');
    expect(row('`/v1/pairs/:id`')).toContain('128 characters');
  });
});
