// Content-encoded bodies through the shipped module: gzip and deflate bodies are digested by their
// decoded content (so they compare with an identity body of the same document, field by field),
// every other coding and every body that does not decode compares by the bytes received, and each
// outcome is named in the record and counted.
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { comparePair } from '../../collector/compare/pairCompare.js';
import type { RouteIgnore } from '../../collector/compare/ignoreRules.js';
import { COLLECTOR, corpus, digestOf, loadHost, observerConfig, publishMetrics } from './harness.js';

const NO_IGNORE: RouteIgnore = { field: () => false, header: () => false, subtree: () => 'none' };
const document = corpus('twitter.json');
const encoder = new TextEncoder();

async function observer(digest: Record<string, unknown> = {}) {
  const host = await loadHost();
  return { host, plugin: host.startPlugin(observerConfig(digest)) };
}

function encoded(coding: string): Array<[string, string]> {
  return [['content-encoding', coding]];
}

function chunks(bytes: Uint8Array, size: number): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return parts;
}

describe('content-encoded bodies', () => {
  it('digests a gzip body by its content: the fields and body hash of the identity body, its size as received', async () => {
    const { host, plugin } = await observer({ maxFields: 4096 });
    const identity = digestOf(host, plugin, document);
    const gzip = zlib.gzipSync(document);
    const record = digestOf(host, plugin, gzip, { responseHeaders: encoded('gzip'), chunks: chunks(gzip, 1371) });
    expect(record).toMatchObject({
      json: 'ok',
      encoding: 'gzip',
      decoding: 'ok',
      decodedBytes: Buffer.byteLength(document),
      respBytes: gzip.length,
    });
    expect(record.fields).toEqual(identity.fields);
    expect(record.bodyHash).toBe(identity.bodyHash);
    expect(identity.encoding).toBeUndefined();
    publishMetrics(plugin);
    expect(host.metric('shadowdiff.primary.decoded')?.value).toBe(1n);
  });

  it('decodes deflate as zlib and as raw deflate, x-gzip and any letter case', async () => {
    const { host, plugin } = await observer({ maxFields: 4096 });
    const identity = digestOf(host, plugin, document);
    for (const [coding, body] of [
      ['deflate', zlib.deflateSync(document)],
      ['Deflate', zlib.deflateRawSync(document)],
      ['x-gzip', zlib.gzipSync(document, { level: 1 })],
      [' GZIP ', zlib.gzipSync(document, { level: 0 })],
    ] as const) {
      const record = digestOf(host, plugin, body, { responseHeaders: encoded(coding), chunks: chunks(body, 997) });
      expect({ coding, decoding: record.decoding, json: record.json }).toEqual({ coding, decoding: 'ok', json: 'ok' });
      expect(record.fields).toEqual(identity.fields);
      expect(record.bodyHash).toBe(identity.bodyHash);
    }
  });

  it('joins a gzip leg and an identity leg of the same document as equal, and names a changed field inside the gzip body', async () => {
    const { host, plugin } = await observer({ maxFields: 4096 });
    const tweet = (JSON.parse(document) as { statuses: Array<Record<string, unknown>> }).statuses[0]!;
    const original = JSON.stringify(tweet);
    const changed = JSON.stringify({ ...tweet, retweet_count: 12345 });
    const identity = digestOf(host, plugin, original);
    const same = digestOf(host, plugin, zlib.gzipSync(original), { responseHeaders: encoded('gzip') });
    const other = digestOf(host, plugin, zlib.gzipSync(changed), { responseHeaders: encoded('gzip') });
    const equal = comparePair(identity, same, NO_IGNORE, ['content-type']);
    expect(equal).toMatchObject({ diverged: false, basis: 'fields', fallback: null, bodyHashDiffers: false });
    const diff = comparePair(same, other, NO_IGNORE, ['content-type']);
    expect(diff.basis).toBe('fields');
    expect(diff.fields.map((field) => field.path)).toEqual(['$.retweet_count']);
  });

  it('compares a body in a coding it does not decode by its bytes as received, named and counted', async () => {
    const { host, plugin } = await observer();
    const brotli = zlib.brotliCompressSync(document);
    const asBytes = digestOf(host, plugin, brotli, { contentType: null });
    for (const coding of ['br', 'zstd', 'compress', 'gzip, br', 'snappy']) {
      const record = digestOf(host, plugin, brotli, { responseHeaders: encoded(coding) });
      expect({ json: record.json, decoding: record.decoding, bodyHash: record.bodyHash, fields: record.fields }).toEqual({
        json: 'none',
        decoding: 'unsupported',
        bodyHash: asBytes.bodyHash,
        fields: {},
      });
    }
    expect(digestOf(host, plugin, brotli, { responseHeaders: encoded('br') }).encoding).toBe('br');
    expect(digestOf(host, plugin, brotli, { responseHeaders: encoded('gzip, br') }).encoding).toBe('other');
    expect(digestOf(host, plugin, brotli, { responseHeaders: [...encoded('gzip'), ...encoded('br')] }).encoding).toBe('other');
    publishMetrics(plugin);
    expect(host.metric('shadowdiff.primary.encoding_unsupported')?.value).toBe(8n);
    const identity = digestOf(host, plugin, document);
    const brotliLeg = digestOf(host, plugin, brotli, { responseHeaders: encoded('br') });
    expect(comparePair(identity, brotliLeg, NO_IGNORE, []).fallback).toBe('encoding_unsupported');
  });

  it('falls back to the bytes received for a corrupt, truncated or over-large gzip body, and counts it', async () => {
    const { host, plugin } = await observer({ maxDecodedBytes: 1_000_000 });
    const gzip = zlib.gzipSync(document);
    const corrupt = Buffer.from(gzip);
    corrupt[corrupt.length - 6] = (corrupt[corrupt.length - 6] ?? 0) ^ 0x55;
    const truncated = gzip.subarray(0, gzip.length - 3);
    const large = zlib.gzipSync(JSON.stringify({ pad: 'x'.repeat(2_000_000) }));
    for (const [body, outcome] of [
      [corrupt, 'corrupt'],
      [truncated, 'truncated'],
      [large, 'too_large'],
      [encoder.encode('{"not":"gzip"}'), 'corrupt'],
    ] as const) {
      const record = digestOf(host, plugin, body, { responseHeaders: encoded('gzip'), chunks: chunks(body, 512) });
      const asBytes = digestOf(host, plugin, body, { contentType: null });
      expect({ outcome, decoding: record.decoding, json: record.json, bodyHash: record.bodyHash, respBytes: record.respBytes }).toEqual({
        outcome,
        decoding: outcome,
        json: 'none',
        bodyHash: asBytes.bodyHash,
        respBytes: body.length,
      });
    }
    expect(host.trapped).toBeNull();
    publishMetrics(plugin);
    expect(host.metric('shadowdiff.primary.decode_failed')?.value).toBe(3n);
    expect(host.metric('shadowdiff.primary.decoded_too_large')?.value).toBe(1n);
    expect(host.metric('shadowdiff.primary.decoded')?.value).toBe(0n);
  });

  it('treats an empty gzip body (a HEAD or 304 answer) as decoded and empty', async () => {
    const { host, plugin } = await observer();
    const empty = digestOf(host, plugin, '', { responseHeaders: encoded('gzip') });
    const identity = digestOf(host, plugin, '');
    expect({ decoding: empty.decoding, decodedBytes: empty.decodedBytes, json: empty.json, bodyHash: empty.bodyHash }).toEqual({
      decoding: 'ok',
      decodedBytes: 0,
      json: 'none',
      bodyHash: identity.bodyHash,
    });
  });

  it('keeps wire format 1 as the previous release sent it: a gzip body by its bytes, no coding members', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(
      JSON.stringify({ role: 'primary', collector: { ...COLLECTOR, wireVersion: 1 }, export: { batchSize: 1 } }),
    );
    const gzip = zlib.gzipSync(document);
    const record = digestOf(host, plugin, gzip, { responseHeaders: encoded('gzip') });
    expect(record.json).toBe('none');
    expect(record.encoding).toBeUndefined();
    expect(record.decoding).toBeUndefined();
    expect(record.bodyHash).toBe(digestOf(host, plugin, gzip, { contentType: null }).bodyHash);
  });

  it('refuses a maxDecodedBytes that is no size', async () => {
    const host = await loadHost();
    for (const value of [0, -1, 1.5, 2 ** 31, '1m']) {
      expect(host.startPlugin(observerConfig({ maxDecodedBytes: value })).ok).toBe(false);
      expect(host.criticalLogs().at(-1)).toContain(
        'invalid configuration: digest.maxDecodedBytes: must be an integer from 1 to 1073741824',
      );
    }
  });
});
