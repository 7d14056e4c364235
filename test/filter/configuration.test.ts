// Table-driven: every invalid configuration is refused at configure time with a critical
// log naming the field; valid ones start.
import { describe, expect, it } from 'vitest';
import { COLLECTOR, loadHost } from './harness.js';

const segment = { name: 'beta', header: 'x-beta', present: true, percent: 50 };
const edge = (extra: Record<string, unknown>) =>
  JSON.stringify({ role: 'edge', collector: COLLECTOR, sampling: { segments: [segment] }, ...extra });

const invalid: Array<[string, string, string]> = [
  ['empty configuration', '', 'configuration is empty'],
  ['not JSON', '{role: edge}', 'not valid JSON'],
  ['not an object', '[1,2]', 'configuration: must be an object'],
  ['missing role', JSON.stringify({ collector: COLLECTOR }), 'role: is required'],
  ['unknown role', JSON.stringify({ role: 'mirror', collector: COLLECTOR }), 'role: must be edge, shadow or primary'],
  ['unknown top-level field', edge({ smapling: {} }), 'smapling: unknown field'],
  ['missing collector', JSON.stringify({ role: 'shadow' }), 'collector: is required'],
  ['collector without cluster', JSON.stringify({ role: 'shadow', collector: { path: '/x' } }), 'collector.cluster: is required'],
  [
    'collector path without slash',
    JSON.stringify({ role: 'shadow', collector: { cluster: 'c', path: 'v1' } }),
    'collector.path: must start with',
  ],
  [
    'collector timeout zero',
    JSON.stringify({ role: 'shadow', collector: { cluster: 'c', timeoutMs: 0 } }),
    'collector.timeoutMs: must be an integer from 1 to 60000',
  ],
  [
    'wire version 3',
    JSON.stringify({ role: 'shadow', collector: { cluster: 'c', wireVersion: 3 } }),
    'collector.wireVersion: must be 1 or 2',
  ],
  [
    'wire version as a string',
    JSON.stringify({ role: 'shadow', collector: { cluster: 'c', wireVersion: '2' } }),
    'collector.wireVersion: must be 1 or 2',
  ],
  [
    'token with a space',
    JSON.stringify({ role: 'shadow', collector: { cluster: 'c', token: 'a b' } }),
    'collector.token: must be printable ASCII',
  ],
  ['edge without sampling', JSON.stringify({ role: 'edge', collector: COLLECTOR }), 'sampling: is required for the edge role'],
  ['sampling on a shadow', JSON.stringify({ role: 'shadow', collector: COLLECTOR, sampling: {} }), 'sampling: only the edge role samples'],
  [
    'percent above 100',
    edge({ sampling: { segments: [{ ...segment, percent: 101 }] } }),
    'sampling.segments[0].percent: must be a number from 0 to 100',
  ],
  [
    'percent as a string',
    edge({ sampling: { segments: [segment, { ...segment, name: 'b2', percent: '5' }] } }),
    'sampling.segments[1].percent: must be a number from 0 to 100',
  ],
  ['default percent negative', edge({ sampling: { defaultPercent: -1 } }), 'sampling.defaultPercent: must be a number from 0 to 100'],
  [
    'secondary percent above 100',
    edge({ sampling: { secondaryPercent: 100.5 } }),
    'sampling.secondaryPercent: must be a number from 0 to 100',
  ],
  [
    'secondary percent as a string',
    edge({ sampling: { secondaryPercent: '10' } }),
    'sampling.secondaryPercent: must be a number from 0 to 100',
  ],
  [
    'unknown leg',
    JSON.stringify({ role: 'shadow', leg: 'tertiary', collector: COLLECTOR }),
    'leg: must be shadow or secondary, got "tertiary"',
  ],
  ['leg not a string', JSON.stringify({ role: 'shadow', leg: 2, collector: COLLECTOR }), 'leg: must be a string, not a number'],
  ['leg on an edge', edge({ leg: 'secondary' }), 'leg: only the shadow role takes a leg; remove it for role edge'],
  [
    'leg on a primary',
    JSON.stringify({ role: 'primary', leg: 'shadow', collector: COLLECTOR }),
    'leg: only the shadow role takes a leg; remove it for role primary',
  ],
  [
    'segment without a matcher',
    edge({ sampling: { segments: [{ name: 'x', header: 'x-a', percent: 1 }] } }),
    'sampling.segments[0]: needs exactly one of',
  ],
  [
    'segment with two matchers',
    edge({ sampling: { segments: [{ name: 'x', header: 'x-a', present: true, prefix: 'a', percent: 1 }] } }),
    'sampling.segments[0]: needs exactly one of',
  ],
  [
    'segment named default',
    edge({ sampling: { segments: [{ ...segment, name: 'default' }] } }),
    'sampling.segments[0].name: must be 1-64 characters',
  ],
  ['segment name with capitals', edge({ sampling: { segments: [{ ...segment, name: 'Beta' }] } }), 'sampling.segments[0].name'],
  ['duplicate segment names', edge({ sampling: { segments: [segment, segment] } }), 'sampling.segments[1].name: duplicate segment name'],
  [
    'upper-case header',
    edge({ sampling: { segments: [{ ...segment, header: 'X-Beta' }] } }),
    'sampling.segments[0].header: must be a lower-case HTTP header name',
  ],
  [
    'empty exact list',
    edge({ sampling: { segments: [{ name: 'x', header: 'x-a', exact: [], percent: 1 }] } }),
    'sampling.segments[0].exact: must be an array of 1 to 64 strings',
  ],
  [
    'path prefix without slash',
    edge({ sampling: { segments: [{ ...segment, pathPrefix: 'api' }] } }),
    'sampling.segments[0].pathPrefix: must start with',
  ],
  [
    'fractional rate cap',
    edge({ sampling: { segments: [{ ...segment, maxPerSecond: 1.5 }] } }),
    'sampling.segments[0].maxPerSecond: must be an integer',
  ],
  ['negative filter rate cap', edge({ sampling: { maxPerSecond: -1 } }), 'sampling.maxPerSecond: must be an integer from 0 to 1000000000'],
  [
    'segment rate cap default as a string',
    edge({ sampling: { segmentMaxPerSecond: '50' } }),
    'sampling.segmentMaxPerSecond: must be an integer from 0 to 1000000000',
  ],
  ['unknown segment field', edge({ sampling: { segments: [{ ...segment, weight: 3 }] } }), 'sampling.segments[0].weight: unknown field'],
  ['maxFields too large', edge({ digest: { maxFields: 5000 } }), 'digest.maxFields: must be an integer from 0 to 4096'],
  ['maxDepth zero', edge({ digest: { maxDepth: 0 } }), 'digest.maxDepth: must be an integer from 1 to 128'],
  [
    'maxSubtrees too small to localise',
    edge({ digest: { maxSubtrees: 3 } }),
    'digest.maxSubtrees: must be 0 (no subtree hashes) or an integer from 8 to 4096',
  ],
  ['maxSubtrees too large', edge({ digest: { maxSubtrees: 5000 } }), 'digest.maxSubtrees: must be an integer from 0 to 4096'],
  ['digest header not a string', edge({ digest: { headers: ['etag', 7] } }), 'digest.headers[1]: must be a string'],
  [
    '__proto__ as a digested header',
    edge({ digest: { headers: ['__proto__'] } }),
    'digest.headers[0]: "__proto__" cannot be a header name here',
  ],
  ['json flag not boolean', edge({ digest: { json: 'yes' } }), 'digest.json: must be true or false'],
  ['queue smaller than a batch', edge({ export: { batchSize: 64, maxQueue: 10 } }), 'export.maxQueue: must be at least export.batchSize'],
  ['flush interval too short', edge({ export: { flushIntervalMs: 1 } }), 'export.flushIntervalMs: must be an integer from 10 to 60000'],
  ['header prefix without dash', edge({ headerPrefix: 'x-sd' }), "headerPrefix: must be a lower-case header name prefix ending with '-'"],
  ['duplicate JSON member', '{"role":"edge","role":"shadow"}', 'duplicate member'],
  ['trailing garbage', `${JSON.stringify({ role: 'shadow', collector: COLLECTOR })}x`, 'unexpected text after the JSON value'],
];

