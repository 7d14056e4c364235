// The subtree digest of documents beyond the leaf budget (filter/assembly/digest/subtreeDigest.ts),
// through the emulator with the shipped build, read as the collector reads it and compared by the
// collector's own comparison.
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { IgnoreRules } from '../../collector/compare/ignoreRules.js';
import { comparePair } from '../../collector/compare/pairCompare.js';
import { parseSubtreePath } from '../../collector/compare/subtreePath.js';
import type { IngestedRecord } from '../../collector/types.js';
import { digestOf, drainBatches, leafPaths, loadHost, observerConfig, request, splitAt } from './harness.js';

const encoder = new TextEncoder();
const NOTHING_IGNORED = new IgnoreRules({ fields: [], headers: [], routes: {} }).forRoute('GET /digest');

async function observer(digest: Record<string, unknown> = {}) {
  const host = await loadHost();
  const plugin = host.startPlugin(observerConfig(digest));
  return {
    host,
    plugin,
    digest: (body: string | Uint8Array, chunks?: Uint8Array[]) =>
      digestOf(host, plugin, body, chunks === undefined ? {} : { chunks }) as IngestedRecord,
  };
}

/** The values an entry name covers in `doc`: a container, the items of a range, the scalar members of a group. */
function covered(doc: unknown, name: string): unknown[] {
  const segments = parseSubtreePath(name);
  if (segments === null) throw new Error(`not an entry name: ${name}`);
  let values: unknown[] = [doc];
  for (const segment of segments) {
    const [value] = values;
    if (segment.kind === 'key') {
      const key = segment.text.startsWith('.') ? segment.text.slice(1) : (JSON.parse(segment.text.slice(1, -1)) as string);
      values = [(value as Record<string, unknown>)[key]];
    } else if (segment.kind === 'index') {
      values = (value as unknown[]).slice(segment.first, segment.last + 1);
    } else {
      // a share {r/g}: which scalar members, the key hashes say; take them all (an upper bound)
      values = Object.values(value as object).filter((member) => member === null || typeof member !== 'object');
    }
  }
  return values;
}

function leafCount(doc: unknown, name: string): number {
  return covered(doc, name).reduce<number>((sum, value) => sum + leafPaths(value).length, 0);
}

/** A search answer of `items` results, ten leaves each, after a meta object. */
function searchDocument(items: number) {
  return {
    meta: { total: items, page: 1, generatedBy: 'search-v2' },
    results: Array.from({ length: items }, (_, i) => ({
      id: i,
      title: `result ${i}`,
      score: Math.round((i * 7919) % 1000) / 100,
      tags: ['a', i % 2 === 0 ? 'even' : 'odd'],
      location: { lat: 48 + i / 1e4, lon: 2 + i / 1e4 },
      price: { amount: 8.5, currency: 'EUR' },
      rank: i + 1,
    })),
  };
}

