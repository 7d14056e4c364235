// Loads test/filter/fixtures/inflateProbe.ts: the filter's inflater (filter/assembly/lib/inflate.ts),
// callable from the tests without the plugin around it.
import { join, resolve } from 'node:path';
import { buildAssemblyScript } from '../support/assemblyScriptBuild.js';

const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const LIB = resolve(import.meta.dirname, '../../filter/assembly/lib');

/** filter/assembly/lib/inflate.ts InflateFormat. */
export const InflateFormat = { Gzip: 0, Zlib: 1 } as const;
/** filter/assembly/lib/inflate.ts InflateStatus and InflateError, by name. */
const STATUS = ['need_input', 'output', 'done', 'failed'] as const;
const ERRORS = ['none', 'corrupt', 'truncated', 'too_large'] as const;

export interface InflateResult {
  status: (typeof STATUS)[number];
  error: (typeof ERRORS)[number];
  /** What was decoded before the stream ended or failed (empty when not kept). */
  output: Buffer;
  totalOut: number;
}

export interface InflateProbe {
  /** Feeds `chunks` in turn, then ends the body. */
  inflate(format: number, chunks: readonly Uint8Array[], options?: { maxOutput?: number; keepOutput?: boolean }): InflateResult;
}

interface ProbeExports {
  memory: WebAssembly.Memory;
  input(length: number): number;
  output(): number;
  outputLength(): number;
  start(format: number, maxOutput: bigint, keepOutput: number): void;
  feed(ptr: number, length: number): number;
  finish(): number;
  error(): number;
  totalOut(): bigint;
}

export async function loadInflateProbe(): Promise<InflateProbe> {
  const wasm = await buildAssemblyScript({
    name: 'inflateProbe',
    source: join(FIXTURES, 'inflateProbe.ts'),
    config: join(FIXTURES, 'asconfig.json'),
    // optimized and with the instructions of the filter's release build
    flags: ['-O3', '--runtime', 'full', '--enable', 'bulk-memory'],
    imports: [
      join(FIXTURES, 'probeBuffers.ts'),
      ...['inflate.ts', 'huffmanTable.ts', 'crc32.ts', 'adler32.ts', 'byteWriter.ts', 'jsonBytes.ts'].map((name) => join(LIB, name)),
    ],
  });
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(wasm), {
    env: {
      abort: (_message: number, _file: number, line: number, column: number) => {
        throw new Error(`the inflate probe aborted at ${line}:${column}`);
      },
    },
  });
  const probe = instance.exports as unknown as ProbeExports;
  return {
    inflate(format, chunks, options = {}) {
      const keep = options.keepOutput ?? true;
      probe.start(format, BigInt(options.maxOutput ?? Number.MAX_SAFE_INTEGER), keep ? 1 : 0);
      let status = 0;
      for (const chunk of chunks) {
        const ptr = probe.input(Math.max(chunk.length, 1));
        new Uint8Array(probe.memory.buffer, ptr, chunk.length).set(chunk);
        status = probe.feed(ptr, chunk.length);
        if (status === 3) break;
      }
      if (status !== 3) status = probe.finish();
      const output = keep ? Buffer.from(new Uint8Array(probe.memory.buffer, probe.output(), probe.outputLength())) : Buffer.alloc(0);
      return { status: STATUS[status]!, error: ERRORS[probe.error()]!, output, totalOut: Number(probe.totalOut()) };
    },
  };
}
