// Loads test/filter/fixtures/digestProbe.ts: the filter's hash families and response digest,
// callable from the tests without the plugin around them.
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildAssemblyScript } from '../support/assemblyScriptBuild.js';

const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const ASSEMBLY = resolve(import.meta.dirname, '../../filter/assembly');
/** The filter's folders the probe reaches into. */
const PROBED_FOLDERS = ['lib', 'host', 'config', 'digest'];

/** The filter's hash families (filter/assembly/lib/streamingHash.ts HashAlgorithm). */
export const HashAlgorithm = { Fnv1a64: 1, XxHash64: 2 } as const;
export type HashAlgorithm = (typeof HashAlgorithm)[keyof typeof HashAlgorithm];

export interface ProbeDigest {
  bodyHash: string;
  json: 'none' | 'ok' | 'malformed';
  fieldsTruncated: boolean;
  headers: Record<string, string>;
  fields: Record<string, string>;
}

export interface DigestOptions {
  maxFields?: number;
  maxDepth?: number;
}

export interface DigestProbe {
  /** XXH64 of the chunks given in turn to one streaming hash (a whole buffer when one chunk). */
  xxh64(chunks: readonly Uint8Array[], seed?: bigint): bigint;
  /** XXH64 fed one byte() call per byte. */
  xxh64Bytewise(bytes: Uint8Array, seed?: bigint): bigint;
  /** The filter's StreamingHash of the selected family over the chunks. */
  streamingHash(algorithm: HashAlgorithm, chunks: readonly Uint8Array[]): bigint;
  /**
   * StreamingHash#prefixed: the selected family's one-pass hash of `first` then `bytes`, with the
   * byte before `bytes` in memory holding `before` (the hash must not depend on it).
   */
  prefixedHash(algorithm: HashAlgorithm, first: number, bytes: Uint8Array, before: number): bigint;
  /** A JSON response (etag sent twice) digested by ResponseDigest, the body given as chunks. */
  digest(algorithm: HashAlgorithm, chunks: readonly Uint8Array[], options?: DigestOptions): ProbeDigest;
}

interface ProbeExports {
  memory: WebAssembly.Memory;
  input(length: number): number;
  output(): number;
  outputLength(): number;
  xxhStart(seed: bigint): void;
  xxhUpdate(ptr: number, length: number): void;
  xxhByte(value: number): void;
  xxhDigest(): bigint;
  hashStart(algorithm: number): void;
  hashBytes(ptr: number, length: number): void;
  hashValue(): bigint;
  hashPrefixed(first: number, ptr: number, length: number): bigint;
  digestStart(algorithm: number, maxFields: number, maxDepth: number): void;
  digestBody(ptr: number, length: number): void;
  digestFinish(): void;
}

/** wasm's i64 arrives signed. */
function unsigned(value: bigint): bigint {
  return BigInt.asUintN(64, value);
}

function probeImports(): string[] {
  const filter = PROBED_FOLDERS.flatMap((folder) =>
    readdirSync(join(ASSEMBLY, folder))
      .filter((name) => name.endsWith('.ts'))
      .map((name) => join(ASSEMBLY, folder, name)),
  );
  return [join(FIXTURES, 'probeBuffers.ts'), ...filter];
}

export async function loadDigestProbe(): Promise<DigestProbe> {
  const wasm = await buildAssemblyScript({
    name: 'digestProbe',
    source: join(FIXTURES, 'digestProbe.ts'),
    config: join(FIXTURES, 'asconfig.json'),
    // optimized as the filter's release build is
    flags: ['-O3', '--runtime', 'full'],
    imports: probeImports(),
  });
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(wasm), {
    env: {
      abort: (_message: number, _file: number, line: number, column: number) => {
        throw new Error(`the digest probe aborted at ${line}:${column}`);
      },
    },
  });
  const probe = instance.exports as unknown as ProbeExports;
  /** Copies `bytes` into the probe's input buffer; its address (valid until the next copy). */
  const put = (bytes: Uint8Array): number => {
    const ptr = probe.input(bytes.length);
    new Uint8Array(probe.memory.buffer, ptr, bytes.length).set(bytes);
    return ptr;
  };
  return {
    xxh64(chunks, seed = 0n) {
      probe.xxhStart(seed);
      for (const chunk of chunks) probe.xxhUpdate(put(chunk), chunk.length);
      return unsigned(probe.xxhDigest());
    },
    xxh64Bytewise(bytes, seed = 0n) {
      probe.xxhStart(seed);
      for (const byte of bytes) probe.xxhByte(byte);
      return unsigned(probe.xxhDigest());
    },
    streamingHash(algorithm, chunks) {
      probe.hashStart(algorithm);
      for (const chunk of chunks) probe.hashBytes(put(chunk), chunk.length);
      return unsigned(probe.hashValue());
    },
    prefixedHash(algorithm, first, bytes, before) {
      probe.hashStart(algorithm);
      const ptr = put(Uint8Array.of(before, ...bytes));
      return unsigned(probe.hashPrefixed(first, ptr + 1, bytes.length));
    },
    digest(algorithm, chunks, options = {}) {
      probe.digestStart(algorithm, options.maxFields ?? 256, options.maxDepth ?? 32);
      for (const chunk of chunks) probe.digestBody(put(chunk), chunk.length);
      probe.digestFinish();
      const text = new TextDecoder().decode(new Uint8Array(probe.memory.buffer, probe.output(), probe.outputLength()));
      return JSON.parse(text) as ProbeDigest;
    },
  };
}
