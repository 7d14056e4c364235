// A shadow service that fails in each way a network service can: the primary path does not
// notice, and the real collector counts every mirrored request as lost coverage or as a failed
// shadow leg — never as a match.
import { afterEach, describe, expect, it } from 'vitest';
import type { DivergenceKind, PairView } from '../../collector/types.js';
import { dumpEnvoyLogsOnFailure } from '../support/dumpEnvoyLogsOnFailure.js';
import { headerValue } from '../support/headers.js';
import { startStack, type Stack } from '../support/shadowdiffStack.js';
import { cohortSampling, testEdgeConfig } from '../support/testFilterConfigs.js';
import { waitUntil } from '../../devkit/waitUntil.js';
import { withShadowRouteTimeout } from './bootstrapEdits.js';
import { pathsOf, sendChecked, wideJsonBody, wideJsonService } from './checkedTraffic.js';
import { startFaultyEndpoint, type Fault, type FaultyEndpoint } from './faultyEndpoint.js';
import { startJoiningCollector, type JoiningCollector } from '../support/joiningCollector.js';

const REQUESTS = 30;
/** Long enough that a busy machine still joins both legs; the slow case below outlasts it on purpose. */
const JOIN_WINDOW_MS = 5000;
/** Well inside the join window, so the timed-out shadow leg (a 504) still joins its primary. */
const SHADOW_ROUTE_TIMEOUT = '2s';

/** How the collector must judge every pair: the leg it got from the shadow, and why that is no match. */
interface Judged {
  shadowStatus: number;
  kind: DivergenceKind;
  /** counted in the route's shadow error rate (no response, 5xx, or cut short) */
  shadowError: boolean;
}

const cases: Array<{ name: string; fault: Fault; judged: Judged; shadowRouteTimeout?: string }> = [
  { name: 'down (connection refused)', fault: { kind: 'down' }, judged: { shadowStatus: 503, kind: 'status_class', shadowError: true } },
  {
    name: `slower (6 s) than the shadow route timeout (${SHADOW_ROUTE_TIMEOUT})`,
    fault: { kind: 'slow', delayMs: 6000, body: '{}' },
    shadowRouteTimeout: SHADOW_ROUTE_TIMEOUT,
    judged: { shadowStatus: 504, kind: 'status_class', shadowError: true },
  },
  {
    name: 'closing each connection on accept',
    fault: { kind: 'close-on-accept' },
    judged: { shadowStatus: 503, kind: 'status_class', shadowError: true },
  },
  {
    name: 'resetting each stream mid-body',
    fault: { kind: 'reset-mid-response', body: wideJsonBody('/shadow') },
    judged: { shadowStatus: 200, kind: 'completion', shadowError: true },
  },
  {
    name: 'closing each connection before the body is complete',
    fault: { kind: 'truncated-body', body: wideJsonBody('/shadow') },
    judged: { shadowStatus: 200, kind: 'completion', shadowError: true },
  },
  {
    name: 'answering bytes that are not HTTP',
    fault: { kind: 'garbage' },
    judged: { shadowStatus: 502, kind: 'status_class', shadowError: true },
  },
  {
    name: 'answering 200 with malformed JSON',
    fault: { kind: 'body', contentType: 'application/json', body: wideJsonBody('/shadow').slice(0, 500) },
    judged: { shadowStatus: 200, kind: 'body', shadowError: false },
  },
];

