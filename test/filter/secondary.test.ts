// The secondary leg (filter/README.md, "The secondary"): the edge chooses, sticky by the sampling
// bucket, which sampled requests are also mirrored to a second instance of the primary version,
// writes the routing header and marks the primary record; the shadow role with `leg: secondary`
// marks and observes that copy. The collector of this commit does not accept these records yet,
// so the tests read the filter's export bodies as JSON, not through the collector's validator.
import { describe, expect, it } from 'vitest';
import { wireFormatErrors } from '../../devkit/wireFormat.js';
import type { ProxyWasmHost } from '../../emulator/index.js';
import { COLLECTOR, edgeConfig, loadHost, publishMetrics, request, type Headers, type Plugin } from './harness.js';

const SECONDARY = 'x-shadowdiff-secondary';
const BODY = '{"id":"o-1","total":12.5,"lines":[{"sku":"a","qty":2}]}';

interface Decision {
  sampled: boolean;
  secondary: boolean;
}

function decide(plugin: Plugin, extra: Headers): Decision {
  const stream = plugin.newHttpStream();
  stream.sendRequestHeaders(request('/orders/1', extra), true);
  const secondary = stream.requestHeader(SECONDARY);
  expect(secondary === undefined || secondary === '1').toBe(true);
  const decision = { sampled: stream.requestHeader('x-shadowdiff-sampled') === '1', secondary: secondary === '1' };
  stream.complete();
  return decision;
}

/** Two-sided bound: |observed - n p| <= 4.5 standard deviations (false failure odds ~ 1e-5). */
function expectBinomial(observed: number, n: number, p: number): void {
  expect(Math.abs(observed - n * p)).toBeLessThanOrEqual(4.5 * Math.sqrt(n * p * (1 - p)));
}

/** The records of every finished export call, as the filter sent them (JSON, not validated), acknowledging each. */
function exportedBodies(host: ProxyWasmHost): Array<{ v: number; source: string; records: Array<Record<string, unknown>> }> {
  const bodies = [];
  for (const call of host.pendingHttpCalls()) {
    bodies.push(JSON.parse(call.bodyText()));
    host.respondHttpCall(call.token, { status: 200 });
  }
  return bodies;
}

/** One request through `plugin`, answered with BODY; returns the request headers as the plugin left them. */
function serve(plugin: Plugin, headers: Headers): Headers {
  const stream = plugin.newHttpStream();
  stream.sendRequestHeaders(headers, true);
  const after = stream.requestHeaders.map(([name, value]): [string, string] => [name, value]);
  stream.sendResponseHeaders(
    [
      [':status', '200'],
      ['content-type', 'application/json'],
    ],
    false,
  );
  stream.sendResponseBody(BODY, true);
  stream.complete();
  return after;
}

const user = (i: number): Headers => [['x-user-id', `user-${i}`]];

describe('the secondary leg at the edge', () => {
  it('mirrors secondaryPercent of the sampled users to the secondary too: only sampled ones, sticky across Envoys, at its share', async () => {
    const config = edgeConfig({ defaultPercent: 50, secondaryPercent: 20 });
    const first = (await loadHost()).startPlugin(config);
    const second = (await loadHost()).startPlugin(config);
    let sampled = 0;
    let secondary = 0;
    for (let i = 0; i < 4000; i++) {
      const decision = decide(first, user(i));
      if (decision.secondary) expect(decision.sampled).toBe(true);
      expect(decide(first, user(i))).toEqual(decision);
      expect(decide(second, user(i))).toEqual(decision);
      if (decision.sampled) sampled++;
      if (decision.secondary) secondary++;
    }
    expectBinomial(sampled, 4000, 0.5);
    // a share of the sampled users, whatever the segment's percent
    expectBinomial(secondary, sampled, 0.2);
  });

  it('takes the same share of a 100% segment and of a 10% default, and nests: a larger share keeps every user of a smaller one', async () => {
    const host = await loadHost();
    const segments = [{ name: 'employees', header: 'x-group', exact: ['employee'], percent: 100 }];
    const small = host.startPlugin(edgeConfig({ defaultPercent: 10, secondaryPercent: 25, segments }));
    const large = host.startPlugin(edgeConfig({ defaultPercent: 10, secondaryPercent: 50, segments }));
    const counts = { employees: [0, 0], others: [0, 0] };
    for (let i = 0; i < 4000; i++) {
      const employee: Headers = [...user(i), ['x-group', 'employee']];
      const inSmall = decide(small, employee);
      expect(inSmall.sampled).toBe(true);
      if (inSmall.secondary) {
        counts.employees[0]!++;
        expect(decide(large, employee).secondary).toBe(true);
      }
      const other = decide(small, user(i));
      if (other.sampled) counts.others[0]!++;
      if (other.secondary) counts.others[1]!++;
    }
    expectBinomial(counts.employees[0]!, 4000, 0.25);
    expectBinomial(counts.others[1]!, counts.others[0]!, 0.25);
  });

  it('sends no sampled request to the secondary at secondaryPercent 0 (the default), and every one at 100', async () => {
    const host = await loadHost();
    const off = host.startPlugin(edgeConfig({ defaultPercent: 100 }));
    const all = host.startPlugin(edgeConfig({ defaultPercent: 30, secondaryPercent: 100 }));
    for (let i = 0; i < 300; i++) {
      expect(decide(off, user(i))).toEqual({ sampled: true, secondary: false });
      const decision = decide(all, user(i));
      expect(decision.secondary).toBe(decision.sampled);
    }
  });

  it.each([
    ['not sampled', 0, false],
    ['sampled, not for the secondary', 100, false],
    ['sampled for the secondary', 100, true],
  ] as const)('strips a client-sent secondary header in every spelling (%s)', async (_case, percent, toSecondary) => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: percent, secondaryPercent: toSecondary ? 100 : 0 }));
    const stream = plugin.newHttpStream();
    stream.sendRequestHeaders(
      request('/', [...user(1), ['x-shadowdiff-secondary', '1'], ['X_ShadowDiff_Secondary', '1'], ['x-shadowdiff_secondary', 'yes']]),
      true,
    );
    const left = stream.requestHeaders.filter(([name]) => /^x[-_]shadowdiff[-_]secondary$/i.test(name));
    expect(left).toEqual(toSecondary ? [[SECONDARY, '1']] : []);
    stream.complete();
    publishMetrics(plugin);
    expect(host.metric('shadowdiff.edge.spoofed_headers_removed')?.value).toBe(1n);
  });

  it.each([1, 2] as const)(
    'marks the primary record of a request mirrored to the secondary with withSecondary, and only it (wire format %s)',
    async (wireVersion) => {
      const host = await loadHost();
      const collector = { ...COLLECTOR, wireVersion };
      const export1 = { batchSize: 1 };
      const withSecondary = host.startPlugin(edgeConfig({ defaultPercent: 100, secondaryPercent: 100 }, { collector, export: export1 }));
      const without = host.startPlugin(edgeConfig({ defaultPercent: 100, secondaryPercent: 0 }, { collector, export: export1 }));
      serve(withSecondary, request('/orders/1', user(1)));
      const [marked] = exportedBodies(host);
      serve(without, request('/orders/1', user(1)));
      const [unmarked] = exportedBodies(host);
      expect(marked?.v).toBe(wireVersion);
      const markedRecord = marked!.records[0]!;
      const unmarkedRecord = unmarked!.records[0]!;
      expect(markedRecord['withSecondary']).toBe(true);
      expect(markedRecord['leg']).toBe('primary');
      expect('withSecondary' in unmarkedRecord).toBe(false);
      // the member is the only difference in shape; a record without it is what the collector accepts today
      expect(Object.keys(markedRecord).filter((key) => key !== 'withSecondary')).toEqual(Object.keys(unmarkedRecord));
      expect(wireFormatErrors(unmarked)).toBeNull();
      publishMetrics(withSecondary, without);
      // the two plugins' same-named counters add up, as in Envoy
      expect(host.metric('shadowdiff.edge.secondary.default')?.value).toBe(1n);
      expect(host.metric('shadowdiff.edge.sampled.default')?.value).toBe(2n);
    },
  );
});

