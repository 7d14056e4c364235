// The filter's two hash families — FNV-1a 64 (wire v1) and streaming XXH64 (wire v2) — and the
// response digest built with each, through test/filter/fixtures/digestProbe.ts. XXH64 is checked
// against vectors from the reference implementation (Python `xxhash` 4.1.0, libxxhash 0.8.4) and
// against a BigInt implementation written here from the specification; split invariance is
// checked for every split of the input.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ASSEMBLYSCRIPT_BUILD_TIMEOUT_MS } from '../support/assemblyScriptBuild.js';
import { HashAlgorithm, loadDigestProbe, type DigestProbe, type ProbeDigest } from './digestProbe.js';
import { COLLECTOR, corpus, digestOf, loadHost, splitAt } from './harness.js';

const MASK = (1n << 64n) - 1n;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;

const rotl = (value: bigint, bits: bigint): bigint => ((value << bits) | (value >> (64n - bits))) & MASK;
const mul = (a: bigint, b: bigint): bigint => (a * b) & MASK;
const lane = (bytes: Uint8Array, at: number, width: number): bigint => {
  let value = 0n;
  for (let i = width - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[at + i]!);
  return value;
};
const round = (acc: bigint, input: bigint): bigint => mul(rotl((acc + mul(input, P2)) & MASK, 31n), P1);
const merge = (acc: bigint, value: bigint): bigint => (mul(acc ^ round(0n, value), P1) + P4) & MASK;

/** XXH64 as the specification (xxhash_spec.md) describes it, on the whole input at once. */
function referenceXxh64(bytes: Uint8Array, seed = 0n): bigint {
  let at = 0;
  let acc: bigint;
  if (bytes.length >= 32) {
    let v1 = (seed + P1 + P2) & MASK;
    let v2 = (seed + P2) & MASK;
    let v3 = seed;
    let v4 = (seed - P1) & MASK;
    for (; at + 32 <= bytes.length; at += 32) {
      v1 = round(v1, lane(bytes, at, 8));
      v2 = round(v2, lane(bytes, at + 8, 8));
      v3 = round(v3, lane(bytes, at + 16, 8));
      v4 = round(v4, lane(bytes, at + 24, 8));
    }
    acc = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & MASK;
    for (const v of [v1, v2, v3, v4]) acc = merge(acc, v);
  } else {
    acc = (seed + P5) & MASK;
  }
  acc = (acc + BigInt(bytes.length)) & MASK;
  for (; at + 8 <= bytes.length; at += 8) acc = (mul(rotl(acc ^ round(0n, lane(bytes, at, 8)), 27n), P1) + P4) & MASK;
  if (at + 4 <= bytes.length) {
    acc = (mul(rotl(acc ^ mul(lane(bytes, at, 4), P1), 23n), P2) + P3) & MASK;
    at += 4;
  }
  for (; at < bytes.length; at++) acc = mul(rotl(acc ^ mul(BigInt(bytes[at]!), P5), 11n), P1);
  acc = mul(acc ^ (acc >> 33n), P2);
  acc = mul(acc ^ (acc >> 29n), P3);
  return acc ^ (acc >> 32n);
}

function referenceFnv1a64(bytes: Uint8Array): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of bytes) hash = mul(hash ^ BigInt(byte), 0x100000001b3n);
  return hash;
}

/** The filter's 32-bit short form of a 64-bit hash (fields, headers, long keys). */
const fold32 = (hash: bigint): string => ((hash ^ (hash >> 32n)) & 0xffffffffn).toString(16).padStart(8, '0');
const hex64 = (hash: bigint): string => hash.toString(16).padStart(16, '0');

const encoder = new TextEncoder();
const bytesOf = (text: string): Uint8Array => encoder.encode(text);

