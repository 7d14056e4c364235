// The filter's inflater against node:zlib: every input node:zlib encodes (the shared corpus, all
// levels and strategies, so stored, fixed and dynamic blocks) decodes to the same bytes however
// the body is split, and broken input — corrupt, truncated, a zip bomb, garbage — ends in an
// error, never a trap.
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ASSEMBLYSCRIPT_BUILD_TIMEOUT_MS } from '../support/assemblyScriptBuild.js';
import { CORPUS_DIR, splitAt } from './harness.js';
import { InflateFormat, type InflateProbe, loadInflateProbe } from './inflateProbe.js';

let probe: InflateProbe;
beforeAll(async () => {
  probe = await loadInflateProbe();
}, ASSEMBLYSCRIPT_BUILD_TIMEOUT_MS);

const corpusFiles = readdirSync(CORPUS_DIR).map((name) => ({ name, bytes: readFileSync(join(CORPUS_DIR, name)) }));
const small = Buffer.from(
  JSON.stringify({ id: 7, name: 'café 😀', tags: ['a', 'b', 'a', 'b', 'a', 'b'], price: 12.345, nested: { ok: true } }),
);

type Encoding = 'gzip' | 'zlib' | 'raw';
const ENCODINGS: readonly Encoding[] = ['gzip', 'zlib', 'raw'];

function encode(encoding: Encoding, bytes: Uint8Array, options: zlib.ZlibOptions = {}): Buffer {
  if (encoding === 'gzip') return zlib.gzipSync(bytes, options);
  if (encoding === 'zlib') return zlib.deflateSync(bytes, options);
  return zlib.deflateRawSync(bytes, options);
}

function formatOf(encoding: Encoding): number {
  return encoding === 'gzip' ? InflateFormat.Gzip : InflateFormat.Zlib;
}

/** `bytes` in chunks of `size` (the last one shorter). */
function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

function expectDecodes(encoding: Encoding, encoded: Uint8Array, chunks: readonly Uint8Array[], expected: Uint8Array): void {
  const result = probe.inflate(formatOf(encoding), chunks);
  expect({ status: result.status, error: result.error }).toEqual({ status: 'done', error: 'none' });
  expect(result.output.equals(expected)).toBe(true);
  expect(result.totalOut).toBe(expected.length);
  expect(encoded.length).toBeGreaterThan(0);
}

/** A gzip member written by hand, with every optional header field RFC 1952 defines. */
function gzipWithHeaderFields(content: Uint8Array): Buffer {
  const FEXTRA = 4;
  const FNAME = 8;
  const FCOMMENT = 16;
  const FHCRC = 2;
  const extra = Buffer.from('AB\u0004\u0000data');
  const head = Buffer.concat([
    Buffer.from([0x1f, 0x8b, 8, FEXTRA | FNAME | FCOMMENT | FHCRC, 1, 2, 3, 4, 0, 3]),
    Buffer.from([extra.length & 0xff, extra.length >> 8]),
    extra,
    Buffer.from('orders.json\u0000', 'latin1'),
    Buffer.from('a comment\u0000', 'latin1'),
  ]);
  const headerCrc = zlib.crc32(head) & 0xffff;
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(zlib.crc32(content), 0);
  trailer.writeUInt32LE(content.length, 4);
  return Buffer.concat([head, Buffer.from([headerCrc & 0xff, headerCrc >> 8]), zlib.deflateRawSync(content), trailer]);
}

