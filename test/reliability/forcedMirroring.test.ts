// Clients trying to get their requests mirrored, through a real Envoy running the shipped edge
// sampling (envoy/filterConfigs.ts) with the filter's default caps, the shipped token verification
// (envoy/verifiedIdentity.ts) and the real collector. A client-sent segment header must not
// count, a verified token must, and a flood must be mirrored no faster than the caps, so that it
// cannot crowd a real route out of the collector's route table.
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERIFIED_USER_GROUP_HEADER, VERIFIED_USER_ID_HEADER } from '../../envoy/verifiedIdentity.js';
import { generateSigningKey, signToken, type SigningKey, type TokenClaims } from '../../examples/identity/jwt.js';
import { dumpEnvoyLogsOnFailure } from '../support/dumpEnvoyLogsOnFailure.js';
import { headerValue } from '../support/headers.js';
import { requireFilterWasm } from '../../devkit/paths.js';
import { startJoiningCollector, type JoiningCollector } from '../support/joiningCollector.js';
import { startStack, type Stack } from '../support/shadowdiffStack.js';
import { testShippedEdgeConfig } from '../support/testFilterConfigs.js';
import type { RecordedRequest } from '../support/upstream.js';
import { waitUntil } from '../../devkit/waitUntil.js';
import { withFailurePolicy, withRemoteModule } from './bootstrapEdits.js';
import { startFaultyEndpoint, type FaultyEndpoint } from './faultyEndpoint.js';

const ISSUER = 'https://issuer.forced-mirroring.test';
/** The filter's defaults (filter/README.md): per segment, and for the filter as a whole. */
const SEGMENT_CAP = 50;
const FILTER_CAP = 100;
/** The collector's default `routes.max`: the table the issue's flood filled. */
const COLLECTOR_MAX_ROUTES = 200;

const key: SigningKey = generateSigningKey('test-key');
/** Signs as well as `key` does, but its public half is not in the edge's JWKS. */
const strangerKey: SigningKey = generateSigningKey('test-key');

function bearer(claims: Omit<TokenClaims, 'iss'>, signer: SigningKey = key): Record<string, string> {
  return { authorization: `Bearer ${signToken(signer, { iss: ISSUER, ...claims })}` };
}

/** One-second windows the filter's rate caps count in, between two wall-clock readings. */
function capWindows(startMs: number, endMs: number): number {
  return Math.floor(endMs / 1000) - Math.floor(startMs / 1000) + 1;
}

/** Waits for the start of the next one-second window, so a test's first requests find fresh budgets. */
async function nextWindow(): Promise<void> {
  await sleep(1000 - (Date.now() % 1000) + 20);
}