describe('plugin configuration', () => {
  it.each(invalid)('refuses %s, naming the problem', async (_name, config, message) => {
    const host = await loadHost();
    const plugin = host.startPlugin(config);
    expect(plugin.ok).toBe(false);
    expect(host.trapped).toBeNull();
    const critical = host.criticalLogs().join('\n');
    expect(critical).toContain('shadowdiff: invalid configuration: ');
    expect(critical).toContain(message);
  });

  it.each([
    ['minimal shadow', { role: 'shadow', collector: { cluster: 'c' } }],
    ['minimal primary', { role: 'primary', collector: { cluster: 'c' } }],
    ['wire format 1 for a collector not upgraded yet', { role: 'shadow', collector: { cluster: 'c', wireVersion: 1 } }],
    ['shadow observing the secondary', { role: 'shadow', leg: 'secondary', collector: { cluster: 'c' } }],
    ['shadow naming its default leg', { role: 'shadow', leg: 'shadow', collector: { cluster: 'c' } }],
    ['edge with defaults only', { role: 'edge', collector: { cluster: 'c' }, sampling: {} }],
    [
      'edge with every option',
      {
        role: 'edge',
        source: 'edge-eu-1',
        headerPrefix: 'x-sd-',
        shadowHostSuffix: '',
        collector: { cluster: 'c', authority: 'collector:8090', path: '/v1/batches', token: 's3cret', timeoutMs: 500, wireVersion: 2 },
        sampling: {
          keyHeader: 'x-account',
          salt: 'exp-7',
          defaultPercent: 5,
          secondaryPercent: 20,
          maxPerSecond: 500,
          segmentMaxPerSecond: 0,
          segments: [
            { name: 'employees', header: 'x-user-group', exact: ['employee', 'staff'], percent: 100 },
            { name: 'beta', header: 'x-beta', present: true, percent: 50, maxPerSecond: 10 },
            { name: 'eu', header: ':authority', prefix: 'eu.', pathPrefix: '/checkout', percent: 12.5 },
          ],
        },
        digest: { headers: ['content-type', 'etag'], json: true, maxFields: 4096, maxDepth: 128 },
        export: { batchSize: 1024, maxQueue: 65536, flushIntervalMs: 10, maxInflight: 64 },
      },
    ],
  ])('accepts %s', async (_name, config) => {
    const host = await loadHost();
    const plugin = host.startPlugin(JSON.stringify(config));
    expect(host.criticalLogs()).toEqual([]);
    expect(plugin.ok).toBe(true);
    expect(plugin.tickPeriodMs).toBeGreaterThanOrEqual(10);
  });

  it('keeps working for other plugins when one configuration is refused', async () => {
    const host = await loadHost();
    expect(host.startPlugin('{"role":"nope"}').ok).toBe(false);
    const good = host.startPlugin(JSON.stringify({ role: 'shadow', collector: { cluster: 'c' } }));
    expect(good.ok).toBe(true);
    const stream = good.newHttpStream();
    stream.sendRequestHeaders(
      [
        [':method', 'GET'],
        [':path', '/'],
        [':authority', 'a'],
      ],
      true,
    );
    expect(stream.requestHeader('x-shadowdiff-shadow')).toBe('1');
  });
});