describe('subtree digest: documents beyond the leaf budget', () => {
  it('localises the one changed leaf of a 100,000-leaf document to a subtree of at most the leaf budget', async () => {
    const { digest } = await observer();
    const doc = searchDocument(10_000);
    expect(leafPaths(doc).length).toBe(100_003);
    const primary = digest(JSON.stringify(doc));
    doc.results[6_789]!.location.lat += 1;
    const shadow = { ...digest(JSON.stringify(doc)), leg: 'shadow' as const };
    expect(primary.fieldsTruncated).toBe(true);
    expect(Object.keys(primary.subtrees ?? {}).length).toBeLessThanOrEqual(512);
    expect(primary.subtreesTruncated).toBe(false);

    const diff = comparePair(primary, shadow, NOTHING_IGNORED, []);
    expect(diff).toMatchObject({ diverged: true, basis: 'subtrees', kinds: ['field'] });
    expect(diff.fields).toHaveLength(1);
    const [found] = diff.fields;
    expect(found?.path).toMatch(/^\$\.results\[\d+\.\.\d+\]$/);
    expect(leafCount(doc, found!.path)).toBeLessThanOrEqual(256);
    expect(covered(doc, found!.path)).toContain(doc.results[6_789]);
  });

  it('names a deep subtree of an item that is itself beyond the budget ($.results[17].segments)', async () => {
    const { digest } = await observer();
    const doc = searchDocument(40) as ReturnType<typeof searchDocument> & { results: Array<Record<string, unknown>> };
    doc.results[17]!.segments = Array.from({ length: 60 }, (_, i) => ({ from: i, to: i + 1, mode: 'walk' }));
    doc.results[17]!.stops = Array.from({ length: 60 }, (_, i) => ({ at: i, name: `stop ${i}` }));
    const primary = digest(JSON.stringify(doc));
    (doc.results[17]!.segments as Array<{ mode: string }>)[42]!.mode = 'bus';
    const shadow = digest(JSON.stringify(doc));
    const diff = comparePair(primary, shadow, NOTHING_IGNORED, []);
    expect(diff.fields.map((f) => f.path)).toEqual(['$.results[17].segments']);
    expect(leafCount(doc, '$.results[17].segments')).toBe(180);
  });

  it('keeps the record bounded by digest.maxSubtrees whatever the document size, coarsening instead', async () => {
    const bound = 16;
    const { digest } = await observer({ maxSubtrees: bound, maxFields: 64 });
    // an id-keyed map of small objects (one entry per member) and a long array of scalars
    const doc = {
      prices: Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`sku-${i}`, { amount: i, currency: 'EUR' }])),
      samples: Array.from({ length: 50_000 }, (_, i) => i % 97),
    };
    const primary = digest(JSON.stringify(doc));
    const names = Object.keys(primary.subtrees ?? {});
    expect(names.length).toBeLessThanOrEqual(bound);
    expect(names).toContain('$');
    expect(primary.subtreesTruncated).toBe(false);
    // coarser, still right: an equal document matches, a changed one diverges inside the array
    expect(comparePair(primary, digest(JSON.stringify(doc, null, 2)), NOTHING_IGNORED, []).diverged).toBe(false);
    doc.samples[31_000] = -1;
    const diff = comparePair(primary, digest(JSON.stringify(doc)), NOTHING_IGNORED, []);
    expect(diff.diverged).toBe(true);
    expect(diff.fields.map((f) => f.path)).toEqual([expect.stringMatching(/^\$\.samples\[\d+\.\.\d+\]$/)]);
    expect(covered(doc, diff.fields[0]!.path)).toContain(-1);
  });

  it('sends the subtrees in wire format 2 within the bound, and none in version 1', async () => {
    const doc = JSON.stringify(searchDocument(2_000));
    for (const wireVersion of [1, 2]) {
      const host = await loadHost();
      const plugin = host.startPlugin(
        JSON.stringify({
          role: 'primary',
          collector: { cluster: 'shadowdiff_collector', wireVersion },
          digest: { maxSubtrees: 64 },
          export: { batchSize: 1 },
        }),
      );
      const stream = plugin.newHttpStream();
      stream.sendRequestHeaders(request('/digest', [['x-shadowdiff-id', 'wire-1']]), true);
      stream.sendResponseHeaders(
        [
          [':status', '200'],
          ['content-type', 'application/json'],
        ],
        false,
      );
      stream.sendResponseBody(doc, true);
      stream.complete();
      const [batch] = drainBatches(host);
      const wire = JSON.stringify(batch!.wire);
      const record = batch!.records[0]!;
      if (wireVersion === 1) {
        expect(record.subtrees).toBeUndefined();
        expect(wire).not.toContain('subtree');
      } else {
        expect(Object.keys(record.subtrees ?? {}).length).toBeLessThanOrEqual(64);
        // 256 leaves and 64 entries: a few kilobytes, not the 20,000-leaf document's
        expect(wire.length).toBeLessThan(16_000);
        expect(wire.length).toBeLessThan(doc.length / 20);
      }
    }
  });

  it('gives the same subtrees wherever the body is split into chunks', async () => {
    const { digest } = await observer({ maxFields: 8 });
    const doc = JSON.stringify({
      a: [1, 2.5, 'x\\u00e9y', { b: [true, null, {}], c: 'long text with \\"escapes\\" and \\ud83d\\ude00' }],
      d: { e: -0, f: 1e21, g: [[], [3, 4]] },
      h: Array.from({ length: 12 }, (_, i) => ({ i, s: `v${i}` })),
    });
    const bytes = encoder.encode(doc);
    const whole = digest(bytes);
    expect(whole.fieldsTruncated).toBe(true);
    expect(Object.keys(whole.subtrees ?? {}).length).toBeGreaterThan(2);
    for (let offset = 1; offset < bytes.length; offset++) {
      const split = digest(bytes, [bytes.subarray(0, offset), bytes.subarray(offset)]);
      expect(split.subtrees, `split at ${offset}`).toEqual(whole.subtrees);
    }
    const byteWise = digest(
      bytes,
      Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1)),
    );
    expect(byteWise.subtrees).toEqual(whole.subtrees);
  });

  it('does not change a subtree hash for key order, whitespace, \\u escapes or number spelling', async () => {
    const { digest } = await observer({ maxFields: 4 });
    const base = digest('{"user":{"name":"café","tags":["a","b"],"price":8.5,"id":7},"items":[{"k":1,"v":2},{"k":3,"v":4}],"n":1}');
    const variants = {
      'key order': '{"n":1,"items":[{"v":2,"k":1},{"v":4,"k":3}],"user":{"id":7,"price":8.5,"tags":["a","b"],"name":"café"}}',
      whitespace:
        '{ "user" : { "name" : "café",\n "tags" : [ "a" , "b" ],\t"price" : 8.5 , "id" : 7 } ,\r\n "items" : [ { "k" : 1 , "v" : 2 } , { "k" : 3 , "v" : 4 } ] , "n" : 1 }',
      'unicode escapes':
        '{"user":{"name":"caf\\u00e9","tags":["\\u0061","b"],"price":8.5,"id":7},"items":[{"k":1,"v":2},{"k":3,"v":4}],"n":1}',
      'number spelling': '{"user":{"name":"café","tags":["a","b"],"price":8.50,"id":7},"items":[{"k":1,"v":2},{"k":3,"v":4}],"n":1.0}',
    };
    expect(base.fieldsTruncated).toBe(true);
    for (const [variant, text] of Object.entries(variants)) expect(digest(text).subtrees, variant).toEqual(base.subtrees);
    // and a real change does change them
    expect(digest(variants['key order'].replace('"v":4', '"v":5')).subtrees?.$).not.toBe(base.subtrees?.$);
  });

  it('stays valid and within the bound on odd documents: deep nesting, long paths, empty containers, a budget of 0', async () => {
    const deep = `{"a":${'['.repeat(60)}${Array.from({ length: 40 }, (_, i) => `{"k":${i}}`).join(',')}${']'.repeat(60)},"z":[1,{}]}`;
    const longPaths = JSON.stringify({
      [`p${'a'.repeat(900)}`]: Array.from({ length: 50 }, (_, i) => ({ [`q${'b'.repeat(200)}`]: i, r: [i] })),
      after: 2,
    });
    const empties = JSON.stringify({ e: Array.from({ length: 3_000 }, (_, i) => (i % 2 === 0 ? {} : [])) });
    const documents = [deep, longPaths, empties, JSON.stringify(searchDocument(300))];
    for (const digest of [{ maxFields: 8, maxSubtrees: 8 }, { maxFields: 0 }, { maxDepth: 4, maxFields: 16 }]) {
      const { digest: digestOfBody } = await observer(digest);
      for (const body of documents) {
        const record = digestOfBody(body);
        expect(record.json).toBe('ok');
        const names = Object.keys(record.subtrees ?? {});
        expect(names.length).toBeLessThanOrEqual(digest.maxSubtrees ?? 512);
        if (record.fieldsTruncated) expect(names).toContain('$');
        // equal documents stay equal, whatever got coarsened or dropped
        expect(comparePair(record, digestOfBody(JSON.stringify(JSON.parse(body), null, 1)), NOTHING_IGNORED, []).diverged).toBe(false);
      }
    }
  });

  it('computes no subtrees with digest.maxSubtrees 0 (the body hash decides, as before)', async () => {
    const { digest } = await observer({ maxSubtrees: 0 });
    const record = digest(JSON.stringify(searchDocument(100)));
    expect(record.fieldsTruncated).toBe(true);
    expect(record.subtrees).toBeUndefined();
    expect(comparePair(record, record, NOTHING_IGNORED, []).fallback).toBe('fields_truncated');
  });
});

