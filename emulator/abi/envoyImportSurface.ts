// What Envoy links into a proxy-wasm module that declares ABI 0.2.0
// (proxy-wasm-cpp-host: exports.h and WasmBase::registerCallbacks), with the
// signatures it checks on wasm32. The emulator refuses at load time what Envoy
// refuses when it links the module, so a module that loads here also loads in
// Envoy, as far as imports go.

import { formatSignature, type FunctionSignature, type WasmImport } from '../vm/wasmModuleImports.js';

/** 'i' is i32, 'I' is i64; e.g. signature('iI', 'i') is (i32, i64) -> i32. */
function signature(params: string, results: string): FunctionSignature {
  const decode = (codes: string) => [...codes].map((code) => (code === 'I' ? 'i64' : 'i32'));
  return { params: decode(params), results: decode(results) };
}

const WASI_FUNCTIONS: ReadonlyArray<readonly [string, FunctionSignature]> = [
  ['fd_write', signature('iiii', 'i')],
  ['fd_read', signature('iiii', 'i')],
  ['fd_seek', signature('iIii', 'i')],
  ['fd_close', signature('i', 'i')],
  ['fd_fdstat_get', signature('ii', 'i')],
  ['environ_get', signature('ii', 'i')],
  ['environ_sizes_get', signature('ii', 'i')],
  ['args_get', signature('ii', 'i')],
  ['args_sizes_get', signature('ii', 'i')],
  ['clock_time_get', signature('iIi', 'i')],
  ['random_get', signature('ii', 'i')],
  ['proc_exit', signature('i', '')],
  ['path_open', signature('iiiiiIIii', 'i')],
  ['fd_prestat_get', signature('ii', 'i')],
  ['fd_prestat_dir_name', signature('iii', 'i')],
];

/** Keyed by "module.name". */
export const ENVOY_ABI_0_2_0_IMPORTS: ReadonlyMap<string, FunctionSignature> = new Map([
  ['env.proxy_log', signature('iii', 'i')],
  ['env.proxy_get_status', signature('iii', 'i')],
  ['env.proxy_set_property', signature('iiii', 'i')],
  ['env.proxy_get_property', signature('iiii', 'i')],
  ['env.proxy_send_local_response', signature('iiiiiiii', 'i')],
  ['env.proxy_get_shared_data', signature('iiiii', 'i')],
  ['env.proxy_set_shared_data', signature('iiiii', 'i')],
  ['env.proxy_register_shared_queue', signature('iii', 'i')],
  ['env.proxy_resolve_shared_queue', signature('iiiii', 'i')],
  ['env.proxy_dequeue_shared_queue', signature('iii', 'i')],
  ['env.proxy_enqueue_shared_queue', signature('iii', 'i')],
  ['env.proxy_get_header_map_value', signature('iiiii', 'i')],
  ['env.proxy_add_header_map_value', signature('iiiii', 'i')],
  ['env.proxy_replace_header_map_value', signature('iiiii', 'i')],
  ['env.proxy_remove_header_map_value', signature('iii', 'i')],
  ['env.proxy_get_header_map_pairs', signature('iii', 'i')],
  ['env.proxy_set_header_map_pairs', signature('iii', 'i')],
  ['env.proxy_get_header_map_size', signature('ii', 'i')],
  ['env.proxy_get_buffer_status', signature('iii', 'i')],
  ['env.proxy_get_buffer_bytes', signature('iiiii', 'i')],
  ['env.proxy_set_buffer_bytes', signature('iiiii', 'i')],
  ['env.proxy_http_call', signature('iiiiiiiiii', 'i')],
  ['env.proxy_grpc_call', signature('iiiiiiiiiiii', 'i')],
  ['env.proxy_grpc_stream', signature('iiiiiiiii', 'i')],
  ['env.proxy_grpc_close', signature('i', 'i')],
  ['env.proxy_grpc_cancel', signature('i', 'i')],
  ['env.proxy_grpc_send', signature('iiii', 'i')],
  ['env.proxy_set_tick_period_milliseconds', signature('i', 'i')],
  ['env.proxy_get_current_time_nanoseconds', signature('i', 'i')],
  ['env.proxy_define_metric', signature('iiii', 'i')],
  ['env.proxy_increment_metric', signature('iI', 'i')],
  ['env.proxy_record_metric', signature('iI', 'i')],
  ['env.proxy_get_metric', signature('ii', 'i')],
  ['env.proxy_set_effective_context', signature('i', 'i')],
  ['env.proxy_done', signature('', 'i')],
  ['env.proxy_call_foreign_function', signature('iiiiii', 'i')],
  ['env.proxy_continue_stream', signature('i', 'i')],
  ['env.proxy_close_stream', signature('i', 'i')],
  ['env.pthread_equal', signature('ii', 'i')],
  ['env.emscripten_notify_memory_growth', signature('i', '')],
  ...WASI_FUNCTIONS.map(([name, sig]) => [`wasi_unstable.${name}`, sig] as const),
  ...WASI_FUNCTIONS.map(([name, sig]) => [`wasi_snapshot_preview1.${name}`, sig] as const),
]);

