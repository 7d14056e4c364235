// Value capture (`digest.capture`) through the built filter: only the leaves the globs select,
// deny winning over allow, numbers in the digest's canonical form, strings cut to maxStringBytes
// (never inside a UTF-8 character), a bound on the captured bytes per record, refused options
// named by field, and nothing at all — byte for byte — when capture is off.
import { describe, expect, it } from 'vitest';
import type { DigestBatchV2 } from '../../collector/ingest/wireSchemaV2.js';
import { wireFormatErrors } from '../../devkit/wireFormat.js';
import { COLLECTOR, digestOf, loadHost, observerConfig, request } from './harness.js';

async function captured(capture: Record<string, unknown>, body: string, chunks?: string[]) {
  const host = await loadHost();
  const plugin = host.startPlugin(observerConfig({ capture }));
  expect(plugin.ok).toBe(true);
  const options = chunks === undefined ? {} : { chunks };
  return digestOf(host, plugin, body, options);
}

const ORDER = JSON.stringify({
  id: 'o-1',
  customer: { email: 'ann@example.com', name: 'Ann' },
  totals: { subtotal: 12.5, converted: 13.4567, currency: 'USD', paid: true, voucher: null },
  lines: [
    { sku: 'a', price: 1 },
    { sku: 'b', price: 2 },
  ],
});

/** The exported batch of one observed request, as the filter wrote it. */
async function wireOf(digest: Record<string, unknown>, body: string): Promise<{ text: string; batch: DigestBatchV2 }> {
  const host = await loadHost();
  const plugin = host.startPlugin(observerConfig(digest));
  const stream = plugin.newHttpStream();
  stream.sendRequestHeaders(
    request('/orders/1', [
      ['x-shadowdiff-id', 'w-1'],
      ['x-request-id', 'r-1'],
    ]),
    true,
  );
  stream.sendResponseHeaders(
    [
      [':status', '200'],
      ['content-type', 'application/json'],
    ],
    false,
  );
  stream.sendResponseBody(body, true);
  stream.complete();
  const text = host.pendingHttpCalls()[0]!.bodyText();
  return { text, batch: JSON.parse(text) as DigestBatchV2 };
}