describe('inflate', () => {
  it('decodes the shared corpus as node:zlib encodes it, at every level, in every wrapper', () => {
    for (const file of corpusFiles) {
      for (let level = 0; level <= 9; level++) {
        for (const encoding of ENCODINGS) {
          const encoded = encode(encoding, file.bytes, { level });
          expectDecodes(encoding, encoded, [encoded], file.bytes);
          expectDecodes(encoding, encoded, chunked(encoded, 1000), file.bytes);
        }
      }
    }
  });

  it('decodes stored, fixed-Huffman, Huffman-only and run-length blocks', () => {
    const strategies: zlib.ZlibOptions[] = [
      { level: 0 },
      { strategy: zlib.constants.Z_FIXED },
      { strategy: zlib.constants.Z_HUFFMAN_ONLY },
      { strategy: zlib.constants.Z_RLE },
      { strategy: zlib.constants.Z_FILTERED, memLevel: 1, windowBits: 9 },
    ];
    for (const file of corpusFiles) {
      for (const options of strategies) {
        for (const encoding of ENCODINGS) {
          const encoded = encode(encoding, file.bytes, options);
          expectDecodes(encoding, encoded, chunked(encoded, 4093), file.bytes);
        }
      }
    }
  });

  it('gives the same bytes wherever the body is split: every split point and one byte at a time', () => {
    for (const encoding of ENCODINGS) {
      for (const options of [{ level: 9 }, { level: 0 }, { strategy: zlib.constants.Z_FIXED }]) {
        const encoded = encode(encoding, small, options);
        for (let at = 0; at <= encoded.length; at++) expectDecodes(encoding, encoded, splitAt(encoded, [at]), small);
        expectDecodes(encoding, encoded, chunked(encoded, 1), small);
      }
    }
    const handWritten = gzipWithHeaderFields(small);
    for (let at = 0; at <= handWritten.length; at++) expectDecodes('gzip', handWritten, splitAt(handWritten, [at]), small);
  });

  it('gives the same bytes for random chunkings of large documents', () => {
    const documents = corpusFiles.map((file) => file.bytes);
    fc.assert(
      fc.property(
        fc.constantFrom(...documents),
        fc.constantFrom(...ENCODINGS),
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }),
        (document, encoding, level, cuts) => {
          const encoded = encode(encoding, document, { level });
          expectDecodes(
            encoding,
            encoded,
            splitAt(
              encoded,
              cuts.map((cut) => Math.floor(cut * encoded.length)).sort((a, b) => a - b),
            ),
            document,
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads every optional gzip header field (FEXTRA, FNAME, FCOMMENT, FHCRC) and checks the header CRC', () => {
    const encoded = gzipWithHeaderFields(small);
    expectDecodes('gzip', encoded, [encoded], small);
    const headerCrcAt = encoded.indexOf(Buffer.from('a comment\u0000', 'latin1')) + 10;
    const badHeaderCrc = Buffer.from(encoded);
    badHeaderCrc[headerCrcAt] = (badHeaderCrc[headerCrcAt] ?? 0) ^ 1;
    expect(probe.inflate(InflateFormat.Gzip, [badHeaderCrc]).error).toBe('corrupt');
  });

  it('decodes gzip members one after another as one body', () => {
    const first = Buffer.from('{"part":1,');
    const second = Buffer.from('"rest":[1,2,3]}');
    const encoded = Buffer.concat([zlib.gzipSync(first), gzipWithHeaderFields(second), zlib.gzipSync(Buffer.alloc(0))]);
    for (let at = 0; at <= encoded.length; at += 3) expectDecodes('gzip', encoded, splitAt(encoded, [at]), Buffer.concat([first, second]));
  });

  it('takes a deflate body without a zlib header as raw deflate, as browsers do', () => {
    const raw = zlib.deflateRawSync(small);
    expect(raw[0]! & 0x0f).not.toBe(8);
    expectDecodes('raw', raw, [raw], small);
    expectDecodes('zlib', zlib.deflateSync(small), [zlib.deflateSync(small)], small);
  });

  it('decodes an empty body and empty streams', () => {
    expect(probe.inflate(InflateFormat.Gzip, []).status).toBe('done');
    for (const encoding of ENCODINGS)
      expectDecodes(encoding, encode(encoding, Buffer.alloc(0)), [encode(encoding, Buffer.alloc(0))], Buffer.alloc(0));
  });

  it('refuses a stream cut anywhere short as truncated', () => {
    for (const encoding of ENCODINGS) {
      const encoded = encode(encoding, small);
      for (let length = 1; length < encoded.length; length++) {
        const result = probe.inflate(formatOf(encoding), [encoded.subarray(0, length)]);
        // Raw deflate has no trailer: once its final block is complete it has ended.
        if (encoding === 'raw' && result.status === 'done') {
          expect(result.output.equals(small)).toBe(true);
          continue;
        }
        expect({ length, status: result.status, error: result.error }).toEqual({ length, status: 'failed', error: 'truncated' });
      }
    }
  });

  it('refuses corrupt streams: any changed byte fails the check value, bad headers and data after the end fail at once', () => {
    for (const encoding of ['gzip', 'zlib'] as const) {
      const encoded = encode(encoding, small);
      let unchecked = 0;
      for (let at = 0; at < encoded.length; at++) {
        for (const flip of [0x01, 0x80, 0xff]) {
          const corrupt = Buffer.from(encoded);
          corrupt[at] = (corrupt[at] ?? 0) ^ flip;
          const result = probe.inflate(formatOf(encoding), [corrupt]);
          // What no check covers (gzip's FTEXT flag, MTIME, XFL and OS, the padding bits after the
          // last block, a zlib header that still reads as one) may change: never the content.
          if (result.status === 'done') {
            expect(result.output.equals(small)).toBe(true);
            unchecked++;
            continue;
          }
          expect(result.status).toBe('failed');
          expect(['corrupt', 'truncated']).toContain(result.error);
        }
      }
      expect(unchecked).toBeLessThan(encoded.length * 0.2);
    }
    expect(probe.inflate(InflateFormat.Gzip, [Buffer.concat([zlib.gzipSync(small), Buffer.from('x')])]).error).toBe('corrupt');
    expect(probe.inflate(InflateFormat.Zlib, [Buffer.concat([zlib.deflateSync(small), Buffer.from([0])])]).error).toBe('corrupt');
    expect(probe.inflate(InflateFormat.Gzip, [Buffer.from('{"not":"gzip"}')]).error).toBe('corrupt');
    // Block type 3 is reserved.
    expect(probe.inflate(InflateFormat.Zlib, [Buffer.from([0x07, 0x00])]).error).toBe('corrupt');
  });

  it('never traps on garbage, and ends in an error or a decoded stream', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), fc.integer({ min: 1, max: 64 }), (bytes, gzip, size) => {
        const withHeader = gzip ? Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), bytes]) : Buffer.from(bytes);
        const result = probe.inflate(gzip ? InflateFormat.Gzip : InflateFormat.Zlib, chunked(withHeader, size));
        expect(['done', 'failed']).toContain(result.status);
      }),
      { numRuns: 2000 },
    );
  });

  it('stops a zip bomb at the output limit without holding its output', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(64 << 20), { level: 9 });
    expect(bomb.length).toBeLessThan(100_000);
    const limited = probe.inflate(InflateFormat.Gzip, chunked(bomb, 16384), { maxOutput: 1 << 20, keepOutput: false });
    expect({ status: limited.status, error: limited.error }).toEqual({ status: 'failed', error: 'too_large' });
    expect(limited.totalOut).toBeLessThanOrEqual((1 << 20) + 32768);
    const allowed = probe.inflate(InflateFormat.Gzip, chunked(bomb, 16384), { keepOutput: false });
    expect({ status: allowed.status, totalOut: allowed.totalOut }).toEqual({ status: 'done', totalOut: 64 << 20 });
  });
});