/** The byte pattern of the vectors below: a 32-bit LCG's top byte, from state 1. */
function pattern(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = 1;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

// From Python: xxhash.xxh64(data, seed).hexdigest()
const TEXT_VECTORS: Array<[string, string]> = [
  ['', 'ef46db3751d8e999'],
  ['a', 'd24ec4f1a98c6e5b'],
  ['abc', '44bc2cf5ad770999'],
  ['The quick brown fox jumps over the lazy dog', '0b242d361fda71bc'],
  ['{"a":1}', 'ca0b885a32fc8b48'],
];
const PATTERN_VECTORS: Array<[number, string, string]> = [
  [0, 'ef46db3751d8e999', 'ac75fda2929b17ef'],
  [1, '13099d40d095b684', '2924e99f9185b8af'],
  [3, '6fbbbfe0547c7d56', '5da6d84341e69a3a'],
  [4, '66b01b6487528d12', 'df3de512a4f209f7'],
  [5, '1a147382da9fdd7b', 'd4d794cc4782fd52'],
  [7, '47bbb6f5e6ee2129', '2104dd50bfd89486'],
  [8, '181be641fc4de1e5', 'ee173f43dc42b45c'],
  [9, '26ba88d8fe864968', '5bea138579329952'],
  [15, '76d4c4d65510f746', 'b2d68c0e532c3723'],
  [16, 'cd31b1ca2f5ce45e', 'cfca977e098031ca'],
  [31, '8ef425dc2a3476b8', '8a4c53a36c933fb3'],
  [32, '67cf8e4b005b6caa', '30e32eb11c7eed3b'],
  [33, '2bb7f82be1b83d57', 'bc9d2504cc1388d3'],
  [63, 'ed9469af2a2fb3f0', 'f9db1cc6860bfe97'],
  [64, '8e8ccac7f498d6d5', '58097aba7485e329'],
  [65, 'c36bff0a01928615', 'a6bd33c424f9c38a'],
  [100, 'd34badcf2f05ff97', 'b465bcd45fd0697c'],
  [1000, '4c55b4a571867361', 'ba8c1395c6ed6ee8'],
  [4096, 'ce8c3e3f51552ff2', '81d74faa9caf9e29'],
];
const SEED = 0x9e3779b1n;

/** `bytes` cut into pieces of `size` (the last may be shorter). */
function piecesOf(bytes: Uint8Array, size: number): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
  return pieces.length > 0 ? pieces : [bytes];
}

let probe: DigestProbe;
beforeAll(async () => {
  probe = await loadDigestProbe();
}, ASSEMBLYSCRIPT_BUILD_TIMEOUT_MS);

describe('XXH64 (wire v2 hashes)', () => {
  it('matches the reference implementation on text and on patterned inputs of every tail length, with seed 0 and another seed', () => {
    for (const [text, expected] of TEXT_VECTORS) {
      expect({ text, hash: hex64(probe.xxh64([bytesOf(text)])) }).toEqual({ text, hash: expected });
      expect({ text, hash: hex64(referenceXxh64(bytesOf(text))) }).toEqual({ text, hash: expected });
    }
    for (const [length, seed0, seeded] of PATTERN_VECTORS) {
      const bytes = pattern(length);
      expect({ length, seed0: hex64(probe.xxh64([bytes])), seeded: hex64(probe.xxh64([bytes], SEED)) }).toEqual({ length, seed0, seeded });
      expect({ length, seed0: hex64(referenceXxh64(bytes)), seeded: hex64(referenceXxh64(bytes, SEED)) }).toEqual({
        length,
        seed0,
        seeded,
      });
      expect({ length, bytewise: hex64(probe.xxh64Bytewise(bytes, SEED)) }).toEqual({ length, bytewise: seeded });
    }
  });

  it('gives the hash of the whole for the input split at every point, and in pieces of every size from 1 to 70 bytes', () => {
    const bytes = pattern(300);
    const whole = referenceXxh64(bytes);
    for (let at = 0; at <= bytes.length; at++) {
      expect({ at, hash: probe.xxh64([bytes.subarray(0, at), bytes.subarray(at)]) }).toEqual({ at, hash: whole });
    }
    for (let size = 1; size <= 70; size++) {
      expect({ size, hash: probe.xxh64(piecesOf(bytes, size)) }).toEqual({ size, hash: whole });
    }
  });

  it('gives the reference hash for any bytes, seed and chunking', () => {
    const chunked = fc
      .tuple(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(400), { maxLength: 12 }), fc.bigInt({ min: 0n, max: MASK }))
      .map(([bytes, cuts, seed]) => ({
        bytes,
        seed,
        chunks: splitAt(
          bytes,
          [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b),
        ),
      }));
    fc.assert(
      fc.property(chunked, ({ bytes, seed, chunks }) => {
        expect(probe.xxh64(chunks, seed)).toBe(referenceXxh64(bytes, seed));
      }),
      { numRuns: 400 },
    );
  });
});

