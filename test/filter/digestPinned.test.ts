// Pins the exact record bytes the filter exports for a set of documents, so that speed work on
// the digest (scanner, hash loops, writers) cannot change a single output byte. The wire format 1
// sha256 values were taken from the build before that work (commit 83746ad) and still hold with
// collector.wireVersion 1; the wire format 2 values pin the whole one-record batch (record and its
// path table), taken when version 2 was introduced. The timing fields and the batch's send time,
// the only bytes that differ from run to run, are blanked before hashing.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ProxyWasmHost } from '../../emulator/index.js';
import { decodeBatch } from '../support/wireFormat.js';
import { COLLECTOR, corpus, loadHost, request, splitAt, type Headers, type Plugin } from './harness.js';

const TIMING = /"startUnixMs":\d+,"firstByteUs":\d+,"lastByteUs":\d+/;
const SENT = /^\{"v":2,"source":"primary","sentUnixMs":\d+,/;

/**
 * What the filter exports for `body`, timing blanked, as sent on the wire: in version 1 the
 * record, in version 2 the whole batch (the record means nothing without its path table).
 */
function recordBytes(host: ProxyWasmHost, plugin: Plugin, version: 1 | 2, chunks: Uint8Array[], requestHeaders: Headers = []): string {
  const stream = plugin.newHttpStream();
  const pinnedHeaders: Headers = [['x-shadowdiff-id', 'pinned-1'], ['x-request-id', 'pinned-request']];
  const overridden = new Set(requestHeaders.map(([name]) => name));
  stream.sendRequestHeaders(request('/pinned?q=1', [...pinnedHeaders.filter(([name]) => !overridden.has(name)), ...requestHeaders]), true);
  stream.sendResponseHeaders([[':status', '200'], ['content-type', 'application/json'], ['etag', 'W/"1"'], ['etag', 'b']], false);
  chunks.forEach((chunk, i) => stream.sendResponseBody(chunk, i === chunks.length - 1));
  stream.complete();
  const calls = host.pendingHttpCalls();
  if (host.trapped) throw host.trapped;
  const call = calls.at(-1);
  if (call === undefined || calls.length !== 1) throw new Error(`expected one export call, got ${calls.length}`);
  host.respondHttpCall(call.token, { status: 200 });
  const text = call.bodyText();
  if (version === 2) {
    if (!SENT.test(text) || !TIMING.test(text)) throw new Error(`not a version 2 batch with timing fields: ${text.slice(0, 200)}`);
    return text.replace(SENT, '{"v":2,"source":"primary","sentUnixMs":0,').replace(TIMING, '"startUnixMs":0,"firstByteUs":0,"lastByteUs":0');
  }
  const start = text.indexOf('"records":[') + '"records":['.length;
  const record = text.slice(start, text.lastIndexOf(']}'));
  if (!TIMING.test(record)) throw new Error(`record without the timing fields: ${record.slice(0, 200)}`);
  return record.replace(TIMING, '"startUnixMs":0,"firstByteUs":0,"lastByteUs":0');
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const encoder = new TextEncoder();
const amazonLines = corpus('amazon_cellphones.ndjson').split('\n').filter((line) => line.trim().length > 0);
const deep = `{"a":${'['.repeat(40)}{"k":"v","n":-0.0e-0,"s":"\\u00e9"}${']'.repeat(40)},"z":[1,{}]}`;
const odd = JSON.stringify({
  'with space': 1, 'quote"back\\slash': 'x', 'ctl\u0001\u001f': null, '': [], 'é-key': { x: true, y: false },
  [`long${'k'.repeat(300)}`]: 'long key', 'a_1': [0, -0, 1.50, 1e2, 1E+2, 100, 1.2345678901234568e22, -1.25e-7],
  big: `1${'0'.repeat(80)}`,
});
const numbers = `[1.50, 1E+02, -0, 0.000, 1e-0, 12345678901234567890123456789012345678901234567890123456789012345678901234567890, 3.14159e+0010, -7]`;
const escapes = `{"s":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20ac\\ud83d\\ude00\\ud800x\\udc00","e":"é€😀"}`;
const longPath = JSON.stringify({ [`p${'a'.repeat(900)}`]: { [`q${'b'.repeat(200)}`]: 1, r: [1, 2] }, after: 2 });

interface PinnedCase {
  name: string;
  digest: Record<string, unknown>;
  body: string;
  json?: 'none' | 'malformed';
  /** Request headers added to (or replacing) the defaults. */
  request?: Headers;
  /** wire format 1: the record */
  sha256: string;
  /** wire format 2: the batch */
  sha256v2: string;
}

const CASES: PinnedCase[] = [
  { name: 'citm_catalog.json', digest: { headers: ['etag'] }, body: corpus('citm_catalog.json'), sha256: 'b65148de9093aa159f84271734d596d5741fbf667ccc5f11fd381480bc6a417f', sha256v2: '08be1e82875ade0c21181391f0dfff6028db045f90d606bca160d2bbdfa06602' },
  { name: 'twitter.json', digest: { headers: ['etag'] }, body: corpus('twitter.json'), sha256: '0bbc09e5b16fedc9db2e8ecfbfa2552640fcb36d45445ca57f26a0c6858bc571', sha256v2: '40d63d1fccd65cd39700f26fa8cf50e5f433d550dce12bbae3e0b2817d91b765' },
  { name: 'amazon lines 0-2', digest: {}, body: `[${amazonLines.slice(0, 3).join(',')}]`, sha256: '3bceac701a505c5038148298d4705d57f61d47419d931181c48670da79063bc9', sha256v2: '3cfa51b42490511ba54762e12233cf416d697300706ad4cd75d1b27b4cbe8c42' },
  { name: 'amazon line 7', digest: {}, body: amazonLines[7] ?? '', sha256: 'b71723b05e2137028f0f96eb2a0f8059e6585a794cac94c8905305ef25f56ac8', sha256v2: '59165e943617d2a57cc59ed1d4f3508f9f42fc6783d8f6a2969f7b984cd65806' },
  { name: 'twitter.json, maxDepth 3, maxFields 40', digest: { maxDepth: 3, maxFields: 40 }, body: corpus('twitter.json'), sha256: 'e50bedd840e6a3bc2f7031751f95401c2bf8f5c95bfd0ca612424b827bc54abd', sha256v2: 'c41b7e547173ee62c2bcbd546f0923cf5104ab030a7437dde94983539c6f1491' },
  { name: 'deep nesting, maxDepth 4', digest: { maxDepth: 4 }, body: deep, sha256: '0dbdc9404071bfc8b4891286c9b5f328d43f463996456e3e53e7d2962055089e', sha256v2: 'f23841033089cb21a912a0a92f1f1c70afd2a77cec602f33997bc87d9d87fb72' },
  { name: 'odd keys', digest: {}, body: odd, sha256: '66e08f73a55b729227b8bb0bd26228a895d70f2a09d759aadf13708647d38fa7', sha256v2: 'eb109ca761161ad51778bff42be03f3a370f32133d2b8f5315588b70da918a70' },
  { name: 'numbers', digest: {}, body: numbers, sha256: 'f88c1fe12d505c9ff7979901a342db48e3e547976a7eeda789a52bd8ccf8815a', sha256v2: '1ebda49e516722ebbc56e7678761ad12ed136cd3cae02bf112293567878ed0bd' },
  { name: 'escapes and surrogates', digest: {}, body: escapes, sha256: '4fe8d31a62224bcc0d5b6b6d10210ff0d6e541b9eed71f824e25da7545057c34', sha256v2: 'c553277cd3a34175a1a9b9c18ba886d164634e78ae29788aafd0f40aced55cca' },
  { name: 'paths past the length limit', digest: {}, body: longPath, sha256: 'ac568fd6cf52e9575dea3c00457e34342d06caf76de04b614a45a27d46c66358', sha256v2: 'ef53c316fe6911bf4ba8811dfb37bd4dc2f03db8d7006841d47ca080dbb29369' },
  { name: 'malformed', digest: {}, body: '{"a":[1,2,{"b":"x"}],"c":tru}', json: 'malformed', sha256: 'e9d611dd66807064a80a5da9a6a92f8e6c8bda2fd53734bd7ab030f4841f260c', sha256v2: 'ce88dd0960451381ec8189d437d9ef7b5b26914241162eec048f4d47b3ce275d' },
  {
    name: 'request metadata to escape', digest: {}, body: '{"a":1}', sha256: '175a72b1dc400b3a92b1398ab121c8188288bafcd2ea11154d7208b32db7d780', sha256v2: '3202bf880718a9f372c0d7110d8966418ee5616f6af2b437fc6643983ebc49b0',
    request: [[':path', '/p/"q"\\x\té€?x=1'], [':authority', 'höst.local:8080'], ['x-request-id', 'id"\\\u0001']],
  },
  { name: 'json disabled', digest: { json: false }, body: corpus('twitter.json'), json: 'none', sha256: '126700c74fddcf1affd3c530b71b183e66452883ca95135a0b8f7d69e0241c88', sha256v2: '231cbbb8ee2fa5abb125783ff5076c455d296a716cd6917c40902f2ae6933dc2' },
];

for (const version of [1, 2] as const) {
  describe(`pinned digest records, wire format ${version}`, () => {
    for (const pinned of CASES) {
      it(`exports the pinned ${version === 1 ? 'record' : 'batch'} bytes for ${pinned.name}, whole and in 7-byte chunks`, async () => {
        const host = await loadHost({ knownClusters: [COLLECTOR.cluster] });
        const plugin = host.startPlugin(JSON.stringify({ role: 'primary', collector: { ...COLLECTOR, wireVersion: version }, digest: pinned.digest, export: { batchSize: 1 } }));
        const bytes = encoder.encode(pinned.body);
        const whole = recordBytes(host, plugin, version, [bytes], pinned.request);
        const offsets = Array.from({ length: Math.floor((bytes.length - 1) / 7) }, (_, i) => (i + 1) * 7);
        const chunked = recordBytes(host, plugin, version, splitAt(bytes, offsets), pinned.request);
        expect(chunked).toBe(whole);
        expect(whole).toContain(`"json":"${pinned.json ?? 'ok'}"`);
        const expected = version === 1 ? pinned.sha256 : pinned.sha256v2;
        expect({ name: pinned.name, sha256: sha256(whole) }).toEqual({ name: pinned.name, sha256: expected });
      }, 120_000);
    }
  });
}

describe('wire format 2 against 1', () => {
  for (const pinned of CASES) {
    it(`decodes to exactly the version 1 record for ${pinned.name}`, async () => {
      const host = await loadHost({ knownClusters: [COLLECTOR.cluster] });
      const bytes = encoder.encode(pinned.body);
      const [v1, v2] = ([1, 2] as const).map((version) => {
        const plugin = host.startPlugin(JSON.stringify({ role: 'primary', collector: { ...COLLECTOR, wireVersion: version }, digest: pinned.digest, export: { batchSize: 1 } }));
        return recordBytes(host, plugin, version, [bytes], pinned.request);
      });
      const batch = decodeBatch(JSON.parse(v2!));
      expect(batch.records).toEqual([JSON.parse(v1!)]);
      expect(v2!.length).toBeLessThanOrEqual(v1!.length + 128);
    }, 120_000);
  }
});
