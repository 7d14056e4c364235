// The secondary leg through a real Envoy (filter/README.md, "The secondary"): the edge chooses
// which sampled requests also go to a second instance of the primary version, the route with two
// mirror policies copies them to the shadow and to the secondary's internal listener, whose filter
// marks and digests them as leg `secondary`. Every record is read as the collector's schema
// validates it (the stub collector's records()), and no batch may violate the wire format.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settledFilterStats } from '../../devkit/filterStats.js';
import { waitUntil } from '../../devkit/waitUntil.js';
import { dumpEnvoyLogsOnFailure } from '../support/dumpEnvoyLogsOnFailure.js';
import { headerValue } from '../support/headers.js';
import { startStack, type Stack } from '../support/shadowdiffStack.js';
import type { IngestedRecord } from '../../collector/types.js';
import { cohortSampling, testEdgeConfig } from '../support/testFilterConfigs.js';
import type { UpstreamHandler } from '../support/upstream.js';

const USERS = 30;
const edgeConfig = testEdgeConfig({ ...cohortSampling({ always: 100, never: 0 }), secondaryPercent: 50 });

/** Each upstream answers the same document, so every leg of a request digests alike. */
const sameDocument: UpstreamHandler = (request) => ({
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ path: request.path, items: [1, 2, 3] }),
});

/** Sends the unsampled cohort first (had any of it been mirrored, it would arrive before the copies waited for), then the sampled one. */
async function sendCohorts(stack: Stack): Promise<void> {
  for (let user = 0; user < 10; user++) {
    const response = await stack.send(`/never/${user}`, { 'x-cohort': 'never', 'x-user-id': `n${user}` });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ path: `/never/${user}`, items: [1, 2, 3] });
  }
  for (let user = 0; user < USERS; user++) {
    const response = await stack.send(`/always/${user}`, { 'x-cohort': 'always', 'x-user-id': `u${user}` });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ path: `/always/${user}`, items: [1, 2, 3] });
  }
}

/** The primary records of the sampled cohort, once all have arrived. */
async function primaryRecords(stack: Stack): Promise<IngestedRecord[]> {
  const records = await waitUntil('a primary record of every sampled request', () => {
    const primary = legRecords(stack, 'primary');
    return primary.length >= USERS ? primary : undefined;
  });
  expect(records).toHaveLength(USERS);
  return records;
}

/** The validated records of one leg; a batch the wire format refuses fails the test at once. */
function legRecords(stack: Stack, leg: IngestedRecord['leg']): IngestedRecord[] {
  expect(stack.collector.violations).toEqual([]);
  return stack.collector.records().filter((record) => record.leg === leg);
}

const pathsOf = (records: ReadonlyArray<{ path: string }>): string[] => records.map((record) => record.path).sort();

