import { describe, expect, it } from 'vitest';
import { COLLECTOR, corpus, digestOf, leafPaths, loadHost, observerConfig, splitAt } from './harness.js';

const encoder = new TextEncoder();
const twitter = JSON.parse(corpus('twitter.json')) as { statuses: unknown[] };
const tweet = twitter.statuses[0];
const amazonLines = corpus('amazon_cellphones.ndjson')
  .split('\n')
  .filter((line) => line.trim().length > 0);

/** Escapes every non-ASCII character as \uXXXX (surrogate pairs included): same JSON, other bytes. */
function asciiOnly(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

async function observer(digest: Record<string, unknown> = {}) {
  const host = await loadHost();
  return { host, plugin: host.startPlugin(observerConfig(digest)) };
}

describe('structural digest', () => {
  it('names every leaf of a real document by its path', async () => {
    const { host, plugin } = await observer({ maxFields: 4096 });
    const record = digestOf(host, plugin, JSON.stringify(tweet));
    expect(record.json).toBe('ok');
    expect(record.fieldsTruncated).toBe(false);
    expect(Object.keys(record.fields).sort()).toEqual(leafPaths(tweet).sort());
  });

  it('gives equal digests to the same JSON spelled differently (whitespace, escapes, number spelling)', async () => {
    const { host, plugin } = await observer({ maxFields: 4096 });
    const compact = digestOf(host, plugin, JSON.stringify(tweet));
    const pretty = digestOf(host, plugin, JSON.stringify(tweet, null, 2));
    const escaped = digestOf(host, plugin, asciiOnly(JSON.stringify(tweet)));
    expect(pretty.fields).toEqual(compact.fields);
    expect(escaped.fields).toEqual(compact.fields);
    expect(pretty.bodyHash).not.toBe(compact.bodyHash);
    const a = digestOf(host, plugin, '{"price":1.50,"big":1E+2,"neg":-0,"s":"caf\\u00e9 \\ud83d\\ude00 \\/"}');
    const b = digestOf(host, plugin, '{"price":1.5,"big":1e2,"neg":0,"s":"café 😀 /"}');
    expect(a.fields).toEqual(b.fields);
  });

  it('tells apart values that differ, field by field, and only there', async () => {
    const { host, plugin } = await observer({ maxFields: 4096 });
    const changed = structuredClone(tweet) as { user: { followers_count: number }; text: string };
    changed.user.followers_count += 1;
    changed.text += '!';
    const before = digestOf(host, plugin, JSON.stringify(tweet));
    const after = digestOf(host, plugin, JSON.stringify(changed));
    const differing = Object.keys(before.fields).filter((path) => before.fields[path] !== after.fields[path]);
    expect(differing.sort()).toEqual(['$.text', '$.user.followers_count']);
    expect(after.bodyHash).not.toBe(before.bodyHash);
  });

  it('keeps every digit of big integers and distinguishes types', async () => {
    const { host, plugin } = await observer();
    const a = digestOf(host, plugin, '{"id":12345678901234567890123,"n":1,"t":true,"z":null,"e":{},"l":[]}');
    const b = digestOf(host, plugin, '{"id":12345678901234567890124,"n":"1","t":false,"z":"null","e":[],"l":{}}');
    for (const path of ['$.id', '$.n', '$.t', '$.z', '$.e', '$.l']) expect(a.fields[path]).not.toBe(b.fields[path]);
    expect(Object.keys(a.fields)).toEqual(['$.id', '$.n', '$.t', '$.z', '$.e', '$.l']);
  });

  it('spells odd keys in brackets and escapes them', async () => {
    const { host, plugin } = await observer();
    const record = digestOf(host, plugin, '{"a b":1,"quote\\"d":2,"x.y":3,"1st":4,"ok_1":5,"":6}');
    expect(Object.keys(record.fields)).toEqual(['$["a b"]', '$["quote\\"d"]', '$["x.y"]', '$["1st"]', '$.ok_1', '$[""]']);
  });

  it('digests every amazon record (NDJSON lines) and the big corpus documents without failing', async () => {
    const { host, plugin } = await observer({ maxFields: 4096 });
    for (const line of amazonLines.slice(0, 200)) {
      const record = digestOf(host, plugin, line);
      expect(record.json).toBe('ok');
      expect(Object.keys(record.fields).sort()).toEqual(leafPaths(JSON.parse(line)).sort());
    }
    for (const name of ['twitter.json', 'citm_catalog.json']) {
      const text = corpus(name);
      const record = digestOf(host, plugin, text);
      expect(record.json).toBe('ok');
      expect(record.fieldsTruncated).toBe(true);
      expect(Object.keys(record.fields)).toHaveLength(4096);
      const expected = new Set(leafPaths(JSON.parse(text)));
      for (const path of Object.keys(record.fields)) expect(expected.has(path)).toBe(true);
      expect(record.respBytes).toBe(Buffer.byteLength(text));
    }
  });

  it('does not depend on where the body is split: every split point of a document gives one digest', async () => {
    const { host, plugin } = await observer({ maxFields: 4096 });
    const text = '{"s":"caf\\u00e9 \\ud83d\\ude00 é","n":-12.500e+03,"a":[true,false,null,{},[]],"k\\"q":{"deep":[1,[2,[3]]]}}';
    const bytes = encoder.encode(text);
    const whole = digestOf(host, plugin, bytes);
    expect(whole.json).toBe('ok');
    for (let at = 1; at < bytes.length; at++) {
      const split = digestOf(host, plugin, bytes, { chunks: splitAt(bytes, [at]) });
      expect({ at, fields: split.fields, bodyHash: split.bodyHash }).toEqual({ at, fields: whole.fields, bodyHash: whole.bodyHash });
    }
    for (let at = 1; at + 2 < bytes.length; at += 3) {
      const bytewise = digestOf(host, plugin, bytes, { chunks: splitAt(bytes, [at, at + 1, at + 2]) });
      expect(bytewise.fields).toEqual(whole.fields);
    }
    const tweetBytes = encoder.encode(JSON.stringify(tweet));
    const tweetWhole = digestOf(host, plugin, tweetBytes);
    for (let at = 1; at < tweetBytes.length; at += 7) {
      expect(digestOf(host, plugin, tweetBytes, { chunks: splitAt(tweetBytes, [at]) }).fields).toEqual(tweetWhole.fields);
    }
    const singleBytes = Array.from({ length: 300 }, (_, i) => i);
    expect(
      digestOf(host, plugin, tweetBytes.subarray(0, 300), { chunks: splitAt(tweetBytes.subarray(0, 300), singleBytes.slice(1)) }).bodyHash,
    ).toBe(digestOf(host, plugin, tweetBytes.subarray(0, 300)).bodyHash);
  });

  it.each([
    ['truncated', '{"a":[1,2'],
    ['trailing comma', '{"a":1,}'],
    ['single quotes', "{'a':1}"],
    ['bad escape', '{"a":"\\x"}'],
    ['control character in a string', '{"a":"x\ny"}'],
    ['leading zero', '{"a":012}'],
    ['bare word', '{"a":tru}'],
    ['two documents', '{"a":1}{"b":2}'],
    ['mismatched brackets', '{"a":[1}'],
    ['lone minus', '[-]'],
    ['only whitespace', '   '],
  ])('flags malformed JSON (%s) and keeps the whole-body hash', async (_name, body) => {
    const { host, plugin } = await observer();
    const record = digestOf(host, plugin, body);
    expect(record.json).toBe('malformed');
    expect(record.fields).toEqual({});
    expect(record.bodyHash).toMatch(/^[0-9a-f]{16}$/);
    expect(host.metric('shadowdiff.primary.json_malformed')?.value).toBe(1n);
  });

  it('survives nesting far deeper than maxDepth, hashing the deep part as one leaf', async () => {
    const { host, plugin } = await observer({ maxDepth: 3 });
    const deep = (leaf: string) => `{"a":{"b":{"c":{"d":${'['.repeat(3000)}${leaf}${']'.repeat(3000)}}}},"z":1}`;
    const one = digestOf(host, plugin, deep('1'));
    const two = digestOf(host, plugin, deep('2'));
    expect(one.json).toBe('ok');
    expect(Object.keys(one.fields)).toEqual(['$.a.b.c', '$.z']);
    expect(one.fields['$.a.b.c']).not.toBe(two.fields['$.a.b.c']);
    expect(one.fields['$.z']).toBe(two.fields['$.z']);
    const hostile = digestOf(host, plugin, '['.repeat(100_000));
    expect(hostile.json).toBe('malformed');
  });

  it('marks truncation when a body has more leaves than maxFields', async () => {
    const { host, plugin } = await observer({ maxFields: 3 });
    const record = digestOf(host, plugin, '[1,2,3,4,5]');
    expect(Object.keys(record.fields)).toEqual(['$[0]', '$[1]', '$[2]']);
    expect(record.fieldsTruncated).toBe(true);
    expect(host.metric('shadowdiff.primary.fields_truncated')?.value).toBe(1n);
  });

  it('parses only JSON media types, and not compressed bodies', async () => {
    const { host, plugin } = await observer();
    expect(digestOf(host, plugin, '{"a":1}', { contentType: 'application/problem+json; charset=utf-8' }).json).toBe('ok');
    expect(digestOf(host, plugin, '{"a":1}', { contentType: 'text/html' }).json).toBe('none');
    expect(digestOf(host, plugin, '{"a":1}', { contentType: null }).json).toBe('none');
    expect(digestOf(host, plugin, '{"a":1}', { responseHeaders: [['content-encoding', 'gzip']] }).json).toBe('none');
    expect(digestOf(host, plugin, '', {}).json).toBe('none');
    // Read as bytes, compared as the string they decode to: trimmed, case-insensitive, parameters ignored,
    // and a value with non-ASCII bytes (here a no-break space, which trim removes) read as before.
    for (const contentType of [
      ' Application/JSON ; charset=utf-8',
      'APPLICATION/VND.API+JSON',
      'application/json\u00a0',
      '\tapplication/json',
      '+json ;',
    ]) {
      expect({ contentType, json: digestOf(host, plugin, '{"a":1}', { contentType }).json }).toEqual({ contentType, json: 'ok' });
    }
    for (const contentType of ['application/jsonx', 'application/json5', 'text/json', 'application/jsón']) {
      expect({ contentType, json: digestOf(host, plugin, '{"a":1}', { contentType }).json }).toEqual({ contentType, json: 'none' });
    }
    for (const [encoding, json] of [
      [' Identity ', 'ok'],
      ['IDENTITY', 'ok'],
      // RFC 9110 §8.4: an empty list of codings is no coding.
      ['', 'ok'],
      ['identity, gzip', 'none'],
      ['identit\u00e9', 'none'],
    ]) {
      const record = digestOf(host, plugin, '{"a":1}', { responseHeaders: [['content-encoding', encoding!]] });
      expect({ encoding, json: record.json }).toEqual({ encoding, json });
    }
    const off = await observer({ json: false });
    expect(digestOf(off.host, off.plugin, '{"a":1}').json).toBe('none');
  });

  it('hashes the configured response headers that are present, joining repeated values', async () => {
    const { host, plugin } = await observer({ headers: ['etag', 'set-cookie', 'location'] });
    const one = digestOf(host, plugin, '{}', {
      responseHeaders: [
        ['etag', '"v1"'],
        ['set-cookie', 'a=1'],
        ['set-cookie', 'b=2'],
      ],
    });
    const two = digestOf(host, plugin, '{}', {
      responseHeaders: [
        ['etag', '"v1"'],
        ['set-cookie', 'a=1'],
      ],
    });
    expect(Object.keys(one.headers).sort()).toEqual(['etag', 'set-cookie']);
    expect(one.headers.etag).toBe(two.headers.etag);
    expect(one.headers['set-cookie']).not.toBe(two.headers['set-cookie']);
  });

  // The empty input's hash is each family's start value: FNV-1a 64's offset basis, XXH64's seed-0 digest of nothing.
  it.each([
    [1, 'FNV-1a 64', 'cbf29ce484222325'],
    [2, 'XXH64', 'ef46db3751d8e999'],
  ])('records status, byte counts and the body hash of the empty body (wire v%i: %s)', async (wireVersion, _family, bodyHash) => {
    const host = await loadHost();
    const plugin = host.startPlugin(
      JSON.stringify({ role: 'primary', collector: { ...COLLECTOR, wireVersion }, export: { batchSize: 1 } }),
    );
    const record = digestOf(host, plugin, '', { status: 503, contentType: null });
    expect(record).toMatchObject({ status: 503, respBytes: 0, bodyHash, complete: true });
  });
});
