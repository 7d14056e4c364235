// Drives the shipped build/shadowdiff.wasm through the host emulator. The suite fails,
// never skips, when the build is missing.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ProxyWasmHost } from '../../emulator/index.js';
import type { IngestedRecord } from '../../collector/types.js';
import { decodeBatch, type DecodedBatch } from '../../devkit/wireFormat.js';

export const WASM_PATH = resolve(import.meta.dirname, '../../build/shadowdiff.wasm');
export const CORPUS_DIR = resolve(import.meta.dirname, '../../../shared/corpus/json');

export type Headers = Array<[string, string]>;
export type Plugin = ReturnType<ProxyWasmHost['startPlugin']>;

export function wasmBytes(): Uint8Array<ArrayBuffer> {
  if (!existsSync(WASM_PATH)) throw new Error(`${WASM_PATH} is missing: run \`npm run build:filter\``);
  return new Uint8Array(readFileSync(WASM_PATH));
}

export async function loadHost(options: { knownClusters?: string[] } = {}): Promise<ProxyWasmHost> {
  return ProxyWasmHost.load(wasmBytes(), options);
}

export function corpus(name: string): string {
  const path = resolve(CORPUS_DIR, name);
  if (!existsSync(path)) throw new Error(`corpus file ${path} is missing (expected ../shared/ beside the project)`);
  return readFileSync(path, 'utf8');
}

export const COLLECTOR = { cluster: 'shadowdiff_collector', authority: 'collector.local', path: '/v1/batches' };

/**
 * The emulator's clock stands still, so every request of a test falls in one second: the default
 * mirroring caps are lifted here (unless `sampling` sets its own) for the tests that count
 * sampling decisions; test/filter/sampling.test.ts checks the defaults with `defaultCapsEdgeConfig`.
 */
export const UNCAPPED: Readonly<Record<string, number>> = { maxPerSecond: 0, segmentMaxPerSecond: 0 };

export function edgeConfig(sampling: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ role: 'edge', collector: COLLECTOR, sampling: { ...UNCAPPED, ...sampling }, ...extra });
}

/** An edge configuration that leaves the mirroring caps at the filter's defaults. */
export function defaultCapsEdgeConfig(sampling: Record<string, unknown>): string {
  return JSON.stringify({ role: 'edge', collector: COLLECTOR, sampling });
}

/** A primary-role observer that exports each record at once: the simplest way to read a digest. */
export function observerConfig(digest: Record<string, unknown> = {}): string {
  return JSON.stringify({ role: 'primary', collector: COLLECTOR, digest, export: { batchSize: 1 } });
}

let requestCounter = 0;

/** A request's headers; `extra` adds headers and replaces defaults of the same name. */
export function request(path = '/orders/1', extra: Headers = []): Headers {
  requestCounter++;
  const defaults: Headers = [
    [':method', 'GET'],
    [':path', path],
    [':authority', 'orders.local'],
    ['x-request-id', `req-${requestCounter}`],
  ];
  const overridden = new Set(extra.map(([name]) => name));
  return [...defaults.filter(([name]) => !overridden.has(name)), ...extra];
}

/** Ticks each plugin: the filter publishes its counters on the tick, not per request (filterMetrics.ts). */
export function publishMetrics(...plugins: Plugin[]): void {
  for (const plugin of plugins) plugin.tick();
}

/** Every finished export call's batch, in order, as the collector reads it, acknowledging each with 200; throws on an invalid batch. */
export function drainBatches(host: ProxyWasmHost): DecodedBatch[] {
  const batches: DecodedBatch[] = [];
  for (const call of host.pendingHttpCalls()) {
    batches.push(decodeBatch(JSON.parse(call.bodyText())));
    host.respondHttpCall(call.token, { status: 200 });
  }
  return batches;
}

export interface DigestOptions {
  contentType?: string | null;
  chunks?: Array<Uint8Array | string>;
  responseHeaders?: Headers;
  status?: number;
}

/** Runs one observed request whose response body is `body` (split as `chunks` if given) and returns its record, as the collector ingests it. */
export function digestOf(host: ProxyWasmHost, plugin: Plugin, body: string | Uint8Array, options: DigestOptions = {}): IngestedRecord {
  const stream = plugin.newHttpStream();
  stream.sendRequestHeaders(request('/digest', [['x-shadowdiff-id', 'digest-1']]), true);
  const headers: Headers = [[':status', String(options.status ?? 200)], ...(options.responseHeaders ?? [])];
  const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
  if (contentType !== null) headers.push(['content-type', contentType]);
  stream.sendResponseHeaders(headers, false);
  const chunks = options.chunks ?? [body];
  chunks.forEach((chunk, i) => stream.sendResponseBody(chunk, i === chunks.length - 1));
  stream.complete();
  const batches = drainBatches(host);
  if (host.trapped) throw host.trapped;
  const record = batches.at(-1)?.records.at(-1);
  if (record === undefined) throw new Error('the filter exported no record');
  return record;
}

/** Splits `bytes` at the given offsets. */
export function splitAt(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let start = 0;
  for (const offset of [...offsets, bytes.length]) {
    parts.push(bytes.subarray(start, offset));
    start = offset;
  }
  return parts;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The filter's path spelling of one key: `.key`, or `["key"]` escaping only what JSON requires. */
export function keySegment(key: string): string {
  if (IDENTIFIER.test(key)) return `.${key}`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: JSON strings must escape exactly U+0000..U+001F
  const escaped = key.replace(/["\\\u0000-\u001f]/g, (c) =>
    c === '"' || c === '\\' ? `\\${c}` : `\\u00${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return `["${escaped}"]`;
}

/** The leaf paths of a parsed document, as the filter names them (maxDepth not applied). */
export function leafPaths(value: unknown, path = '$', out: string[] = []): string[] {
  if (Array.isArray(value)) {
    if (value.length === 0) out.push(path);
    value.forEach((item, i) => leafPaths(item, `${path}[${i}]`, out));
  } else if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) out.push(path);
    for (const [key, item] of entries) leafPaths(item, path + keySegment(key), out);
  } else {
    out.push(path);
  }
  return out;
}