describe('a shadow service that fails', () => {
  let collector: JoiningCollector | undefined;
  let shadow: FaultyEndpoint | undefined;
  let stack: Stack | undefined;
  dumpEnvoyLogsOnFailure(() => [stack?.envoy]);
  afterEach(async () => {
    await stack?.stop();
    await shadow?.close();
    await collector?.close();
    stack = shadow = collector = undefined;
  });

  /** Mirrors to a shadow with `fault`; the shadow route keeps Envoy's default 15 s timeout unless given another. */
  async function startWithShadow(fault: Fault, shadowRouteTimeout?: string): Promise<Stack> {
    collector = await startJoiningCollector({ windowMs: JOIN_WINDOW_MS });
    shadow = await startFaultyEndpoint(fault);
    return startStack({
      edgeConfig: testEdgeConfig(cohortSampling({ always: 100 })),
      collectorEndpoint: collector.endpoint,
      shadowEndpoint: shadow.endpoint,
      primaryHandler: wideJsonService,
      ...(shadowRouteTimeout !== undefined && { adjustBootstrap: (bootstrap) => withShadowRouteTimeout(bootstrap, shadowRouteTimeout) }),
    });
  }

  /** Sends REQUESTS mirrored requests; every primary response must be exactly the primary's. */
  async function sendMirrored(running: Stack): Promise<string[]> {
    expect(await sendChecked(running, pathsOf('/orders', REQUESTS), 8)).toEqual([]);
    const edge = await running.envoy.stats();
    expect(edge.get('http.edge.downstream_rq_2xx')).toBe(REQUESTS);
    expect(edge.get('http.edge.downstream_rq_5xx')).toBe(0);
    const ids = running.primary.requests.map((request) => headerValue(request.headers, 'x-shadowdiff-id'));
    expect(ids.every((id) => id !== undefined)).toBe(true);
    return ids as string[];
  }

  /** Waits until the collector has decided every id (paired or missing), and returns the pairs. */
  async function decided(ids: string[]): Promise<PairView[]> {
    return waitUntil(
      'the collector to decide every mirrored request',
      async () => {
        const pairs = await Promise.all(ids.map((id) => collector!.pair(id)));
        const all = pairs.filter((pair): pair is PairView => pair !== undefined);
        return all.length === ids.length && all.every((pair) => pair.state === 'paired' || pair.state === 'shadow_missing')
          ? all
          : undefined;
      },
      { timeoutMs: 30_000 },
    );
  }

  it.each(cases)(
    'when $name: primary unaffected, every shadow leg counted as failed or missing',
    async ({ fault, judged, shadowRouteTimeout }) => {
      stack = await startWithShadow(fault, shadowRouteTimeout);
      const pairs = await decided(await sendMirrored(stack));
      const final = await collector!.report();
      expect(final.totals.matched).toBe(0);
      for (const pair of pairs) {
        expect(pair.state, pair.id).toBe('paired');
        expect(pair.diff?.diverged, pair.id).toBe(true);
        expect(pair.shadow?.status, pair.id).toBe(judged.shadowStatus);
        expect(pair.diff?.kinds, pair.id).toContain(judged.kind);
        expect(pair.primary?.status).toBe(200);
        expect(pair.primary?.complete).toBe(true);
      }
      expect(final.totals.coverage.pairs).toBe(REQUESTS);
      expect(final.totals.diverged).toBe(REQUESTS);
      const [route] = final.routes;
      expect(route?.errors.shadow.count).toBe(judged.shadowError ? REQUESTS : 0);
      expect(route?.errors.primary.count).toBe(0);
    },
    120_000,
  );

  it('when slower than the join window: every primary is shadow_missing, and the late shadows are counted late', async () => {
    // The shadow answers after 8 s: inside Envoy's default 15 s route timeout, but after the collector's 5 s window.
    stack = await startWithShadow({ kind: 'slow', delayMs: 8000, body: '{}' });
    const pairs = await decided(await sendMirrored(stack));
    expect(pairs.every((pair) => pair.state === 'shadow_missing')).toBe(true);
    const final = await waitUntil(
      'the late shadow legs',
      async () => {
        const current = await collector!.report();
        return current.totals.late === REQUESTS ? current : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(final.totals.matched).toBe(0);
    expect(final.totals.coverage).toMatchObject({ pairs: 0, shadowMissing: REQUESTS, shadowCoverage: 0 });
  }, 120_000);
});