describe('the streaming hash of each family', () => {
  it('is FNV-1a 64 for Fnv1a64 and XXH64 (seed 0) for XxHash64, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 1, max: 40 }), (bytes, size) => {
        expect(probe.streamingHash(HashAlgorithm.Fnv1a64, piecesOf(bytes, size))).toBe(referenceFnv1a64(bytes));
        expect(probe.streamingHash(HashAlgorithm.XxHash64, piecesOf(bytes, size))).toBe(referenceXxh64(bytes));
      }),
      { numRuns: 200 },
    );
  });

  it('hashes a tag byte and the bytes after it in one pass (prefixed) as byte() then bytes() would, at every length, whatever the byte before them', () => {
    for (const algorithm of [HashAlgorithm.Fnv1a64, HashAlgorithm.XxHash64]) {
      const reference = algorithm === HashAlgorithm.Fnv1a64 ? referenceFnv1a64 : referenceXxh64;
      for (let length = 0; length <= 100; length++) {
        const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 0xff);
        for (const [first, before] of [
          [0x73, 0x22],
          [0x6e, 0x00],
          [0xff, 0x73],
        ] as const) {
          expect(probe.prefixedHash(algorithm, first, bytes, before)).toBe(reference(Uint8Array.of(first, ...bytes)));
        }
      }
    }
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        (bytes, first, before) => {
          expect(probe.prefixedHash(HashAlgorithm.XxHash64, first, bytes, before)).toBe(referenceXxh64(Uint8Array.of(first, ...bytes)));
          expect(probe.prefixedHash(HashAlgorithm.Fnv1a64, first, bytes, before)).toBe(referenceFnv1a64(Uint8Array.of(first, ...bytes)));
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** The leaf hash of wire v2: XXH64 of the leaf's canonical bytes (type tag first), folded. */
const v2Leaf = (canonical: string): string => fold32(referenceXxh64(bytesOf(canonical)));

describe('the response digest with XXH64 (wire v2)', () => {
  const digestV2 = (body: string, options = {}): ProbeDigest => probe.digest(HashAlgorithm.XxHash64, [bytesOf(body)], options);

  it('hashes the body, each configured header (repeats joined with ",") and each leaf\'s canonical bytes with XXH64', () => {
    const body = '{"a":"x","b":8.50,"c":[true,false,null,{},[]],"d":"caf\\u00e9","e":-0,"f":1E+2}';
    expect(digestV2(body)).toEqual({
      bodyHash: hex64(referenceXxh64(bytesOf(body))),
      json: 'ok',
      fieldsTruncated: false,
      headers: { 'content-type': v2Leaf('application/json'), etag: v2Leaf('W/"1",b') },
      fields: {
        '$.a': v2Leaf('sx'),
        '$.b': v2Leaf('n8.5'),
        '$.c[0]': v2Leaf('t'),
        '$.c[1]': v2Leaf('f'),
        '$.c[2]': v2Leaf('z'),
        '$.c[3]': v2Leaf('{}'),
        '$.c[4]': v2Leaf('[]'),
        '$.d': v2Leaf('scafé'),
        '$.e': v2Leaf('n0'),
        '$.f': v2Leaf('n1e2'),
      },
    });
  });

  it("hashes a response header's UTF-8 bytes as the host hands them over, non-ASCII values and repeats included", async () => {
    const host = await loadHost({ knownClusters: [COLLECTOR.cluster] });
    const plugin = host.startPlugin(
      JSON.stringify({ role: 'primary', collector: COLLECTOR, digest: { headers: ['etag', 'vary'] }, export: { batchSize: 1 } }),
    );
    const record = digestOf(host, plugin, '{}', {
      responseHeaders: [
        ['etag', 'W/"café 😀"'],
        ['vary', 'accept'],
        ['vary', 'Accept-Encoding'],
      ],
    });
    expect(record.headers).toEqual({ etag: v2Leaf('W/"café 😀"'), vary: v2Leaf('accept,Accept-Encoding') });
  });

  it('hashes a container deeper than maxDepth as one leaf of its canonical subtree, and names a key over 256 bytes by its hash', () => {
    const deep = digestV2('{"a":{"k":"v","n":[1.50,true]}}', { maxDepth: 1 });
    expect(deep.fields).toEqual({ '$.a': v2Leaf('c{sk":sv",sn":[n1.5,t]}') });
    for (const length of [257, 300, 1000]) {
      const key = 'k'.repeat(length);
      const named = probe.digest(HashAlgorithm.XxHash64, piecesOf(bytesOf(`{"${key}":1}`), 7));
      expect({ length, fields: named.fields }).toEqual({
        length,
        fields: { [`$["#${fold32(referenceXxh64(bytesOf(key)))}"]`]: v2Leaf('n1') },
      });
    }
    expect(digestV2(`{"${'k'.repeat(256)}":1}`).fields).toEqual({ [`$.${'k'.repeat(256)}`]: v2Leaf('n1') });
  });

  it('compares equal JSON as equal under either family: key order, whitespace, \\u escapes versus UTF-8, 8.50 versus 8.5', () => {
    const pairs: Array<[string, string, string]> = [
      ['key order', '{"a":1,"b":{"c":2,"d":3}}', '{"b":{"d":3,"c":2},"a":1}'],
      ['whitespace', '{"a":[1,2],"b":"x"}', ' {\n  "a" : [ 1 ,\t2 ] ,\r\n  "b":"x"\n} '],
      ['\\u escapes', '{"s":"caf\\u00e9 \\ud83d\\ude00 \\/"}', '{"s":"café 😀 /"}'],
      ['number spelling', '{"price":8.50,"n":1E+2}', '{"price":8.5,"n":1e2}'],
    ];
    for (const algorithm of [HashAlgorithm.Fnv1a64, HashAlgorithm.XxHash64]) {
      for (const [what, left, right] of pairs) {
        const fieldsOf = (body: string): Array<[string, string]> =>
          Object.entries(probe.digest(algorithm, [bytesOf(body)]).fields).sort(([a], [b]) => a.localeCompare(b));
        expect({ algorithm, what, fields: fieldsOf(right) }).toEqual({ algorithm, what, fields: fieldsOf(left) });
      }
      expect(probe.digest(algorithm, [bytesOf('{"price":8.51}')]).fields).not.toEqual(
        probe.digest(algorithm, [bytesOf('{"price":8.5}')]).fields,
      );
    }
  });

  it('does not depend on where the body splits: every split point of a document gives one digest, under either family', () => {
    const body = bytesOf(corpus('twitter.json').slice(0, 2500));
    const wellFormed = bytesOf(
      `{"s":"caf\\u00e9 \\ud83d\\ude00","n":[1.50,-0,1E+2,${'9'.repeat(80)}],"k${'x'.repeat(300)}":{"d":[[[{"e":true}]]]}}`,
    );
    for (const algorithm of [HashAlgorithm.Fnv1a64, HashAlgorithm.XxHash64]) {
      for (const bytes of [body, wellFormed]) {
        const whole = probe.digest(algorithm, [bytes], { maxDepth: 4 });
        for (let at = 0; at <= bytes.length; at++) {
          const split = probe.digest(algorithm, [bytes.subarray(0, at), bytes.subarray(at)], { maxDepth: 4 });
          if (split.bodyHash !== whole.bodyHash || JSON.stringify(split) !== JSON.stringify(whole)) {
            expect({ algorithm, at, split }).toEqual({ algorithm, at, split: whole });
          }
        }
      }
    }
  });
});

describe('the digest probe', () => {
  it.each([
    ['Fnv1a64', HashAlgorithm.Fnv1a64, 1],
    ['XxHash64', HashAlgorithm.XxHash64, 2],
  ] as const)('with %s gives the bytes the filter exports in wire v%i', async (_name, algorithm, wireVersion) => {
    const host = await loadHost({ knownClusters: [COLLECTOR.cluster] });
    const plugin = host.startPlugin(
      JSON.stringify({
        role: 'primary',
        collector: { ...COLLECTOR, wireVersion },
        digest: { headers: ['content-type', 'etag'] },
        export: { batchSize: 1 },
      }),
    );
    for (const name of ['twitter.json', 'citm_catalog.json']) {
      const body = bytesOf(corpus(name));
      const record = digestOf(host, plugin, body, {
        responseHeaders: [
          ['etag', 'W/"1"'],
          ['etag', 'b'],
        ],
      });
      const probed = probe.digest(algorithm, piecesOf(body, 16 * 1024));
      expect({ name, ...probed }).toEqual({
        name,
        bodyHash: record.bodyHash,
        json: record.json,
        fieldsTruncated: record.fieldsTruncated,
        headers: record.headers,
        fields: record.fields,
      });
    }
  });
});

/** sha256 of the probe's digest summary: pins every v2 hash of a document. */
const summarySha = (digest: ProbeDigest): string => createHash('sha256').update(JSON.stringify(digest)).digest('hex');

describe('pinned wire v2 digests', () => {
  const numbers =
    '[1.50, 1E+02, -0, 0.000, 1e-0, 12345678901234567890123456789012345678901234567890123456789012345678901234567890, 3.14159e+0010, -7]';
  const escapes = '{"s":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20ac\\ud83d\\ude00\\ud800x\\udc00","e":"é€😀"}';
  const CASES: Array<{ name: string; body: () => string; maxFields?: number; maxDepth?: number; sha256: string }> = [
    {
      name: 'twitter.json',
      body: () => corpus('twitter.json'),
      sha256: 'fd909468364cfcbd817e7a2bc68cd97a199cc857c115a3c186eb66b58c778f51',
    },
    {
      name: 'citm_catalog.json',
      body: () => corpus('citm_catalog.json'),
      sha256: 'dd58d0c2326ebad47469e568daf1d5f396c6c31e2442c3965c51eb545cc9c170',
    },
    {
      name: 'twitter.json, maxDepth 3, maxFields 40',
      body: () => corpus('twitter.json'),
      maxDepth: 3,
      maxFields: 40,
      sha256: '55afd0de27955ff34771f1bc9aa3aa1a8fa16ea33cabdb801d851fed945f3713',
    },
    { name: 'numbers', body: () => numbers, sha256: '2fe69bbb7c4845b30a7ee189593b527ceb2b35b5885b8948f7e4b67380345a43' },
    { name: 'escapes and surrogates', body: () => escapes, sha256: '3ea57f47021de8817ffc9b67e39dfef178a9dcdae16084dbc3a722b4e5505756' },
    {
      name: 'malformed',
      body: () => '{"a":[1,2,{"b":"x"}],"c":tru}',
      sha256: '0590851b81f326120329f8d4b1a30d01d0f34a97f3e6f4e560ee571d815ef56d',
    },
  ];
  for (const pinned of CASES) {
    it(`digests ${pinned.name} to the pinned v2 hashes, whole and in 7-byte chunks`, () => {
      const bytes = bytesOf(pinned.body());
      const options = { maxFields: pinned.maxFields ?? 256, maxDepth: pinned.maxDepth ?? 32 };
      const whole = probe.digest(HashAlgorithm.XxHash64, [bytes], options);
      expect(probe.digest(HashAlgorithm.XxHash64, piecesOf(bytes, 7), options)).toEqual(whole);
      expect(whole.bodyHash).toBe(hex64(referenceXxh64(bytes)));
      // the family changes the hashes, never which fields there are
      expect(Object.keys(whole.fields)).toEqual(Object.keys(probe.digest(HashAlgorithm.Fnv1a64, [bytes], options).fields));
      expect({ name: pinned.name, sha256: summarySha(whole) }).toEqual({ name: pinned.name, sha256: pinned.sha256 });
    });
  }
});
