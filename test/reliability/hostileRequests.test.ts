// Hostile clients through a real Envoy, with the real collector joining the legs: control
// headers in odd spellings, repeated, huge, or copied from another request in flight. None may
// reach the primary as a shadow marker, force a mirror, or bend another request's pair.
// test/envoy/controlHeaders.test.ts covers the plain spoof (one of each header, fetch-shaped);
// this file goes after the edges of that.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PairView } from '../../collector/types.js';
import { dumpEnvoyLogsOnFailure } from '../support/dumpEnvoyLogsOnFailure.js';
import { settledFilterStats } from '../../devkit/filterStats.js';
import { headersWithPrefix, headerValue } from '../support/headers.js';
import { startJoiningCollector, type JoiningCollector } from '../support/joiningCollector.js';
import { startStack, type Stack } from '../support/shadowdiffStack.js';
import { cohortSampling, testEdgeConfig } from '../support/testFilterConfigs.js';
import type { RecordedRequest, StubResponse } from '../support/upstream.js';
import { waitUntil } from '../../devkit/waitUntil.js';
import { everyRequestOnePair, reportOncePaired } from './joinedReport.js';
import { FRAMING_HEADER_LINES, getWithHeaderLines, type RawAnswer } from './rawHeaderRequest.js';

const PREFIX = 'x-shadowdiff-';
const MARKER = `${PREFIX}shadow`;
const MINTED_ID = /^[0-9a-f]{16}$/;
/** Envoy's defaults, which the shipped bootstrap keeps: max_request_headers_kb and max_headers_count. */
const ENVOY_MAX_HEADERS_BYTES = 60 * 1024;
const ENVOY_MAX_HEADER_LINES = 100;
const SAMPLED: Array<[string, string]> = [['x-cohort', 'always']];
const NOT_SAMPLED: Array<[string, string]> = [['x-cohort', 'never']];

/**
 * Primary and shadow answer the same body, naming the path: a pair joined from two different
 * requests would differ in `$.path`. Paths under /slow/ answer late, to keep requests concurrent.
 */
function samePathAnswer(request: RecordedRequest): StubResponse {
  return {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ path: request.path }),
    delayMs: request.path.startsWith('/slow/') ? 400 : undefined,
  };
}

/**
 * The control headers a request arrived with, as a server that maps header names to CGI-style
 * variables sees them: there `x_shadowdiff_shadow` and `x-shadowdiff-shadow` are the same header.
 */
function controlHeadersAt(request: RecordedRequest): Record<string, string> {
  return headersWithPrefix(
    Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.replaceAll('_', '-'), value])),
    PREFIX,
  );
}

