import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { LogLevel, ProxyWasmHost, type Plugin } from '../../emulator/index.js';
import { requireFilterWasm } from '../../devkit/paths.js';
import { decodeBatch } from '../../devkit/wireFormat.js';
import type { IngestedRecord } from '../../collector/types.js';
import type { BenchContext } from '../benchContext.js';
import { alternate } from '../alternation.js';
import { wholeCorpusDocuments, type CutDocument } from '../corpusCuts.js';
import { comparedRow, runsOf, type LineResult, type ResultRow } from '../results.js';

/** Envoy hands a wasm filter an HTTP/1 body in slices of at most this much (one socket read). */
const CHUNK_BYTES = 16 * 1024;
/** Answer the filter's export calls this often, so the emulator's call list stays short. */
const DRAIN_EVERY = 256;

export interface Engine {
  /** Digests (or parses) the document once. */
  once(): void;
}

/** The filter's digest of one response with this body, driven through the emulator exactly as Envoy drives it. */
export function filterEngine(
  host: ProxyWasmHost,
  plugin: Plugin,
  body: Uint8Array,
  responseHeaders: ReadonlyArray<[string, string]> = [],
): Engine {
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < body.length; offset += CHUNK_BYTES) chunks.push(body.subarray(offset, offset + CHUNK_BYTES));
  let count = 0;
  return {
    once: () => {
      const stream = plugin.newHttpStream();
      stream.sendRequestHeaders(
        [
          [':method', 'GET'],
          [':path', '/doc'],
          [':authority', 'bench.local'],
          ['x-request-id', 'r'],
          ['x-shadowdiff-id', `id-${count}`],
        ],
        true,
      );
      stream.sendResponseHeaders([[':status', '200'], ['content-type', 'application/json'], ...responseHeaders], false);
      chunks.forEach((chunk, i) => stream.sendResponseBody(chunk, i === chunks.length - 1));
      stream.complete();
      if (++count % DRAIN_EVERY === 0) drain(host);
    },
  };
}

function drain(host: ProxyWasmHost): string[] {
  const bodies: string[] = [];
  for (const call of host.pendingHttpCalls()) {
    bodies.push(call.bodyText());
    host.respondHttpCall(call.token, { status: 200 });
  }
  if (host.trapped !== null) throw host.trapped;
  return bodies;
}

/** One observer plugin in primary role with these digest options: every request carrying a correlation id is digested. */
export async function startObserver(digest: Record<string, unknown>): Promise<{ host: ProxyWasmHost; plugin: Plugin }> {
  const host = await ProxyWasmHost.load(readFileSync(await requireFilterWasm()), { logLevel: LogLevel.Warn });
  const plugin = host.startPlugin(
    JSON.stringify({
      role: 'primary',
      collector: { cluster: 'shadowdiff_collector' },
      digest,
      export: { batchSize: DRAIN_EVERY, maxQueue: 4 * DRAIN_EVERY, flushIntervalMs: 60_000 },
    }),
  );
  if (!plugin.ok) throw new Error(`the observer plugin did not start: ${host.criticalLogs().join('; ')}`);
  return { host, plugin };
}

/** Checks that the filter really produced a JSON digest of the document, or the throughput would mean nothing; returns the record. */
export function assertDigested(
  host: ProxyWasmHost,
  plugin: Plugin,
  engine: Engine,
  document: CutDocument,
  bodyBytes = document.bytes.length,
): IngestedRecord {
  engine.once();
  // The tick sends the partial batch at once.
  plugin.tick();
  const body = drain(host).at(-1);
  const record = body === undefined ? undefined : decodeBatch(JSON.parse(body)).records.at(-1);
  if (record?.json !== 'ok' || Object.keys(record.fields).length === 0 || record.respBytes !== bodyBytes) {
    throw new Error(`the filter did not digest ${document.name} as JSON: ${JSON.stringify(record)}`);
  }
  return record;
}

/** MB/s (10^6 bytes) of running `engine` repeatedly for `seconds`. */
export function throughput(engine: Engine, bytes: number, seconds: number): number {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let iterations = 0;
  while (performance.now() < deadline) {
    for (let i = 0; i < 8; i++) engine.once();
    iterations += 8;
  }
  return (iterations * bytes) / 1e6 / ((performance.now() - start) / 1000);
}

const DIGEST = 'filter digest (emulator)';
const HASH_ONLY = 'filter, body hash only';
const PARSE = 'JSON.parse';
const DECODE_PARSE = 'utf8 decode + JSON.parse';

/**
 * Line 5: the digest engine's throughput in the VM (V8's WebAssembly in Node, through the host
 * emulator: request and response headers, 16 KiB body slices, on_log and record encoding included)
 * against JSON.parse of the same bytes in the same process.
 */
export async function measureDigestEngine(context: BenchContext): Promise<LineResult> {
  const digest = await startObserver({ json: true });
  const hashOnly = await startObserver({ json: false });
  const line = 5;
  const rows: ResultRow[] = [];
  const details: Record<string, unknown> = {};
  for (const document of [...context.documents, ...wholeCorpusDocuments()]) {
    const text = document.bytes.toString('utf8');
    const digestEngine = filterEngine(digest.host, digest.plugin, document.bytes);
    assertDigested(digest.host, digest.plugin, digestEngine, document);
    const engines: Record<string, Engine> = {
      [DIGEST]: digestEngine,
      [HASH_ONLY]: filterEngine(hashOnly.host, hashOnly.plugin, document.bytes),
      [PARSE]: { once: () => JSON.parse(text) as unknown },
      [DECODE_PARSE]: { once: () => JSON.parse(document.bytes.toString('utf8')) as unknown },
    };
    const seconds = context.plan.digestEngineSeconds;
    for (const engine of Object.values(engines)) throughput(engine, document.bytes.length, seconds / 2);
    const runs = await alternate(Object.keys(engines), context.plan.runs, async (label) =>
      throughput(engines[label]!, document.bytes.length, seconds),
    );
    const name = `${document.name} (${document.bytes.length} B)`;
    const mbps = (label: string): number[] => runsOf(runs, label, (value) => value);
    rows.push(
      comparedRow(
        line,
        `${name}: digest MB/s vs JSON.parse`,
        'MB/s',
        { bound: 'atLeast', limit: 2, on: 'ratio' },
        mbps(PARSE),
        mbps(DIGEST),
      ),
    );
    details[document.name] = Object.fromEntries(runs);
  }
  return {
    line,
    title: 'Digest engine throughput in the VM against JSON.parse',
    method:
      'The built filter in V8 WebAssembly through emulator/, one primary-role plugin (default maxFields 256), each ' +
      'request a full stream (headers, body in 16 KiB slices, on_log, record encoding; export calls answered every ' +
      `${DRAIN_EVERY} records), against JSON.parse of the same document as a string in the same Node process. ` +
      'Details add the body-hash-only filter and JSON.parse including the UTF-8 decode.',
    rows,
    details,
  };
}
