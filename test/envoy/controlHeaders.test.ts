import { describe, expect, it } from 'vitest';
import { settledFilterStats } from '../../devkit/filterStats.js';
import { headersWithPrefix, headerValue } from '../support/headers.js';
import { stackPerFile } from '../support/stackPerFile.js';
import { cohortSampling, testEdgeConfig, testShadowConfig } from '../support/testFilterConfigs.js';

const PREFIX = 'x-shadowdiff-';
const spoofed = {
  'x-shadowdiff-shadow': '1',
  'x-shadowdiff-sampled': '1',
  'x-shadowdiff-id': 'chosen-by-client',
  'x-shadowdiff-segment': 'always',
  'x-shadowdiff-reason': 'segment',
  'x-shadowdiff-anything-else': 'x',
};

describe('control headers between client, primary and shadow', () => {
  const stack = stackPerFile({ edgeConfig: testEdgeConfig(cohortSampling({ always: 100, never: 0 })) });

  it('gives the shadow copy the marker, id, segment and reason, and the primary everything but the marker', async () => {
    const { primary, shadow } = stack();
    const response = await stack().send('/tagged', { 'x-cohort': 'always', 'x-user-id': 'alice' });
    expect(response.status).toBe(200);
    const [copy] = (await shadow.waitForRequests(1)).filter((request) => request.path === '/tagged');
    const original = primary.requests.find((request) => request.path === '/tagged');
    const id = headerValue(original!.headers, `${PREFIX}id`);
    expect(id).toMatch(/^[0-9A-Za-z._:-]{1,128}$/);
    expect(headersWithPrefix(original!.headers, PREFIX)).toEqual({
      'x-shadowdiff-id': id,
      'x-shadowdiff-reason': 'segment',
      'x-shadowdiff-sampled': '1',
      'x-shadowdiff-segment': 'always',
    });
    expect(headersWithPrefix(copy!.headers, PREFIX)).toMatchObject({
      'x-shadowdiff-id': id,
      'x-shadowdiff-reason': 'segment',
      'x-shadowdiff-segment': 'always',
      'x-shadowdiff-shadow': '1',
    });
  });

  it('strips spoofed control headers: a client can neither force mirroring nor reach the primary with a marker', async () => {
    const { envoy, primary, shadow } = stack();
    const statsBefore = await settledFilterStats(envoy);
    const shadowBefore = shadow.requests.length;
    const response = await stack().send('/spoofed-not-sampled', { ...spoofed, 'x-cohort': 'never', 'x-user-id': 'mallory' });
    expect(response.status).toBe(200);
    // A sampled request afterwards: once its copy arrived, a mirrored spoofed request would have too.
    await stack().send('/spoofed-sampled', { ...spoofed, 'x-cohort': 'always', 'x-user-id': 'mallory' });
    const copies = (await shadow.waitForRequests(shadowBefore + 1)).slice(shadowBefore);
    expect(copies.map((request) => request.path)).toEqual(['/spoofed-sampled']);

    const notSampled = primary.requests.find((request) => request.path === '/spoofed-not-sampled');
    expect(headersWithPrefix(notSampled!.headers, PREFIX)).toEqual({});
    const sampled = primary.requests.find((request) => request.path === '/spoofed-sampled');
    const sampledHeaders = headersWithPrefix(sampled!.headers, PREFIX);
    expect(Object.keys(sampledHeaders)).toEqual(['x-shadowdiff-id', 'x-shadowdiff-reason', 'x-shadowdiff-sampled', 'x-shadowdiff-segment']);
    expect(sampledHeaders['x-shadowdiff-id']).not.toBe('chosen-by-client');
    expect(headerValue(copies[0]!.headers, `${PREFIX}id`)).toBe(sampledHeaders['x-shadowdiff-id']);
    expect(headerValue(copies[0]!.headers, `${PREFIX}anything-else`)).toBeUndefined();

    const statsAfter = await settledFilterStats(envoy);
    const removed = (stats: Map<string, number>): number => stats.get('wasmcustom.shadowdiff.edge.spoofed_headers_removed') ?? 0;
    expect(removed(statsAfter) - removed(statsBefore)).toBe(2);
  });
});

describe('request bodies', () => {
  const stack = stackPerFile({ edgeConfig: testEdgeConfig(cohortSampling({ always: 100 })) });

  it('reach the primary and the shadow copy byte for byte: the filter exports no request-body callback, so Envoy passes them on', async () => {
    const { envoy, primary, shadow } = stack();
    // Large enough to arrive in several chunks.
    const body = Buffer.alloc(200 * 1024, 0);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >> 7)) & 0xff;
    const response = await fetch(`${envoy.edgeUrl}/posted`, {
      method: 'POST',
      headers: { 'x-cohort': 'always', 'x-user-id': 'bob', 'content-type': 'application/octet-stream' },
      body,
    });
    expect(response.status).toBe(200);
    const [copy] = (await shadow.waitForRequests(1)).filter((request) => request.path === '/posted');
    const original = primary.requests.find((request) => request.path === '/posted');
    expect(original!.body.equals(body)).toBe(true);
    expect(copy!.body.equals(body)).toBe(true);
    expect(headerValue(copy!.headers, `${PREFIX}shadow`)).toBe('1');
  });
});

describe('a custom headerPrefix', () => {
  // The bootstrap derives the mirroring route's header and the marker it strips from the edge's prefix.
  const stack = stackPerFile({
    edgeConfig: { ...testEdgeConfig(cohortSampling({ always: 100 })), headerPrefix: 'x-sd-' },
    shadowConfig: { ...testShadowConfig(), headerPrefix: 'x-sd-' },
  });

  it('is what the mirroring route matches and what the shadow copy is marked with', async () => {
    const response = await stack().send('/prefixed', { 'x-cohort': 'always', 'x-user-id': 'erin', 'x-sd-shadow': '1' });
    expect(response.status).toBe(200);
    const [copy] = await stack().shadow.waitForRequests(1);
    expect(headerValue(copy!.headers, 'x-sd-shadow')).toBe('1');
    expect(headersWithPrefix(copy!.headers, PREFIX)).toEqual({});
    const original = stack().primary.requests.find((request) => request.path === '/prefixed');
    expect(headerValue(original!.headers, 'x-sd-sampled')).toBe('1');
    expect(headerValue(original!.headers, 'x-sd-shadow')).toBeUndefined();
  });
});