describe('the secondary leg at the shadow role', () => {
  it.each([1, 2] as const)(
    'marks the copy and records it as leg secondary with the primary’s id and the same digest as a shadow leg (wire format %s)',
    async (wireVersion) => {
      const host = await loadHost();
      const collector = { ...COLLECTOR, wireVersion };
      const edge = host.startPlugin(edgeConfig({ defaultPercent: 100, secondaryPercent: 100 }, { collector, export: { batchSize: 1 } }));
      const shadow = host.startPlugin(JSON.stringify({ role: 'shadow', collector, export: { batchSize: 1 } }));
      const secondary = host.startPlugin(JSON.stringify({ role: 'shadow', leg: 'secondary', collector, export: { batchSize: 1 } }));
      // Envoy copies the request headers as the edge left them to each mirror
      const copy = serve(edge, request('/orders/1', user(7)));
      const [primaryBatch] = exportedBodies(host);
      expect(serve(secondary, copy).find(([name]) => name === 'x-shadowdiff-shadow')).toEqual(['x-shadowdiff-shadow', '1']);
      const [secondaryBatch] = exportedBodies(host);
      serve(shadow, copy);
      const [shadowBatch] = exportedBodies(host);

      const primaryRecord = primaryBatch!.records[0]!;
      const secondaryRecord = secondaryBatch!.records[0]!;
      const shadowRecord = shadowBatch!.records[0]!;
      expect(secondaryBatch!.source).toBe('secondary');
      expect(secondaryRecord).toMatchObject({ leg: 'secondary', id: primaryRecord['id'], segment: 'default', reason: 'default' });
      expect('withSecondary' in secondaryRecord).toBe(false);
      const digestOf = ({ id: _id, leg: _leg, startUnixMs: _s, firstByteUs: _f, lastByteUs: _l, ...rest }: Record<string, unknown>) => rest;
      expect(digestOf(secondaryRecord)).toEqual(digestOf(shadowRecord));

      publishMetrics(shadow, secondary);
      // counted apart from the shadow role's filter of the same Envoy
      expect(host.metric('shadowdiff.secondary.tagged')?.value).toBe(1n);
      expect(host.metric('shadowdiff.secondary.digested')?.value).toBe(1n);
      expect(host.metric('shadowdiff.shadow.tagged')?.value).toBe(1n);
    },
  );

  it('names its batches by an explicit source, and a shadow with leg shadow behaves as without the option', async () => {
    const host = await loadHost();
    const named = host.startPlugin(
      JSON.stringify({ role: 'shadow', leg: 'secondary', source: 'orders-v1-b', collector: COLLECTOR, export: { batchSize: 1 } }),
    );
    const plain = host.startPlugin(JSON.stringify({ role: 'shadow', leg: 'shadow', collector: COLLECTOR, export: { batchSize: 1 } }));
    const tagged = request('/orders/1', [['x-shadowdiff-id', '7173b17081b6d89d']]);
    serve(named, tagged);
    serve(plain, tagged);
    const [first, second] = exportedBodies(host);
    expect(first!.source).toBe('orders-v1-b');
    expect(first!.records[0]!['leg']).toBe('secondary');
    expect(second!.source).toBe('shadow');
    expect(second!.records[0]!['leg']).toBe('shadow');
    expect(wireFormatErrors(second)).toBeNull();
  });
});