describe('subtree digest with value capture and content decoding', () => {
  it('sends captured values of the leaf list and subtree hashes in the same record; a changed captured leaf shows its values', async () => {
    const { digest } = await observer({ capture: { paths: ['$.meta.total', '$.results[*].score'] } });
    const doc = searchDocument(100);
    const primary = digest(JSON.stringify(doc));
    doc.results[3]!.score = 99.25;
    doc.results[80]!.score = 42.5;
    const shadow = { ...digest(JSON.stringify(doc)), leg: 'shadow' as const };
    expect(primary.fieldsTruncated).toBe(true);
    expect(primary.subtrees).toHaveProperty('$');
    // values only for the leaves the record lists (the first maxFields): nothing past the leaf budget
    expect(primary.values).toEqual({
      '$.meta.total': 'n100',
      ...Object.fromEntries(
        doc.results
          .map((_, i) => [`$.results[${i}].score`, `n${Math.round((i * 7919) % 1000) / 100}`])
          .filter(([path]) => Object.hasOwn(primary.fields, path!)),
      ),
    });
    expect(Object.hasOwn(primary.fields, '$.results[80].score')).toBe(false);
    expect(shadow.values?.['$.results[3].score']).toBe('n99.25');

    const diff = comparePair(primary, shadow, NOTHING_IGNORED, []);
    expect(diff).toMatchObject({ diverged: true, basis: 'subtrees' });
    const [listed, beyond] = diff.fields;
    expect(diff.fields).toHaveLength(2);
    expect(listed).toMatchObject({ path: '$.results[3].score', change: 'changed', primaryValue: '7.57', shadowValue: '99.25' });
    expect(leafCount(doc, beyond!.path)).toBeLessThanOrEqual(256);
    expect(covered(doc, beyond!.path)).toContainEqual(doc.results[80]);
  });

  it('gives a gzip body beyond the leaf budget the subtree digest of its content, split anywhere, and localises a change inside it', async () => {
    const { host, plugin, digest } = await observer();
    const doc = searchDocument(300);
    const identity = digest(JSON.stringify(doc));
    const gzipped = (value: unknown) => {
      const bytes = zlib.gzipSync(JSON.stringify(value));
      const record = digestOf(host, plugin, bytes, {
        responseHeaders: [['content-encoding', 'gzip']],
        chunks: splitAt(bytes, [7, 1_000, 1_001, 5_000]),
      }) as IngestedRecord;
      expect(record).toMatchObject({ json: 'ok', encoding: 'gzip', decoding: 'ok', fieldsTruncated: true, respBytes: bytes.length });
      return record;
    };
    const primary = gzipped(doc);
    expect(primary.subtrees).toHaveProperty('$');
    expect(primary.subtrees).toEqual(identity.subtrees);
    expect(primary.fields).toEqual(identity.fields);

    doc.results[250]!.rank = -1;
    const shadow = { ...gzipped(doc), leg: 'shadow' as const };
    const diff = comparePair(primary, shadow, NOTHING_IGNORED, []);
    expect(diff).toMatchObject({ diverged: true, basis: 'subtrees', fallback: null, kinds: ['field'] });
    expect(diff.fields).toHaveLength(1);
    expect(leafCount(doc, diff.fields[0]!.path)).toBeLessThanOrEqual(256);
    expect(covered(doc, diff.fields[0]!.path)).toContainEqual(doc.results[250]);
  });
});