describe('forced mirroring through Envoy, with the shipped sampling, identity and caps', () => {
  let collector: JoiningCollector | undefined;
  let stack: Stack | undefined;
  dumpEnvoyLogsOnFailure(() => [stack?.envoy]);

  beforeAll(async () => {
    collector = await startJoiningCollector({ windowMs: 5_000 });
    stack = await startStack({
      edgeConfig: testShippedEdgeConfig(),
      identity: { issuer: ISSUER, jwks: { inline: key.jwks } },
      collectorEndpoint: collector.endpoint,
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await collector?.close();
  });

  async function counter(name: string): Promise<number> {
    return (await stack!.envoy.stats()).get(`wasmcustom.shadowdiff.edge.${name}`) ?? 0;
  }

  function atPrimary(path: string): RecordedRequest {
    const request = stack!.primary.requests.find((received) => received.path === path);
    if (request === undefined) throw new Error(`the primary never received ${path}`);
    return request;
  }

  /** Sends `paths` with `concurrency` in flight; every response must be the primary's 200. */
  async function flood(requests: Array<{ path: string; headers: Record<string, string> }>, concurrency: number): Promise<{ startMs: number; endMs: number }> {
    const startMs = Date.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < requests.length) {
        const request = requests[next++]!;
        const response = await stack!.send(request.path, request.headers);
        await response.arrayBuffer();
        expect(response.status, request.path).toBe(200);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { startMs, endMs: Date.now() };
  }

  it('does not trust a client-sent segment header: without a token, with a forged token, or beside a verified token without the group', async () => {
    const employeesBefore = await counter('sampled.employees');
    const spoof = (user: string): Record<string, string> => ({ [VERIFIED_USER_GROUP_HEADER]: 'employee', 'X-Verified-User-Id': user });
    const cases = Array.from({ length: 10 }, (_, i) => [
      { path: `/spoof/no-token/${i}`, headers: spoof(`victim-${i}`) },
      { path: `/spoof/forged-token/${i}`, headers: { ...spoof(`victim-${i}`), ...bearer({ sub: `forger-${i}`, group: 'employee' }, strangerKey) } },
      { path: `/spoof/public-token/${i}`, headers: { ...spoof(`victim-${i}`), ...bearer({ sub: `public-${i}` }) } },
    ]).flat();
    await flood(cases, 1);

    expect(await counter('sampled.employees')).toBe(employeesBefore);
    for (let i = 0; i < 10; i++) {
      for (const kind of ['no-token', 'forged-token']) {
        const headers = atPrimary(`/spoof/${kind}/${i}`).headers;
        expect(headerValue(headers, VERIFIED_USER_GROUP_HEADER), kind).toBeUndefined();
        expect(headerValue(headers, VERIFIED_USER_ID_HEADER), kind).toBeUndefined();
      }
      const verified = atPrimary(`/spoof/public-token/${i}`).headers;
      expect(headerValue(verified, VERIFIED_USER_GROUP_HEADER)).toBeUndefined();
      expect(headerValue(verified, VERIFIED_USER_ID_HEADER)).toBe(`public-${i}`);
      // The token still reaches the primary, for its own authentication.
      expect(headerValue(verified, 'authorization')).toMatch(/^Bearer /);
    }
  });

  it('trusts the group of a verified token: every employee is mirrored, keyed by the token subject', async () => {
    await nextWindow();
    const employeesBefore = await counter('sampled.employees');
    const shadowBefore = stack!.shadow.requests.length;
    await flood(Array.from({ length: 20 }, (_, i) => ({ path: `/verified/${i}`, headers: bearer({ sub: `emp-${i}`, group: 'employee' }) })), 1);

    expect(await counter('sampled.employees')).toBe(employeesBefore + 20);
    const copies = (await stack!.shadow.waitForRequests(shadowBefore + 20)).slice(shadowBefore);
    expect(copies.map((copy) => [copy.path, headerValue(copy.headers, VERIFIED_USER_ID_HEADER), headerValue(copy.headers, VERIFIED_USER_GROUP_HEADER)]).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => [`/verified/${i}`, `emp-${i}`, 'employee']).sort(),
    );
    expect(headerValue(atPrimary('/verified/0').headers, VERIFIED_USER_ID_HEADER)).toBe('emp-0');
  });

  it(`mirrors a flood of ${COLLECTOR_MAX_ROUTES} random paths from one employee at most ${SEGMENT_CAP} a second, so GET /checkout/cart still gets its own route`, async () => {
    await nextWindow();
    const employeesBefore = await counter('sampled.employees');
    const limitedBefore = await counter('rate_limited.employees');
    const shadowBefore = stack!.shadow.requests.length;
    const token = bearer({ sub: 'flooder', group: 'employee' });
    const paths = Array.from({ length: COLLECTOR_MAX_ROUTES }, () => `/${randomBytes(6).toString('base64url').replace(/[^a-z]/gi, 'q')}/cart`);
    const { startMs, endMs } = await flood(paths.map((path) => ({ path, headers: token })), 32);

    const mirrored = (await counter('sampled.employees')) - employeesBefore;
    const refused = (await counter('rate_limited.employees')) - limitedBefore;
    expect(mirrored + refused).toBe(COLLECTOR_MAX_ROUTES);
    expect(mirrored).toBeGreaterThan(0);
    expect(mirrored).toBeLessThanOrEqual(SEGMENT_CAP * capWindows(startMs, endMs));
    await stack!.shadow.waitForRequests(shadowBefore + mirrored);

    await nextWindow();
    const checkout = await stack!.send('/checkout/cart', bearer({ sub: 'shopper', group: 'employee' }));
    expect(checkout.status).toBe(200);
    await checkout.arrayBuffer();
    const report = await waitUntil('the checkout pair joined', async () => {
      const current = await collector!.report();
      return current.routes.some((route) => route.route === 'GET /checkout/cart') ? current : undefined;
    });
    expect(report.routeEvictions).toBe(0);
    expect(report.routes.find((route) => route.route === 'other')).toBeUndefined();
  });

  it(`mirrors floods in every segment at once at most ${SEGMENT_CAP} a second each and ${FILTER_CAP} in all`, async () => {
    await nextWindow();
    const segments = ['employees', 'beta', 'default'] as const;
    const before = await Promise.all(segments.map((segment) => counter(`sampled.${segment}`)));
    const requests = Array.from({ length: 150 }, (_, i) => [
      { path: `/mixed/employee/${i}`, headers: bearer({ sub: `emp-mixed-${i}`, group: 'employee' }) },
      { path: `/mixed/beta/${i}`, headers: bearer({ sub: `beta-mixed-${i}`, group: 'beta' }) },
      // Anyone at all: the shipped default share (5%) of requests without a token.
      { path: `/mixed/anonymous/${i}`, headers: { [VERIFIED_USER_GROUP_HEADER]: 'employee' } },
    ]).flat();
    const { startMs, endMs } = await flood(requests, 32);
    const windows = capWindows(startMs, endMs);

    const mirrored = (await Promise.all(segments.map((segment) => counter(`sampled.${segment}`)))).map((count, i) => count - before[i]!);
    for (const [i, segment] of segments.entries()) expect(mirrored[i], segment).toBeLessThanOrEqual(SEGMENT_CAP * windows);
    expect(mirrored.reduce((sum, count) => sum + count, 0)).toBeLessThanOrEqual(FILTER_CAP * windows);
    expect(mirrored[0]).toBeGreaterThan(0);
  });
});

describe('a client-sent sampled header while the edge filter is skipped (FAIL_OPEN, its module failed to load)', () => {
  let source: FaultyEndpoint | undefined;
  let stack: Stack | undefined;
  dumpEnvoyLogsOnFailure(() => [stack?.envoy]);

  beforeAll(async () => {
    source = await startFaultyEndpoint({ kind: 'status', status: 404 });
    const digest = createHash('sha256').update(await readFile(await requireFilterWasm())).digest('hex');
    stack = await startStack({
      edgeConfig: testShippedEdgeConfig(),
      identity: { issuer: ISSUER, jwks: { inline: key.jwks } },
      adjustBootstrap: (bootstrap) => withFailurePolicy(withRemoteModule(bootstrap, 'shadowdiff_edge', source!.endpoint, digest), 'shadowdiff_edge', 'FAIL_OPEN'),
    });
    expect(stack.envoy.logs()).toContain('Plugin shadowdiff_edge failed to load');
  });
  afterAll(async () => {
    await stack?.stop();
    await source?.close();
  });

  it('is removed before the route is chosen, so nothing is mirrored (the shadow filter still runs and would mark any copy)', async () => {
    for (let i = 0; i < 10; i++) {
      const headers = { 'x-shadowdiff-sampled': '1', ...(i % 2 === 0 ? {} : { 'X-ShadowDiff-Sampled': '1' }), ...bearer({ sub: `emp-${i}`, group: 'employee' }) };
      const response = await stack!.send(`/skipped/${i}`, headers);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    const received = await stack!.primary.waitForRequests(10);
    for (const request of received) expect(headerValue(request.headers, 'x-shadowdiff-sampled'), request.path).toBeUndefined();
    // The primary saw all ten; a mirrored copy is sent alongside, so it would have arrived by now.
    await sleep(500);
    expect(stack!.shadow.requests).toEqual([]);
    expect((await stack!.envoy.stats()).get('cluster.shadowdiff_shadow_internal.upstream_rq_total') ?? 0).toBe(0);
  });
});