describe('hostile requests through Envoy', () => {
  let collector: JoiningCollector | undefined;
  let stack: Stack | undefined;
  /** Every request the edge should have sampled, by path: the collector must end with exactly these pairs. */
  const sampledPaths = new Set<string>();
  dumpEnvoyLogsOnFailure(() => [stack?.envoy]);

  beforeAll(async () => {
    collector = await startJoiningCollector();
    stack = await startStack({
      edgeConfig: testEdgeConfig(cohortSampling({ always: 100, never: 0 })),
      collectorEndpoint: collector.endpoint,
      primaryHandler: samePathAnswer,
      shadowHandler: samePathAnswer,
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await collector?.close();
  });

  async function send(path: string, lines: Array<[string, string]>): Promise<RawAnswer> {
    const answer = await getWithHeaderLines(stack!.envoy.edgeUrl, path, lines);
    if (answer.status === 200 && lines.some(([name, value]) => name === 'x-cohort' && value === 'always')) sampledPaths.add(path);
    return answer;
  }

  function atPrimary(path: string): RecordedRequest {
    const request = stack!.primary.requests.find((received) => received.path === path);
    if (request === undefined) throw new Error(`the primary never received ${path}`);
    return request;
  }

  /** The collector's view of one correlation id, once both legs are in. */
  async function pairOf(id: string): Promise<PairView> {
    return waitUntil(
      `pair ${id} joined`,
      async () => {
        const pair = await collector!.pair(id);
        return pair === undefined || pair.state === 'pending' ? undefined : pair;
      },
      { timeoutMs: 20_000 },
    );
  }

  /** The sampled request at `path` reached the primary and the shadow under one minted id, and the collector paired exactly those two legs. */
  async function expectOwnPair(path: string): Promise<string> {
    const id = headerValue(atPrimary(path).headers, `${PREFIX}id`) ?? '';
    expect(id).toMatch(MINTED_ID);
    const pair = await pairOf(id);
    expect(pair.state).toBe('paired');
    expect(pair.primary?.path).toBe(path);
    expect(pair.shadow?.path).toBe(path);
    expect(pair.diff?.kinds).toEqual([]);
    const copy = (await stack!.shadow.waitForRequests(1)).find((received) => received.path === path);
    expect(headerValue(copy!.headers, `${PREFIX}id`)).toBe(id);
    return id;
  }

  /** Mirroring is asynchronous: once a sampled request sent later has its copy, an earlier copy would have arrived too. */
  async function shadowPathsAfterSentinel(sentinel: string): Promise<string[]> {
    expect((await send(sentinel, SAMPLED)).status).toBe(200);
    await waitUntil(`the copy of ${sentinel}`, () => stack!.shadow.requests.some((request) => request.path === sentinel) || undefined);
    return stack!.shadow.requests.map((request) => request.path);
  }

  it('a shadow marker in any case, with underscores, repeated or comma-joined, never reaches the primary, and the copy carries exactly one', async () => {
    const markers: Array<Array<[string, string]>> = [
      [['X-ShadowDiff-Shadow', '1']],
      [['X-SHADOWDIFF-SHADOW', 'true']],
      [
        ['x_shadowdiff_shadow', '1'],
        ['X_ShadowDiff-Shadow', '1'],
      ],
      Array.from({ length: 20 }, (): [string, string] => [MARKER, '1']),
      [
        [MARKER, '1, 1'],
        [MARKER, '0'],
      ],
    ];
    for (const [index, marker] of markers.entries()) {
      for (const [kind, cohort] of [
        ['sampled', SAMPLED],
        ['not-sampled', NOT_SAMPLED],
      ] as const) {
        const path = `/marker/${index}/${kind}`;
        expect((await send(path, [...cohort, ...marker])).status).toBe(200);
        expect(controlHeadersAt(atPrimary(path))[MARKER]).toBeUndefined();
        if (kind === 'sampled') {
          await expectOwnPair(path);
          const copy = stack!.shadow.requests.find((request) => request.path === path);
          expect(copy!.headers[MARKER]).toBe('1');
        }
      }
    }
  });

  it('a spoofed sampling decision in a 0% segment, however spelled or repeated, mirrors nothing and exports nothing', async () => {
    const statsBefore = await settledFilterStats(stack!.envoy);
    const decisions: Array<Array<[string, string]>> = [
      [[`${PREFIX}sampled`, '1']],
      [['X-ShadowDiff-Sampled', '1']],
      [['x_shadowdiff_sampled', '1']],
      Array.from({ length: 50 }, (): [string, string] => [`${PREFIX}sampled`, '1']),
      [
        [`${PREFIX}sampled`, '1'],
        [`${PREFIX}id`, 'forced-id'],
        [`${PREFIX}segment`, 'always'],
        [`${PREFIX}reason`, 'segment'],
      ],
    ];
    const paths = decisions.map((_, index) => `/forced/${index}`);
    const answers = await Promise.all(decisions.map((decision, index) => send(paths[index]!, [...NOT_SAMPLED, ...decision])));
    expect(answers.map((answer) => answer.status)).toEqual(decisions.map(() => 200));
    for (const path of paths) expect(controlHeadersAt(atPrimary(path))).toEqual({});

    const shadowPaths = await shadowPathsAfterSentinel('/forced/sentinel');
    expect(shadowPaths.filter((path) => path.startsWith('/forced/'))).toEqual(['/forced/sentinel']);
    const statsAfter = await settledFilterStats(stack!.envoy);
    const delta = (name: string): number => (statsAfter.get(name) ?? 0) - (statsBefore.get(name) ?? 0);
    expect(delta('wasmcustom.shadowdiff.edge.not_sampled')).toBe(decisions.length);
    expect(delta('wasmcustom.shadowdiff.edge.spoofed_headers_removed')).toBe(decisions.length);
    // Nothing the client chose shows up at the collector either.
    expect((await fetch(`${collector!.server.url}/v1/pairs/forced-id`)).status).toBe(404);
  });

  it("a client copying a concurrent request's correlation id and request id gets its own id, and both pairs join correctly", async () => {
    const victimPath = '/slow/victim';
    const victim = send(victimPath, SAMPLED);
    const victimAtPrimary = await waitUntil('the victim at the primary', () =>
      stack!.primary.requests.find((request) => request.path === victimPath),
    );
    const victimId = headerValue(victimAtPrimary.headers, `${PREFIX}id`)!;
    const victimRequestId = headerValue(victimAtPrimary.headers, 'x-request-id')!;
    expect(victimId).toMatch(MINTED_ID);

    // While the victim's response is still pending, copy its ids into sampled and unsampled requests.
    const stolen: Array<[string, string]> = [
      [`${PREFIX}id`, victimId],
      ['x-request-id', victimRequestId],
      [`${PREFIX}sampled`, '1'],
    ];
    const attackers = Array.from({ length: 12 }, (_, index) => ({
      path: `/slow/attacker-${index}`,
      lines: [...(index % 2 === 0 ? SAMPLED : NOT_SAMPLED), ...stolen, ...(index % 3 === 0 ? stolen : [])],
    }));
    const answers = await Promise.all(attackers.map((attacker) => send(attacker.path, attacker.lines)));
    expect(answers.map((answer) => answer.status)).toEqual(attackers.map(() => 200));
    expect((await victim).status).toBe(200);

    expect(await expectOwnPair(victimPath)).toBe(victimId);
    const attackerIds: string[] = [];
    for (const [index, attacker] of attackers.entries()) {
      const headers = atPrimary(attacker.path).headers;
      // Envoy keeps a client's x-request-id (the listener is not an edge with use_remote_address),
      // repeated ones too; the correlation id is minted regardless.
      expect(headerValue(headers, 'x-request-id')!.split(',')).toEqual(
        index % 3 === 0 ? [victimRequestId, victimRequestId] : [victimRequestId],
      );
      if (index % 2 === 0) attackerIds.push(await expectOwnPair(attacker.path));
      else expect(controlHeadersAt(atPrimary(attacker.path))).toEqual({});
    }
    expect(new Set([victimId, ...attackerIds]).size).toBe(1 + attackerIds.length);
    const victimPair = await pairOf(victimId);
    expect(victimPair.primary?.path).toBe(victimPath);
    expect(victimPair.shadow?.path).toBe(victimPath);
  });

  it(`huge control headers are stripped below Envoy's ${ENVOY_MAX_HEADERS_BYTES / 1024} KiB header limit and get Envoy's own 431 above it`, async () => {
    // 56 KiB: under Envoy's limit with room for the other lines, and far over the 16 KiB that the
    // Node primary accepts: it answers 200 only because the edge removed the header.
    const huge = 'a'.repeat(56 * 1024);
    for (const name of ['id', 'shadow', 'sampled', 'segment']) {
      for (const [kind, cohort] of [
        ['sampled', SAMPLED],
        ['not-sampled', NOT_SAMPLED],
      ] as const) {
        const path = `/huge/${name}/${kind}`;
        const answer = await send(path, [...cohort, [`${PREFIX}${name}`, huge]]);
        expect(answer.status).toBe(200);
        const controlHeaders = controlHeadersAt(atPrimary(path));
        if (kind === 'not-sampled') expect(controlHeaders).toEqual({});
        else {
          expect(controlHeaders).toEqual({
            [`${PREFIX}id`]: expect.stringMatching(MINTED_ID),
            [`${PREFIX}reason`]: 'segment',
            [`${PREFIX}sampled`]: '1',
            [`${PREFIX}segment`]: 'always',
          });
          await expectOwnPair(path);
        }
      }
    }

    const statsBefore = await settledFilterStats(stack!.envoy);
    const primaryBefore = stack!.primary.requests.length;
    const overLimit = await send('/huge/over-limit', [...SAMPLED, [`${PREFIX}id`, 'a'.repeat(ENVOY_MAX_HEADERS_BYTES)]]);
    expect(overLimit).toEqual({ status: 431, body: 'Request Header Fields Too Large' });
    const statsAfter = await settledFilterStats(stack!.envoy);
    const delta = (name: string): number => (statsAfter.get(name) ?? 0) - (statsBefore.get(name) ?? 0);
    expect(delta('http.edge.downstream_rq_4xx')).toBe(1);
    // The codec refused it before any filter ran: nothing sampled, stripped, or forwarded.
    expect(delta('wasmcustom.shadowdiff.edge.spoofed_headers_removed')).toBe(0);
    expect(delta('wasmcustom.shadowdiff.edge.sampled.always')).toBe(0);
    expect(stack!.primary.requests.length).toBe(primaryBefore);
    expect((await send('/huge/after', SAMPLED)).status).toBe(200);
    await expectOwnPair('/huge/after');
  });

  it(`repeated control headers up to Envoy's ${ENVOY_MAX_HEADER_LINES}-line limit are all stripped; one line more gets Envoy's 431`, async () => {
    const fill = (cohort: Array<[string, string]>, extra: number): Array<[string, string]> => {
      const repeats = ENVOY_MAX_HEADER_LINES - FRAMING_HEADER_LINES - cohort.length + extra;
      const names = ['sampled', 'shadow', 'id', 'segment', 'reason'];
      return [
        ...cohort,
        ...Array.from({ length: repeats }, (_, index): [string, string] => [`${PREFIX}${names[index % names.length]}`, '1']),
      ];
    };
    expect(fill(SAMPLED, 0).length + FRAMING_HEADER_LINES).toBe(ENVOY_MAX_HEADER_LINES);

    expect((await send('/repeated/not-sampled', fill(NOT_SAMPLED, 0))).status).toBe(200);
    expect(controlHeadersAt(atPrimary('/repeated/not-sampled'))).toEqual({});
    expect((await send('/repeated/sampled', fill(SAMPLED, 0))).status).toBe(200);
    expect(controlHeadersAt(atPrimary('/repeated/sampled'))[MARKER]).toBeUndefined();
    await expectOwnPair('/repeated/sampled');
    const shadowPaths = await shadowPathsAfterSentinel('/repeated/sentinel');
    expect(shadowPaths).not.toContain('/repeated/not-sampled');

    const primaryBefore = stack!.primary.requests.length;
    expect(await send('/repeated/over-limit', fill(SAMPLED, 1))).toEqual({ status: 431, body: 'Request Header Fields Too Large' });
    expect(stack!.primary.requests.length).toBe(primaryBefore);
  });

  it('leaves the collector with exactly one matched pair per sampled request: nothing duplicated, crossed or missing', async () => {
    const expected = sampledPaths.size;
    // The tests above sample 20 requests; fewer means one of them stopped early.
    expect(expected).toBeGreaterThanOrEqual(20);
    const report = await reportOncePaired(collector!.server.url, expected);
    expect(report.totals).toMatchObject(everyRequestOnePair(expected, 0));
  });
});
