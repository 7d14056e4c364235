import { describe, expect, it } from 'vitest';
import { defaultCapsEdgeConfig, edgeConfig, loadHost, request, type Headers, type Plugin } from './harness.js';

function sampled(plugin: Plugin, extra: Headers, path = '/orders/1'): { sampled: boolean; segment: string | undefined; reason: string | undefined } {
  const stream = plugin.newHttpStream();
  stream.sendRequestHeaders(request(path, extra), true);
  const result = {
    sampled: stream.requestHeader('x-shadowdiff-sampled') === '1',
    segment: stream.requestHeader('x-shadowdiff-segment'),
    reason: stream.requestHeader('x-shadowdiff-reason'),
  };
  stream.complete();
  return result;
}

/** Two-sided bound: |observed - n p| <= 4.5 standard deviations (false failure odds ~ 1e-5). */
function expectBinomial(observed: number, n: number, p: number): void {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(observed - n * p)).toBeLessThanOrEqual(4.5 * sd);
}

describe('segment sampling', () => {
  it('mirrors a 100% segment always and a 0% segment never', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({
      segments: [
        { name: 'employees', header: 'x-user-group', exact: ['employee'], percent: 100 },
        { name: 'bots', header: 'x-user-group', exact: ['bot'], percent: 0 },
      ],
      defaultPercent: 0,
    }));
    for (let i = 0; i < 500; i++) {
      expect(sampled(plugin, [['x-user-group', 'employee'], ['x-user-id', `u${i}`]]).sampled).toBe(true);
      expect(sampled(plugin, [['x-user-group', 'bot'], ['x-user-id', `u${i}`]]).sampled).toBe(false);
      expect(sampled(plugin, [['x-user-id', `u${i}`]]).sampled).toBe(false);
    }
    expect(host.metric('shadowdiff.edge.sampled.employees')?.value).toBe(500n);
    expect(host.metric('shadowdiff.edge.not_sampled')?.value).toBe(1000n);
  });

  it('lands 10,000 users at 5% within a binomial bound, and 50% likewise', async () => {
    const host = await loadHost();
    const five = host.startPlugin(edgeConfig({ defaultPercent: 5 }));
    const half = host.startPlugin(edgeConfig({ defaultPercent: 50 }));
    let atFive = 0;
    let atHalf = 0;
    for (let i = 0; i < 10_000; i++) {
      const user: Headers = [['x-user-id', `user-${i}`]];
      const inFive = sampled(five, user).sampled;
      const inHalf = sampled(half, user).sampled;
      if (inFive) atFive++;
      if (inHalf) atHalf++;
      // buckets nest: a user mirrored at 5% is mirrored at 50% too
      if (inFive) expect(inHalf).toBe(true);
    }
    expectBinomial(atFive, 10_000, 0.05);
    expectBinomial(atHalf, 10_000, 0.5);
  });

  it('is sticky per user across requests and across independent Envoy processes', async () => {
    const config = edgeConfig({ keyHeader: 'x-user-id', defaultPercent: 50 });
    const first = (await loadHost()).startPlugin(config);
    const second = (await loadHost()).startPlugin(config);
    for (let i = 0; i < 300; i++) {
      const user: Headers = [['x-user-id', `sticky-${i}`]];
      const decision = sampled(first, user).sampled;
      expect(sampled(first, user).sampled).toBe(decision);
      expect(sampled(second, user).sampled).toBe(decision);
    }
  });

  it('changes who is in the sample when the salt changes', async () => {
    const host = await loadHost();
    const a = host.startPlugin(edgeConfig({ defaultPercent: 50, salt: 'experiment-1' }));
    const b = host.startPlugin(edgeConfig({ defaultPercent: 50, salt: 'experiment-2' }));
    let differ = 0;
    for (let i = 0; i < 400; i++) {
      const user: Headers = [['x-user-id', `salted-${i}`]];
      if (sampled(a, user).sampled !== sampled(b, user).sampled) differ++;
    }
    expectBinomial(differ, 400, 0.5);
  });

  it('falls back to x-request-id, so users without the key header are sampled per request', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: 50 }));
    let count = 0;
    for (let i = 0; i < 2000; i++) if (sampled(plugin, []).sampled) count++;
    expectBinomial(count, 2000, 0.5);
  });

  // Ids found offline for the default (empty) salt; each test first proves its id's bucket
  // through the filter itself, so a changed hash fails here instead of silently testing nothing.
  const BUCKET_0_USER = 'user-4904';
  const BUCKET_1_USER = 'user-4204';
  const BUCKET_9999_USER = 'user-6702';

  it('compares the bucket strictly: 0% takes no user, not even bucket 0, and 0.01% takes bucket 0 alone', async () => {
    const host = await loadHost();
    const none = host.startPlugin(edgeConfig({ defaultPercent: 0 }));
    const oneBp = host.startPlugin(edgeConfig({ defaultPercent: 0.01 }));
    const all = host.startPlugin(edgeConfig({ defaultPercent: 100 }));
    expect(sampled(oneBp, [['x-user-id', BUCKET_0_USER]]).sampled).toBe(true);
    expect(sampled(oneBp, [['x-user-id', BUCKET_1_USER]]).sampled).toBe(false);
    expect(sampled(none, [['x-user-id', BUCKET_0_USER]]).sampled).toBe(false);
    expect(sampled(all, [['x-user-id', BUCKET_9999_USER]]).sampled).toBe(true);
    let takenAtZero = 0;
    for (let i = 0; i < 20_000; i++) if (sampled(none, [['x-user-id', `user-${i}`]]).sampled) takenAtZero++;
    expect(takenAtZero).toBe(0);
    expect(host.metric('shadowdiff.edge.sampled.default')?.value).toBe(2n);
  });

  // req-17820 is in bucket 4999 and req-26703 in bucket 5000: at 50% the first is always in, the second never.
  it('without the key header, keys on x-request-id: the same request id gets the same decision every time', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: 50 }));
    for (let i = 0; i < 100; i++) {
      expect(sampled(plugin, [['x-request-id', 'req-17820']]).sampled).toBe(true);
      expect(sampled(plugin, [['x-request-id', 'req-26703']]).sampled).toBe(false);
      // an empty key header is absent
      expect(sampled(plugin, [['x-user-id', ''], ['x-request-id', 'req-17820']]).sampled).toBe(true);
    }
    // the request id is the key itself: a user id of the same value lands in the same bucket
    const oneBp = host.startPlugin(edgeConfig({ defaultPercent: 0.01 }));
    expect(sampled(oneBp, [['x-request-id', BUCKET_0_USER]]).sampled).toBe(true);
    expect(sampled(oneBp, [['x-request-id', BUCKET_1_USER]]).sampled).toBe(false);
    // the configured key header wins over the request id
    expect(sampled(oneBp, [['x-user-id', BUCKET_1_USER], ['x-request-id', BUCKET_0_USER]]).sampled).toBe(false);
  });

  it('without the key header and x-request-id, samples each request on its own', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: 50 }));
    const anonymous: Headers = [[':method', 'GET'], [':path', '/orders/1'], [':authority', 'orders.local']];
    let count = 0;
    for (let i = 0; i < 2000; i++) {
      const stream = plugin.newHttpStream();
      stream.sendRequestHeaders(anonymous, true);
      if (stream.requestHeader('x-shadowdiff-sampled') === '1') count++;
      stream.complete();
    }
    expectBinomial(count, 2000, 0.5);
  });

  it('applies rules in order, first match wins, with exact, prefix, presence and path prefix', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({
      defaultPercent: 0,
      segments: [
        { name: 'internal-checkout', header: 'x-user-group', exact: ['employee'], pathPrefix: '/checkout', percent: 0 },
        { name: 'employees', header: 'x-user-group', exact: ['employee', 'staff'], percent: 100 },
        { name: 'eu', header: 'x-region', prefix: 'eu-', percent: 100 },
        { name: 'beta', header: 'x-beta', present: true, percent: 100 },
      ],
    }));
    expect(sampled(plugin, [['x-user-group', 'employee']], '/checkout/cart')).toMatchObject({ sampled: false });
    expect(sampled(plugin, [['x-user-group', 'employee']], '/orders')).toEqual({ sampled: true, segment: 'employees', reason: 'segment' });
    expect(sampled(plugin, [['x-user-group', 'staff'], ['x-beta', '1']])).toMatchObject({ sampled: true, segment: 'employees' });
    expect(sampled(plugin, [['x-region', 'eu-west'], ['x-beta', '']])).toMatchObject({ sampled: true, segment: 'eu' });
    expect(sampled(plugin, [['x-region', 'us-east'], ['x-beta', '']])).toMatchObject({ sampled: true, segment: 'beta' });
    expect(sampled(plugin, [['x-region', 'us-east']])).toMatchObject({ sampled: false });
    expect(host.metric('shadowdiff.edge.sampled.beta')?.value).toBe(1n);
  });

  it('labels requests sampled by the default percentage as segment "default", reason "default"', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: 100, segments: [{ name: 'beta', header: 'x-beta', present: true, percent: 100 }] }));
    expect(sampled(plugin, [])).toEqual({ sampled: true, segment: 'default', reason: 'default' });
    expect(host.metric('shadowdiff.edge.sampled.default')?.value).toBe(1n);
  });

  it('caps a segment per second across workers through shared data, and counts what it refused', async () => {
    const host = await loadHost();
    const config = edgeConfig({ segments: [{ name: 'beta', header: 'x-beta', present: true, percent: 100, maxPerSecond: 5 }] });
    const workers = [host.startPlugin(config), host.startPlugin(config)];
    host.setTimeNanos(1_700_000_000_000_000_000n);
    let mirrored = 0;
    for (let i = 0; i < 20; i++) if (sampled(workers[i % 2]!, [['x-beta', '1'], ['x-user-id', `cap-${i}`]]).sampled) mirrored++;
    expect(mirrored).toBe(5);
    expect(host.metric('shadowdiff.edge.rate_limited.beta')?.value).toBe(15n);
    host.advanceTimeMs(1000);
    expect(sampled(workers[0]!, [['x-beta', '1']]).sampled).toBe(true);
  });

  describe('mirroring caps by default (a client that sends a segment header cannot have a flood mirrored)', () => {
    const SECOND = 1_700_000_000_000_000_000n;
    const flood = (plugin: Plugin, headers: Headers, count: number, tag: string): number => {
      let mirrored = 0;
      for (let i = 0; i < count; i++) if (sampled(plugin, [...headers, ['x-user-id', `${tag}-${i}`]], `/flood/${tag}/${i}`).sampled) mirrored++;
      return mirrored;
    };

    it('caps each segment at 50 per second and the filter at 100, and counts each refusal', async () => {
      const host = await loadHost();
      const config = defaultCapsEdgeConfig({
        defaultPercent: 100,
        segments: [
          { name: 'employees', header: 'x-user-group', exact: ['employee'], percent: 100 },
          { name: 'beta', header: 'x-beta', present: true, percent: 100 },
          { name: 'eu', header: 'x-region', exact: ['eu'], percent: 100 },
        ],
      });
      const workers = [host.startPlugin(config), host.startPlugin(config)];
      host.setTimeNanos(SECOND);
      expect(flood(workers[0]!, [['x-user-group', 'employee']], 200, 'emp')).toBe(50);
      expect(flood(workers[1]!, [], 200, 'anon')).toBe(50);
      expect(host.metric('shadowdiff.edge.rate_limited.employees')?.value).toBe(150n);
      expect(host.metric('shadowdiff.edge.rate_limited.default')?.value).toBe(150n);
      // 100 of the filter's 100 are taken: a third segment, still under its own cap, gets none.
      expect(flood(workers[0]!, [['x-beta', '1']], 10, 'beta')).toBe(0);
      expect(host.metric('shadowdiff.edge.filter_rate_limited')?.value).toBe(10n);
      expect(host.metric('shadowdiff.edge.rate_limited.beta')?.value).toBe(0n);
      host.advanceTimeMs(1000);
      expect(flood(workers[1]!, [['x-region', 'eu']], 60, 'eu')).toBe(50);
    });

    it('applies segmentMaxPerSecond to segments without their own cap; 0 lifts a cap', async () => {
      const host = await loadHost();
      const plugin = host.startPlugin(defaultCapsEdgeConfig({
        segmentMaxPerSecond: 3,
        maxPerSecond: 0,
        segments: [
          { name: 'employees', header: 'x-user-group', exact: ['employee'], percent: 100 },
          { name: 'load', header: 'x-load', present: true, percent: 100, maxPerSecond: 0 },
        ],
      }));
      host.setTimeNanos(SECOND);
      expect(flood(plugin, [['x-user-group', 'employee']], 10, 'emp')).toBe(3);
      expect(flood(plugin, [['x-load', '1']], 300, 'load')).toBe(300);
      expect(host.metric('shadowdiff.edge.filter_rate_limited')?.value).toBe(0n);
    });
  });
});