describe('value capture', () => {
  it('captures nothing by default: the record has no values member', async () => {
    const { batch } = await wireOf({}, ORDER);
    expect(batch.records[0]).not.toHaveProperty('values');
    expect(batch.records[0]).not.toHaveProperty('valuesTruncated');
  });

  it('captures the leaves its globs select, by path, as the collector decodes them', async () => {
    const record = await captured({ paths: ['$.totals.*', '$.lines[*].price'] }, ORDER);
    expect(record.values).toEqual({
      '$.totals.subtotal': 'n12.5',
      '$.totals.converted': 'n13.4567',
      '$.totals.currency': 'sUSD',
      '$.totals.paid': 't',
      '$.totals.voucher': 'z',
      '$.lines[0].price': 'n1',
      '$.lines[1].price': 'n2',
    });
    expect(record).not.toHaveProperty('valuesTruncated');
  });

  it('sends values as [leaf index, tagged value] entries of a valid version 2 record', async () => {
    const { batch } = await wireOf({ capture: { paths: ['$.totals.converted', '$.id'] } }, ORDER);
    expect(wireFormatErrors(batch)).toBeNull();
    expect(batch.records[0]!.values).toEqual([
      [0, 'so-1'],
      [4, 'n13.4567'],
    ]);
  });

  it('covers what lies below a glob, and `**` any depth', async () => {
    expect(Object.keys((await captured({ paths: ['$.customer'] }, ORDER)).values ?? {})).toEqual(['$.customer.email', '$.customer.name']);
    expect(Object.keys((await captured({ paths: ['$.**.price'] }, ORDER)).values ?? {})).toEqual(['$.lines[0].price', '$.lines[1].price']);
    // `*` stays within one key: $.t* is not $.totals.converted's parent glob for $.x
    expect((await captured({ paths: ['$.tot*'] }, ORDER)).values).toMatchObject({ '$.totals.converted': 'n13.4567' });
    expect((await captured({ paths: ['$.nothing.*'] }, ORDER)).values).toBeUndefined();
  });

  it('lets the deny-list win over the allow-list', async () => {
    const record = await captured({ paths: ['$.**'], deny: ['$.customer', '$.totals.currency'] }, ORDER);
    const paths = Object.keys(record.values ?? {});
    expect(paths).toContain('$.totals.converted');
    expect(paths).toContain('$.id');
    expect(paths.filter((path) => path.startsWith('$.customer'))).toEqual([]);
    expect(paths).not.toContain('$.totals.currency');
  });

  it('captures numbers as the canonical value their hash covers: 8.50 as 8.5, 1E+2 as 1e2, -0 as 0', async () => {
    const body = '{"a":8.50,"b":1E+2,"c":-0,"d":-0.000,"e":120.0e-02,"f":100}';
    const record = await captured({ paths: ['$.*'] }, body);
    expect(record.values).toEqual({ '$.a': 'n8.5', '$.b': 'n1e2', '$.c': 'n0', '$.d': 'n0', '$.e': 'n120e-2', '$.f': 'n100' });
    const spelledOtherwise = await captured({ paths: ['$.*'] }, '{"a":8.5,"b":1e2,"c":0,"d":0,"e":120e-2,"f":100}');
    expect(spelledOtherwise.values).toEqual(record.values);
    expect(spelledOtherwise.fields).toEqual(record.fields);
  });

  it('does not depend on where chunks split a value', async () => {
    const body = '{"n":-12.34500e+03,"s":"caf\\u00e9 au lait"}';
    const whole = await captured({ paths: ['$.*'] }, body);
    expect(whole.values).toEqual({ '$.n': 'n-12.345e3', '$.s': 'scafé au lait' });
    for (let at = 1; at < body.length; at++) {
      expect((await captured({ paths: ['$.*'] }, body, [body.slice(0, at), body.slice(at)])).values).toEqual(whole.values);
    }
  });

  it('cuts strings to maxStringBytes, marked as a prefix, never inside a UTF-8 character', async () => {
    const record = await captured({ paths: ['$.*'], maxStringBytes: 4 }, '{"a":"abcdef","b":"abcd","c":"abcé","d":"ab\\"c\\n"}');
    // é is 2 bytes: "abc" + é would be 5, so the cut keeps "abc"
    expect(record.values).toEqual({ '$.a': 'pabcd', '$.b': 'sabcd', '$.c': 'pabc', '$.d': 'pab"c' });
    const none = await captured({ paths: ['$.a'], maxStringBytes: 0 }, '{"a":"secret"}');
    expect(none.values).toEqual({ '$.a': 'p' });
  });

  it('bounds the captured bytes of a record and says when values were left out', async () => {
    const items = Array.from({ length: 200 }, (_, i) => 1000 + i);
    const record = await captured({ paths: ['$.items[*]'], maxBytes: 64 }, JSON.stringify({ items }));
    const values = Object.entries(record.values ?? {});
    // each entry is [k,"n1000"], 13 to 14 bytes with its comma
    expect(values.length).toBeGreaterThan(2);
    expect(values.length).toBeLessThan(6);
    expect(values[0]).toEqual(['$.items[0]', 'n1000']);
    expect(record.valuesTruncated).toBe(true);
  });

  it('captures nothing of a malformed document', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(observerConfig({ capture: { paths: ['$.*'] } }));
    const record = digestOf(host, plugin, '{"a":1,"b":');
    expect(record.json).toBe('malformed');
    expect(record.values).toBeUndefined();
  });

  it('leaves the rest of the record byte for byte as without capture', async () => {
    const off = await wireOf({}, ORDER);
    const on = await wireOf({ capture: { paths: ['$.totals.converted'] } }, ORDER);
    const withoutValues = on.text.replace(/,"values":\[\[4,"n13\.4567"\]\]/, '');
    expect(withoutValues).not.toBe(on.text);
    const blankTimes = (text: string) => text.replace(/"(sentUnixMs|startUnixMs|firstByteUs|lastByteUs)":\d+/g, '"$1":0');
    expect(blankTimes(withoutValues)).toBe(blankTimes(off.text));
  });

  it.each([
    ['paths not an array', { paths: 'x' }, 'digest.capture.paths: must be an array of at most 32 field path globs'],
    ['a glob without $', { paths: ['totals'] }, 'digest.capture.paths[0]: must start with "$"'],
    ['a deny glob not a string', { paths: ['$.a'], deny: [3] }, 'digest.capture.deny[0]: must be a string'],
    [
      'maxStringBytes too large',
      { paths: ['$.a'], maxStringBytes: 1000 },
      'digest.capture.maxStringBytes: must be an integer from 0 to 256',
    ],
    ['maxBytes too small', { paths: ['$.a'], maxBytes: 10 }, 'digest.capture.maxBytes: must be an integer from 64 to 16384'],
    ['a misspelt member', { path: ['$.a'] }, 'digest.capture.path: unknown field'],
  ])('refuses %s, naming the field', async (_name, capture, message) => {
    const host = await loadHost();
    const plugin = host.startPlugin(observerConfig({ capture }));
    expect(plugin.ok).toBe(false);
    expect(host.criticalLogs().join('\n')).toContain(message);
  });

  it('refuses capture with wire format 1, which has no member for values', async () => {
    const host = await loadHost();
    const config = { role: 'primary', collector: { ...COLLECTOR, wireVersion: 1 }, digest: { capture: { paths: ['$.a'] } } };
    const plugin = host.startPlugin(JSON.stringify(config));
    expect(plugin.ok).toBe(false);
    expect(host.criticalLogs().join('\n')).toContain('digest.capture: needs collector.wireVersion 2');
  });
});
