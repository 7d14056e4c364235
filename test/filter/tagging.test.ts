import { describe, expect, it } from 'vitest';
import { COLLECTOR, drainBatches, edgeConfig, loadHost, publishMetrics, request } from './harness.js';

const CONTROL = ['x-shadowdiff-sampled', 'x-shadowdiff-id', 'x-shadowdiff-segment', 'x-shadowdiff-reason', 'x-shadowdiff-shadow'];

describe('tagging and spoofing', () => {
  it('removes client-supplied control headers before deciding, so a client cannot force mirroring', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: 0 }));
    const stream = plugin.newHttpStream();
    stream.sendRequestHeaders(
      request('/', [
        ['x-shadowdiff-sampled', '1'],
        ['x-shadowdiff-shadow', '1'],
        ['x-shadowdiff-id', 'victim'],
        ['x-shadowdiff-segment', 'employees'],
        ['x-shadowdiff-reason', 'segment'],
        ['x-shadowdiff-anything', 'x'],
      ]),
      true,
    );
    for (const name of [...CONTROL, 'x-shadowdiff-anything']) expect(stream.requestHeader(name)).toBeUndefined();
    publishMetrics(plugin);
    expect(host.metric('shadowdiff.edge.spoofed_headers_removed')?.value).toBe(1n);
  });

  // The host lower-cases names before the filter sees them (Envoy's codecs do, and so does the
  // emulator), and Envoy passes underscored names on by default: a server that reads headers as
  // CGI variables takes x_shadowdiff_shadow for the marker.
  it.each([
    [
      'mixed case',
      [
        ['X-ShadowDiff-Shadow', '1'],
        ['X-SHADOWDIFF-SAMPLED', '1'],
        ['X-ShadowDiff-Id', 'victim'],
      ],
    ],
    [
      'underscores',
      [
        ['x_shadowdiff_shadow', '1'],
        ['x_shadowdiff_sampled', '1'],
        ['x_shadowdiff_id', 'victim'],
      ],
    ],
    [
      'mixed case and underscores',
      [
        ['X_ShadowDiff-Shadow', '1'],
        ['x-shadowdiff_sampled', '1'],
        ['X_SHADOWDIFF_SEGMENT', 'employees'],
      ],
    ],
  ] satisfies Array<[string, Array<[string, string]>]>)(
    'strips control headers spelled with %s before deciding',
    async (_spelling, spoofed) => {
      const host = await loadHost();
      const plugin = host.startPlugin(edgeConfig({ defaultPercent: 0 }));
      const stream = plugin.newHttpStream();
      stream.sendRequestHeaders(request('/', spoofed), true);
      const left = stream.requestHeaders.map(([name]) => name).filter((name) => /^x[-_]shadowdiff[-_]/i.test(name));
      expect(left).toEqual([]);
      expect(stream.requestHeader('x-request-id')).toBeDefined();
      publishMetrics(plugin);
      expect(host.metric('shadowdiff.edge.spoofed_headers_removed')?.value).toBe(1n);
      expect(host.metric('shadowdiff.edge.not_sampled')?.value).toBe(1n);
    },
  );

  it('strips underscore spellings of a custom header prefix too, and nothing that merely resembles it', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: 0 }, { headerPrefix: 'x-sd-' }));
    const stream = plugin.newHttpStream();
    stream.sendRequestHeaders(
      request('/', [
        ['X_SD_Shadow', '1'],
        ['x-sdk-version', '3'],
        ['x_sd', 'short'],
      ]),
      true,
    );
    expect(stream.requestHeader('x_sd_shadow')).toBeUndefined();
    expect(stream.requestHeader('x-sdk-version')).toBe('3');
    expect(stream.requestHeader('x_sd')).toBe('short');
  });

  it('replaces a spoofed correlation id on a sampled request with one it minted', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: 100 }));
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const stream = plugin.newHttpStream();
      stream.sendRequestHeaders(
        request('/', [
          ['x-shadowdiff-id', 'chosen-by-client'],
          ['x-request-id', 'same-request-id'],
        ]),
        true,
      );
      const id = stream.requestHeader('x-shadowdiff-id');
      expect(id).toMatch(/^[0-9a-f]{16}$/);
      ids.add(id!);
      expect(stream.requestHeader('x-shadowdiff-shadow')).toBeUndefined();
      stream.complete();
    }
    expect(ids.size).toBe(200);
  });

  it('tags the mirrored copy at the shadow and keeps its correlation id, segment and reason', async () => {
    const host = await loadHost();
    const edge = host.startPlugin(
      edgeConfig({ segments: [{ name: 'employees', header: 'x-user-group', exact: ['employee'], percent: 100 }] }),
    );
    const shadow = host.startPlugin(JSON.stringify({ role: 'shadow', collector: COLLECTOR }));
    const primaryLeg = edge.newHttpStream();
    primaryLeg.sendRequestHeaders(request('/orders/7', [['x-user-group', 'employee']]), true);
    expect(primaryLeg.requestHeader('x-shadowdiff-shadow')).toBeUndefined();
    // Envoy copies the (mutated) request headers to the mirror and appends -shadow to the host
    const mirrored = primaryLeg.requestHeaders.map(([k, v]): [string, string] => (k === ':authority' ? [k, `${v}-shadow`] : [k, v]));
    const shadowLeg = shadow.newHttpStream();
    shadowLeg.sendRequestHeaders(mirrored, true);
    expect(shadowLeg.requestHeader('x-shadowdiff-shadow')).toBe('1');
    expect(shadowLeg.requestHeader('x-shadowdiff-id')).toBe(primaryLeg.requestHeader('x-shadowdiff-id'));
    expect(shadowLeg.requestHeader('x-shadowdiff-segment')).toBe('employees');
    expect(shadowLeg.requestHeader('x-shadowdiff-reason')).toBe('segment');
    publishMetrics(shadow);
    expect(host.metric('shadowdiff.shadow.tagged')?.value).toBe(1n);
  });

  it('marks a copy at the shadow even without a correlation id, but does not observe it', async () => {
    const host = await loadHost();
    const shadow = host.startPlugin(JSON.stringify({ role: 'shadow', collector: COLLECTOR, export: { batchSize: 1 } }));
    const stream = shadow.newHttpStream();
    stream.sendRequestHeaders(request('/'), true);
    expect(stream.requestHeader('x-shadowdiff-shadow')).toBe('1');
    stream.sendResponseHeaders([[':status', '200']], true);
    stream.complete();
    expect(host.pendingHttpCalls()).toHaveLength(0);
    publishMetrics(shadow);
    expect(host.metric('shadowdiff.shadow.untagged')?.value).toBe(1n);
  });

  // The wire format's id is [0-9A-Za-z._:-]{1,128}: a leg whose id is outside it is counted
  // untagged and never exported, so the collector cannot be handed an id it must refuse.
  describe.each(['shadow', 'primary'] as const)('correlation id length at the %s role', (role) => {
    const observedId = async (id: string): Promise<{ exported: string | undefined; untagged: bigint | undefined }> => {
      const host = await loadHost();
      const plugin = host.startPlugin(JSON.stringify({ role, collector: COLLECTOR, export: { batchSize: 1 } }));
      const stream = plugin.newHttpStream();
      stream.sendRequestHeaders(request('/', [['x-shadowdiff-id', id]]), true);
      stream.sendResponseHeaders([[':status', '200']], true);
      stream.complete();
      const exported = drainBatches(host)
        .flatMap((batch) => batch.records)
        .map((record) => record.id);
      expect(exported.length).toBeLessThanOrEqual(1);
      publishMetrics(plugin);
      return { exported: exported[0], untagged: host.metric(`shadowdiff.${role}.untagged`)?.value };
    };

    it.each([
      ['1 character', 'a'],
      ['128 characters', 'b'.repeat(128)],
    ])('observes an id of %s', async (_length, id) => {
      expect(await observedId(id)).toEqual({ exported: id, untagged: 0n });
    });

    it.each([
      ['empty', ''],
      ['129 characters', 'c'.repeat(129)],
    ])('ignores an id that is %s', async (_length, id) => {
      expect(await observedId(id)).toEqual({ exported: undefined, untagged: 1n });
    });
  });

  it('in the primary role strips a marker that reached the primary, and treats a -shadow host as a copy', async () => {
    const host = await loadHost();
    const primary = host.startPlugin(JSON.stringify({ role: 'primary', collector: COLLECTOR }));
    const leaked = primary.newHttpStream();
    leaked.sendRequestHeaders(
      request('/', [
        ['x-shadowdiff-shadow', '1'],
        ['x-shadowdiff-id', 'abc'],
      ]),
      true,
    );
    expect(leaked.requestHeader('x-shadowdiff-shadow')).toBeUndefined();
    const copy = primary.newHttpStream();
    copy.sendRequestHeaders(
      [
        [':method', 'GET'],
        [':path', '/'],
        [':authority', 'orders-shadow:8080'],
        ['x-shadowdiff-id', 'abc'],
      ],
      true,
    );
    expect(copy.requestHeader('x-shadowdiff-shadow')).toBe('1');
  });

  it('honours a custom header prefix', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: 100 }, { headerPrefix: 'x-sd-' }));
    const stream = plugin.newHttpStream();
    stream.sendRequestHeaders(request('/', [['x-sd-shadow', '1']]), true);
    expect(stream.requestHeader('x-sd-shadow')).toBeUndefined();
    expect(stream.requestHeader('x-sd-sampled')).toBe('1');
    expect(stream.requestHeader('x-shadowdiff-sampled')).toBeUndefined();
  });

  it('adds nothing to requests it does not sample', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(edgeConfig({ defaultPercent: 0 }));
    const stream = plugin.newHttpStream();
    const headers = request('/');
    stream.sendRequestHeaders(headers, true);
    expect(stream.requestHeaders).toEqual(headers);
  });
});
