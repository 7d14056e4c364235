import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../collector/config.js';
import { Pipeline } from '../../../collector/pipeline.js';
import { CollectorMetrics } from '../../../collector/metrics/collectorMetrics.js';
import { renderPair, renderReport, table } from '../../../collector/cli/reportTable.js';
import { FakeClock, legs, record } from '../fixtures.js';

function engine(): Pipeline {
  const config = defaultConfig();
  config.report.noiseMinPairs = 5;
  return new Pipeline(config, new FakeClock(), new CollectorMetrics({ defaultMetrics: false }));
}

describe('reportTable', () => {
  it('aligns columns', () => {
    expect(
      table(
        ['A', 'NUM'],
        [
          ['long value', '1'],
          ['x', '100'],
        ],
        ['left', 'right'],
      ),
    ).toBe('A           NUM\nlong value    1\nx           100');
  });

  it('renders an empty report', () => {
    const text = renderReport(engine().report(), 'http://127.0.0.1:8090/');
    expect(text).toMatch(/^shadowdiff report {2}http:\/\/127\.0\.0\.1:8090\/ {2}2023-11-14T22:13:20\.000Z {2}window 30s/);
    expect(text).toMatch(/no pairs yet$/);
  });

  it('renders routes, coverage, fields with noise notes, and headers', () => {
    const e = engine();
    for (let i = 0; i < 6; i++) {
      e.ingest(
        legs(
          `id-${i}`,
          { fields: { '$.id': '0000002a', '$.meta.generatedAt': `0000000${i + 1}` }, headers: { 'content-type': 'ffffffff' } },
          { fields: { '$.id': '0000002a', '$.meta.generatedAt': `0000001${i}` } },
        ),
      );
    }
    e.ingest([record('primary', { id: 'lonely' })]);
    const text = renderReport(e.report(), 'http://c');
    expect(text).toContain('records   primary 7  shadow 6  duplicates 0  late 0  rejected 0  pending 1');
    expect(text).toMatch(/GET \/orders\/\{id\}\s+6\s+6\s+100\.0%\s+61\.0%–100\.0%/);
    expect(text).toMatch(
      /\$\.meta\.generatedAt\s+6\s+100\.0%\s+6\s+0\s+0\s+id-5 id-4 id-3\s+likely noise: differs in 100\.0% of compared pairs .*; ignore with \$\.meta\.generatedAt/,
    );
    expect(text).toMatch(/content-type\s+6\s+6\s+0\s+0\s+id-5 id-4 id-3/);
  });

  it('says which counts are approximate, what was folded into other, and the memory held per budget part', () => {
    const config = defaultConfig();
    config.routes.max = 1;
    config.report.maxFieldsPerRoute = 1;
    const e = new Pipeline(config, new FakeClock(), new CollectorMetrics({ defaultMetrics: false }));
    e.ingest(legs('a-1', {}, { path: '/a' }));
    e.ingest(legs('b-1', { fields: { '$.id': '0000002a', '$.total': '22222222', '$.x': '00000001' } }, { path: '/b' }));
    e.ingest(legs('b-2', { fields: { '$.id': '0000002a', '$.total': '22222222' } }, { path: '/b' }));
    const text = renderReport(e.report(), 'http://c');
    expect(text).toMatch(/routes 1 {2}\(1 lighter routes folded into "other"\)/);
    expect(text).toMatch(/^memory {4}pending 0\.0MiB\/96\.0MiB {2}pairs \d+\.\dMiB\/64\.0MiB {2}tallies \d+\.\dMiB\/64\.0MiB$/m);
    expect(text).toContain('approximate: tracked after up to 1 requests of routes it replaced');
    // b-1: $.x takes $.total's place; b-2: $.total takes it back, with $.x's weight (2) as its error.
    expect(text).toMatch(/2 lighter fields gave up their place/);
    expect(text).toMatch(/\$\.total\s+1 \(\+≤2\)/);
  });

  it('renders a pair with its diff and the basis of the decision', () => {
    const e = engine();
    e.ingest(legs('p-1', { json: 'malformed', fields: {}, bodyHash: 'ffffffffffffffff' }));
    const view = e.pair('p-1');
    expect(view).toBeDefined();
    const text = renderPair(view ?? (undefined as never));
    expect(text).toMatch(/^pair p-1 {2}paired {2}GET \/orders\/\{id\}/);
    expect(text).toContain('DIVERGED: body  (decided by the body hash: json_state_differs; ignored 0 field and 0 header differences)');
    expect(text).toMatch(/shadow\s+200\s+true\s+120\s+9\.0ms\s+15\.0ms\s+malformed\s+0\s+ffffffffffffffff/);
  });

  it('names the differing subtree of documents beyond the leaf budget, in the pair and in the report', () => {
    const config = defaultConfig();
    config.ignore.fields = ['$.meta.generatedAt'];
    const e = new Pipeline(config, new FakeClock(), new CollectorMetrics({ defaultMetrics: false }));
    const subtrees = {
      $: 'ffff0000',
      '$.meta': 'aaaa0001',
      '$.results': 'bbbb00ff',
      '$.results[0..35]': 'bbbb0001',
      '$.results[36..71]': 'bbbb0002',
    };
    e.ingest(
      legs(
        'big-1',
        { subtrees: { ...subtrees, $: 'ffff0001', '$.meta': 'aaaa1001', '$.results': 'bbbb10ff', '$.results[36..71]': 'bbbb1002' } },
        { fieldsTruncated: true, subtrees, subtreesTruncated: false },
      ),
    );
    const text = renderPair(e.pair('big-1') ?? (undefined as never));
    expect(text).toContain('DIVERGED: field  (decided by the subtree digest: both documents beyond the leaf budget; ignored 0 field');
    expect(text).toMatch(/primary\s+200\s+true\s+120\s+8\.0ms\s+12\.0ms\s+ok\s+2 \(truncated\); 5 subtrees/);
    expect(text).toMatch(/\$\.results\[36\.\.71\]\s+changed\s+bbbb0002\s+bbbb1002/);
    expect(text).toMatch(/\$\.meta\s+inconclusive: ignore rules reach into it\s+aaaa0001\s+aaaa1001/);
    expect(renderReport(e.report(), 'http://c')).toMatch(/\$\.results\[\*\]\s+1\s+100\.0%\s+1\s+0\s+0\s+big-1/);
  });

  it('renders a pending pair with the missing leg marked', () => {
    const e = engine();
    e.ingest([record('shadow', { id: 'p-2' })]);
    const text = renderPair(e.pair('p-2') ?? (undefined as never));
    expect(text).toMatch(/primary\s+\(not received\)/);
    expect(text).not.toContain('DIVERGED');
  });
});