describe('the secondary leg in Envoy', () => {
  let stack: Stack | undefined;
  dumpEnvoyLogsOnFailure(() => [stack?.envoy]);
  beforeAll(async () => {
    stack = await startStack({
      edgeConfig,
      secondary: 'up',
      primaryHandler: sameDocument,
      shadowHandler: sameDocument,
      secondaryHandler: sameDocument,
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('mirrors sampled requests to the shadow, those the edge chose for the secondary to the secondary too, each copy marked; unsampled ones to neither', async () => {
    const { primary, shadow, secondary } = stack!;
    await sendCohorts(stack!);
    const primaries = await primaryRecords(stack!);
    const chosen = primaries.filter((record) => record.withSecondary === true);
    // both kinds of sampled request are here (30 users at 50%)
    expect(chosen.length).toBeGreaterThan(0);
    expect(chosen.length).toBeLessThan(USERS);
    for (const record of primaries) expect(record.withSecondary === undefined || record.withSecondary === true).toBe(true);

    const shadowCopies = await shadow.waitForRequests(USERS);
    const secondaryCopies = await secondary!.waitForRequests(chosen.length);
    expect(pathsOf(shadowCopies)).toEqual(Array.from({ length: USERS }, (_, user) => `/always/${user}`).sort());
    expect(pathsOf(secondaryCopies)).toEqual(pathsOf(chosen));
    for (const copy of [...shadowCopies, ...secondaryCopies]) {
      expect(headerValue(copy.headers, 'x-shadowdiff-shadow'), copy.path).toBe('1');
      expect(headerValue(copy.headers, 'x-shadowdiff-sampled'), copy.path).toBe('1');
    }
    // the routing header has done its work once the route is chosen: no service sees it
    for (const seen of [...primary.requests, ...shadowCopies, ...secondaryCopies]) {
      expect(Object.keys(seen.headers).filter((name) => /secondary/.test(name))).toEqual([]);
    }
    for (const seen of primary.requests) expect(headerValue(seen.headers, 'x-shadowdiff-shadow')).toBeUndefined();

    const secondaries = await waitUntil('a secondary record of every copy', () => {
      const records = legRecords(stack!, 'secondary');
      return records.length >= chosen.length ? records : undefined;
    });
    expect(secondaries.map((record) => record.id).sort()).toEqual(chosen.map((record) => record.id).sort());
    const shadows = legRecords(stack!, 'shadow');
    expect(shadows).toHaveLength(USERS);
    // the same response digests the same on every leg
    const bodyHashById = new Map(shadows.map((record) => [record.id, record.bodyHash]));
    for (const record of secondaries) expect(record.bodyHash).toBe(bodyHashById.get(record.id));

    const stats = await settledFilterStats(stack!.envoy);
    expect(stats.get('wasmcustom.shadowdiff.edge.sampled.always')).toBe(USERS);
    expect(stats.get('wasmcustom.shadowdiff.edge.secondary.always')).toBe(chosen.length);
    expect(stats.get('wasmcustom.shadowdiff.secondary.tagged')).toBe(chosen.length);
    expect(stats.get('wasmcustom.shadowdiff.secondary.digested')).toBe(chosen.length);
    expect(stats.get('wasmcustom.shadowdiff.shadow.tagged')).toBe(USERS);
  });

  it('lets no client choose the secondary: its routing header, in every spelling, is stripped, and the same users are chosen as before', async () => {
    const { secondary } = stack!;
    const spoofed = {
      'x-shadowdiff-secondary': '1',
      x_shadowdiff_secondary: '1',
      'x-shadowdiff_secondary': '1',
      'x-shadowdiff-sampled': '1',
    };
    const chosenUsers = legRecords(stack!, 'primary')
      .filter((record) => record.withSecondary === true)
      .map((record) => record.path.replace('/always/', ''))
      .sort();
    const before = secondary!.requests.length;
    for (let user = 0; user < 10; user++) {
      expect((await stack!.send(`/spoofed-never/${user}`, { ...spoofed, 'x-cohort': 'never', 'x-user-id': `n${user}` })).status).toBe(200);
    }
    for (let user = 0; user < USERS; user++) {
      expect((await stack!.send(`/spoofed/${user}`, { ...spoofed, 'x-cohort': 'always', 'x-user-id': `u${user}` })).status).toBe(200);
    }
    const copies = (await secondary!.waitForRequests(before + chosenUsers.length)).slice(before);
    // the unsampled ones came first: had any reached the secondary, it would be among these
    expect(copies.map((copy) => copy.path.replace('/spoofed/', '')).sort()).toEqual(chosenUsers);
    for (const seen of stack!.primary.requests.filter((request) => request.path.startsWith('/spoofed'))) {
      expect(
        Object.keys(seen.headers).filter((name) => /secondary/.test(name)),
        seen.path,
      ).toEqual([]);
    }
  });
});

describe('a secondary that is down', () => {
  let stack: Stack | undefined;
  dumpEnvoyLogsOnFailure(() => [stack?.envoy]);
  beforeAll(async () => {
    stack = await startStack({ edgeConfig, secondary: 'down', primaryHandler: sameDocument, shadowHandler: sameDocument });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('leaves the primary path and the shadow leg as they are: every response the primary’s, every shadow copy and record there; the secondary leg says it reached no upstream', async () => {
    await sendCohorts(stack!);
    const primaries = await primaryRecords(stack!);
    const chosen = primaries.filter((record) => record.withSecondary === true);
    expect(chosen.length).toBeGreaterThan(0);
    expect(await stack!.shadow.waitForRequests(USERS)).toHaveLength(USERS);
    const shadows = await waitUntil('a shadow record of every sampled request', () => {
      const records = legRecords(stack!, 'shadow');
      return records.length >= USERS ? records : undefined;
    });
    expect(shadows.map((record) => record.id).sort()).toEqual(primaries.map((record) => record.id).sort());
    for (const record of [...primaries, ...shadows]) expect(record.status, record.path).toBe(200);
    // the mirror really went to the secondary's cluster and was refused there
    const refused = await waitUntil('refused connections to the secondary', async () => {
      const stats = await stack!.envoy.stats();
      return (stats.get('cluster.shadowdiff_secondary.upstream_cx_connect_fail') ?? 0) > 0 ? stats : undefined;
    });
    expect(refused.get('cluster.shadowdiff_secondary.upstream_cx_connect_fail')).toBeGreaterThan(0);
    const stats = await settledFilterStats(stack!.envoy);
    expect(stats.get('wasmcustom.shadowdiff.secondary.tagged')).toBe(chosen.length);
    // Envoy's local reply to each copy: a 503 that reached no upstream, so without upstreamUs,
    // which is how the collector tells a secondary that is down from one that answered
    const secondaries = await waitUntil('a secondary record of every copy', () => {
      const records = legRecords(stack!, 'secondary');
      return records.length >= chosen.length ? records : undefined;
    });
    expect(secondaries.map((record) => record.id).sort()).toEqual(chosen.map((record) => record.id).sort());
    for (const record of secondaries) {
      expect(record.status).toBe(503);
      expect('upstreamUs' in record).toBe(false);
    }
    for (const record of shadows) expect(record.upstreamUs).toEqual(expect.any(Number));
    expect(stats.get('wasmcustom.shadowdiff.edge.export_failures') ?? 0).toBe(0);
  });
});