/** Host functions Envoy registers only for other ABI versions. */
const OTHER_ABI_ONLY: ReadonlyMap<string, string> = new Map([
  ['env.proxy_clear_route_cache', 'ABI 0.1.0 only'],
  ['env.proxy_get_configuration', 'ABI 0.1.0 only'],
  ['env.proxy_continue_request', 'ABI 0.1.0 only'],
  ['env.proxy_continue_response', 'ABI 0.1.0 only'],
  ['env.proxy_get_log_level', 'ABI 0.2.1 only'],
]);

/**
 * AssemblyScript's default abort handler. Envoy does not provide it (build
 * with `--use abort=abort_proc_exit`); the emulator does, as a trap, and warns.
 */
export const AS_DEFAULT_ABORT = 'env.abort';
export const AS_DEFAULT_ABORT_SIGNATURE = signature('iiii', '');

export interface ImportCheck {
  /** Reasons Envoy (or the emulator) would refuse to load the module. */
  readonly problems: string[];
  readonly warnings: string[];
}

/** `emulated` holds the "module.name" keys the emulator implements. */
export function checkImports(imports: readonly WasmImport[], emulated: ReadonlySet<string>): ImportCheck {
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const entry of imports) {
    const key = `${entry.module}.${entry.name}`;
    if (entry.kind !== 'function') {
      problems.push(`imports ${entry.kind} ${key}; Envoy provides functions only (the module must export its own memory)`);
      continue;
    }
    if (key === AS_DEFAULT_ABORT) {
      if (formatSignature(entry.signature) === formatSignature(AS_DEFAULT_ABORT_SIGNATURE)) {
        warnings.push(
          `the module imports ${key}, which Envoy does not provide: Envoy would refuse to load it ` +
            '(build with --use abort=abort_proc_exit); the emulator treats a call as a trap',
        );
      } else {
        problems.push(`imports ${key} with an unexpected signature ${formatSignature(entry.signature)}`);
      }
      continue;
    }
    const otherAbi = OTHER_ABI_ONLY.get(key);
    if (otherAbi !== undefined) {
      problems.push(`imports ${key}, which Envoy does not provide to ABI 0.2.0 modules (${otherAbi})`);
      continue;
    }
    const expected = ENVOY_ABI_0_2_0_IMPORTS.get(key);
    if (expected === undefined) {
      problems.push(`imports ${key}, which Envoy does not provide (Envoy fails with "missing import")`);
      continue;
    }
    const actual = formatSignature(entry.signature);
    if (actual !== formatSignature(expected)) {
      problems.push(`imports ${key} as ${actual}, but Envoy's is ${formatSignature(expected)} (Envoy fails with "import type mismatch")`);
      continue;
    }
    if (!emulated.has(key)) {
      problems.push(`imports ${key}: Envoy provides it, but the emulator does not emulate it`);
    }
  }
  return { problems, warnings };
}
