// The non-proxy host functions Envoy links into every module: its WASI subset
// (the same functions under wasi_unstable and wasi_snapshot_preview1) and two
// env helpers, plus AssemblyScript's default env.abort, which Envoy does not
// provide but the emulator does (see envoyImportSurface.ts).
//
// proc_exit and abort end the VM: they throw VmExitSignal, which unwinds the
// module and becomes a trap. stdout/stderr writes become info/error logs, as
// Envoy routes them. The clock is the process clock; random bytes come from a
// seeded generator so tests are reproducible.

import { Buffer } from 'node:buffer';
import { LogLevel } from './abiConstants.js';
import { VmExitSignal } from '../vm/errors.js';
import type { VmRuntime } from '../vm/vmRuntime.js';

const ERRNO_SUCCESS = 0;
const ERRNO_BADF = 8;
const ERRNO_FAULT = 21;
const ERRNO_NOENT = 44;
const ERRNO_NOSYS = 52;
const ERRNO_NOTSUP = 58;
const CLOCK_REALTIME = 0;
const STDOUT = 1;
const STDERR = 2;

export interface RuntimeHostFunctions {
  readonly wasi: WebAssembly.ModuleImports;
  readonly env: WebAssembly.ModuleImports;
}

export function createRuntimeHostFunctions(vm: VmRuntime, randomSeed: number): RuntimeHostFunctions {
  const memory = vm.memory;
  const nextRandom = xorshift32(randomSeed);

  /** Envoy's stub for a restricted WASI function while the module starts. */
  const whileStarting = (name: string): number => vm.refuseDuringStart(name);

  const wasi: WebAssembly.ModuleImports = {
    fd_write(fd: number, iovsPtr: number, iovsCount: number, writtenPtr: number): number {
      if (fd !== STDOUT && fd !== STDERR) {
        return ERRNO_BADF;
      }
      let text = '';
      for (let index = 0; index < iovsCount >>> 0; index++) {
        const vector = (iovsPtr >>> 0) + index * 8;
        const ptr = memory.readU32(vector);
        const length = memory.readU32(vector + 4);
        const chunk = ptr === null || length === null ? null : memory.readString(ptr, length);
        if (chunk === null) {
          return ERRNO_FAULT;
        }
        text += chunk;
      }
      const written = Buffer.byteLength(text, 'utf8');
      if (written > 0) {
        vm.log(fd === STDOUT ? LogLevel.Info : LogLevel.Error, text.endsWith('\n') ? text.slice(0, -1) : text);
      }
      return memory.writeU32(writtenPtr >>> 0, written) ? ERRNO_SUCCESS : ERRNO_FAULT;
    },

    fd_read(): number {
      return vm.restricted ? whileStarting('fd_read') : ERRNO_NOSYS;
    },

    fd_seek(): number {
      if (vm.restricted) {
        return whileStarting('fd_seek');
      }
      vm.log(LogLevel.Error, 'wasi_unstable fd_seek');
      return ERRNO_SUCCESS;
    },

    fd_close(): number {
      if (vm.restricted) {
        return whileStarting('fd_close');
      }
      vm.log(LogLevel.Error, 'wasi_unstable fd_close');
      return ERRNO_SUCCESS;
    },

    fd_fdstat_get(fd: number, statPtr: number): number {
      if (vm.restricted) {
        return whileStarting('fd_fdstat_get');
      }
      if (fd !== STDOUT && fd !== STDERR) {
        return ERRNO_BADF;
      }
      // Like Envoy: a zeroed fdstat whose rights allow fd_write.
      const ok =
        memory.writeU64(statPtr >>> 0, 0n) && memory.writeU64((statPtr >>> 0) + 8, 64n) && memory.writeU64((statPtr >>> 0) + 16, 0n);
      return ok ? ERRNO_SUCCESS : ERRNO_FAULT;
    },

    // No environment variables and no arguments.
    environ_get(): number {
      return ERRNO_SUCCESS;
    },

    environ_sizes_get(countPtr: number, bufferSizePtr: number): number {
      return memory.writeU32(countPtr >>> 0, 0) && memory.writeU32(bufferSizePtr >>> 0, 0) ? ERRNO_SUCCESS : ERRNO_FAULT;
    },

    args_get(): number {
      return ERRNO_SUCCESS;
    },

    args_sizes_get(countPtr: number, bufferSizePtr: number): number {
      return memory.writeU32(countPtr >>> 0, 0) && memory.writeU32(bufferSizePtr >>> 0, 0) ? ERRNO_SUCCESS : ERRNO_FAULT;
    },

    clock_time_get(clockId: number, _precision: bigint, resultPtr: number): number {
      if (clockId !== CLOCK_REALTIME) {
        return ERRNO_NOTSUP;
      }
      return memory.writeU64(resultPtr >>> 0, vm.process.nowNanos) ? ERRNO_SUCCESS : ERRNO_FAULT;
    },

    random_get(bufferPtr: number, length: number): number {
      const bytes = new Uint8Array(length >>> 0);
      for (let index = 0; index < bytes.length; index++) {
        bytes[index] = nextRandom() & 0xff;
      }
      return memory.writeBytes(bufferPtr >>> 0, bytes) ? ERRNO_SUCCESS : ERRNO_FAULT;
    },

    proc_exit(code: number): void {
      throw new VmExitSignal(`proc_exit(${code})`);
    },

    // No filesystem: no preopened directories, nothing to open.
    path_open(): number {
      return vm.restricted ? whileStarting('path_open') : ERRNO_NOENT;
    },

    fd_prestat_get(): number {
      return ERRNO_BADF;
    },

    fd_prestat_dir_name(): number {
      return ERRNO_NOSYS;
    },
  };

  const env: WebAssembly.ModuleImports = {
    pthread_equal(left: number, right: number): number {
      return left === right ? 1 : 0;
    },

    emscripten_notify_memory_growth(): void {
      // Nothing to do: WasmMemory notices growth by itself.
    },

    /** AssemblyScript's abort(message, fileName, line, column); strings are AS UTF-16 strings. */
    abort(messagePtr: number, fileNamePtr: number, line: number, column: number): void {
      const message = readAssemblyScriptString(vm, messagePtr >>> 0) ?? '(no message)';
      const fileName = readAssemblyScriptString(vm, fileNamePtr >>> 0) ?? '(unknown file)';
      const description = `abort: ${message} at ${fileName}(${line}:${column})`;
      vm.log(LogLevel.Critical, description);
      throw new VmExitSignal(description);
    },
  };

  return { wasi, env };
}

/** An AssemblyScript string: UTF-16LE code units, byte length in the u32 before it. */
function readAssemblyScriptString(vm: VmRuntime, ptr: number): string | null {
  if (ptr < 4) {
    return null;
  }
  const byteLength = vm.memory.readU32(ptr - 4);
  if (byteLength === null || !vm.memory.inBounds(ptr, byteLength)) {
    return null;
  }
  return vm.memory.bytes().toString('utf16le', ptr, ptr + byteLength);
}

/** A small deterministic generator; random_get does not need to be cryptographic here. */
function xorshift32(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}
