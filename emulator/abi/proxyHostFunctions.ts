// The env.proxy_* host functions of ABI 0.2.0, with Envoy's results
// (proxy-wasm-cpp-host exports.cc over Envoy's wasm Context). They never throw
// at the module: bad input is a WasmResult. Arguments arrive as signed JS
// numbers, so pointers and sizes are read `>>> 0`.
//
// While the module starts, Envoy serves only proxy_log among these; every
// other one answers InternalFailure (see VmRuntime.refuseDuringStart).

import { MAX_BUFFER_TYPE, MAX_HEADER_MAP_TYPE, MAX_STREAM_TYPE, LogLevel, WasmResult } from './abiConstants.js';
import { HeaderMap } from '../contexts/headerMap.js';
import { readSerializedPairs, serializedPairsSize, writeSerializedPairs } from './headerPairs.js';
import type { AbiContext } from '../contexts/abiContext.js';
import type { VmRuntime } from '../vm/vmRuntime.js';

export function createProxyHostFunctions(vm: VmRuntime): WebAssembly.ModuleImports {
  const memory = vm.memory;
  const process = vm.process;

  /** Module bytes as a pair list, or null for bad memory or malformed pairs. */
  function readPairs(ptr: number, size: number): Array<[string, string]> | null {
    return memory.inBounds(ptr, size) ? readSerializedPairs(memory.bytes(), ptr, size) : null;
  }

  /**
   * The context a header-map call acts on, or the result that refuses it: the checks every
   * proxy_*_header_map_* function makes first, in Envoy's order.
   */
  function headerMapContext(call: string, type: number): AbiContext | WasmResult {
    const context = vm.context();
    if (vm.restricted || context === null) return vm.refuseDuringStart(call);
    if (type >>> 0 > MAX_HEADER_MAP_TYPE) return WasmResult.BadArgument;
    return context;
  }

  /** Applies a key/value edit to a writable header map. */
  function editHeader(
    call: string,
    type: number,
    keyPtr: number,
    keySize: number,
    valuePtr: number,
    valueSize: number,
    edit: (map: HeaderMap, key: string, value: string) => void,
  ): number {
    const context = headerMapContext(call, type);
    if (typeof context === 'number') return context;
    const key = memory.readString(keyPtr >>> 0, keySize >>> 0);
    const value = memory.readString(valuePtr >>> 0, valueSize >>> 0);
    if (key === null || value === null) {
      return WasmResult.InvalidMemoryAccess;
    }
    const map = context.writableHeaderMap(type >>> 0);
    if (map === null) {
      return WasmResult.BadArgument;
    }
    edit(map, key, value);
    return WasmResult.Ok;
  }

  return {
    proxy_log(level: number, messagePtr: number, messageSize: number): number {
      level >>>= 0;
      if (level > LogLevel.Critical) {
        return WasmResult.BadArgument;
      }
      if (level < vm.options.logLevel) {
        return WasmResult.Ok;
      }
      const message = memory.readString(messagePtr >>> 0, messageSize >>> 0);
      if (message === null) {
        return WasmResult.InvalidMemoryAccess;
      }
      vm.log(level, message);
      return WasmResult.Ok;
    },

    proxy_get_status(codePtr: number, messagePtrPtr: number, messageSizePtr: number): number {
      const context = vm.context();
      if (vm.restricted || context === null) {
        return vm.refuseDuringStart('proxy_get_status');
      }
      if (!memory.writeU32(codePtr >>> 0, context.status.code)) {
        return WasmResult.InvalidMemoryAccess;
      }
      return memory.copyStringToPointerSize(context.status.message, messagePtrPtr >>> 0, messageSizePtr >>> 0)
        ? WasmResult.Ok
        : WasmResult.InvalidMemoryAccess;
    },

    proxy_set_tick_period_milliseconds(periodMs: number): number {
      const context = vm.context();
      if (vm.restricted || context === null) {
        return vm.refuseDuringStart('proxy_set_tick_period_milliseconds');
      }
      // Envoy keeps one timer per root context, whichever context sets it.
      context.root.tickPeriodMs = periodMs >>> 0;
      return WasmResult.Ok;
    },

    proxy_get_current_time_nanoseconds(resultPtr: number): number {
      if (vm.restricted) {
        return vm.refuseDuringStart('proxy_get_current_time_nanoseconds');
      }
      return memory.writeU64(resultPtr >>> 0, process.nowNanos) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
    },

    proxy_get_property(pathPtr: number, pathSize: number, valuePtrPtr: number, valueSizePtr: number): number {
      const context = vm.context();
      if (vm.restricted || context === null) {
        return vm.refuseDuringStart('proxy_get_property');
      }
      const path = memory.readString(pathPtr >>> 0, pathSize >>> 0);
      if (path === null) {
        return WasmResult.InvalidMemoryAccess;
      }
      const value = context.property(path);
      if (value === undefined) {
        return WasmResult.NotFound;
      }
      return memory.copyToPointerSize(value, valuePtrPtr >>> 0, valueSizePtr >>> 0) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
    },

    proxy_set_property(pathPtr: number, pathSize: number, valuePtr: number, valueSize: number): number {
      const context = vm.context();
      if (vm.restricted || context === null) {
        return vm.refuseDuringStart('proxy_set_property');
      }
      const path = memory.readString(pathPtr >>> 0, pathSize >>> 0);
      const value = memory.readBytes(valuePtr >>> 0, valueSize >>> 0);
      if (path === null || value === null) {
        return WasmResult.InvalidMemoryAccess;
      }
      context.setProperty(path, value);
      return WasmResult.Ok;
    },

    proxy_continue_stream(streamType: number): number {
      const context = vm.context();
      if (vm.restricted || context === null) {
        return vm.refuseDuringStart('proxy_continue_stream');
      }
      streamType >>>= 0;
      return streamType > MAX_STREAM_TYPE ? WasmResult.BadArgument : context.continueStream(streamType);
    },

    proxy_close_stream(streamType: number): number {
      const context = vm.context();
      if (vm.restricted || context === null) {
        return vm.refuseDuringStart('proxy_close_stream');
      }
      streamType >>>= 0;
      return streamType > MAX_STREAM_TYPE ? WasmResult.BadArgument : context.closeStream(streamType);
    },

    proxy_send_local_response(
      statusCode: number,
      detailsPtr: number,
      detailsSize: number,
      bodyPtr: number,
      bodySize: number,
      headersPtr: number,
      headersSize: number,
      grpcStatus: number,
    ): number {
      const context = vm.context();
      if (vm.restricted || context === null) {
        return vm.refuseDuringStart('proxy_send_local_response');
      }
      const details = memory.readString(detailsPtr >>> 0, detailsSize >>> 0);
      const body = memory.readBytes(bodyPtr >>> 0, bodySize >>> 0);
      if (details === null || body === null || !memory.inBounds(headersPtr >>> 0, headersSize >>> 0)) {
        return WasmResult.InvalidMemoryAccess;
      }
      const headers = readPairs(headersPtr >>> 0, headersSize >>> 0);
      if (headers === null) {
        return WasmResult.BadArgument;
      }
      context.sendLocalResponse({ statusCode: statusCode >>> 0, details, body, headers, grpcStatus: grpcStatus | 0 });
      return WasmResult.Ok;
    },

    proxy_get_shared_data(keyPtr: number, keySize: number, valuePtrPtr: number, valueSizePtr: number, casPtr: number): number {
      if (vm.restricted) {
        return vm.refuseDuringStart('proxy_get_shared_data');
      }
      const key = memory.readString(keyPtr >>> 0, keySize >>> 0);
      if (key === null) {
        return WasmResult.InvalidMemoryAccess;
      }
      const entry = vm.sharedData.get(key);
      if (entry === undefined) {
        return WasmResult.NotFound;
      }
      return memory.copyToPointerSize(entry.value, valuePtrPtr >>> 0, valueSizePtr >>> 0) && memory.writeU32(casPtr >>> 0, entry.cas)
        ? WasmResult.Ok
        : WasmResult.InvalidMemoryAccess;
    },

    proxy_set_shared_data(keyPtr: number, keySize: number, valuePtr: number, valueSize: number, cas: number): number {
      if (vm.restricted) {
        return vm.refuseDuringStart('proxy_set_shared_data');
      }
      const key = memory.readString(keyPtr >>> 0, keySize >>> 0);
      const value = memory.readBytes(valuePtr >>> 0, valueSize >>> 0);
      if (key === null || value === null) {
        return WasmResult.InvalidMemoryAccess;
      }
      return vm.sharedData.set(key, value, cas >>> 0);
    },

    proxy_register_shared_queue(namePtr: number, nameSize: number, tokenPtr: number): number {
      const context = vm.context();
      if (vm.restricted || context === null) {
        return vm.refuseDuringStart('proxy_register_shared_queue');
      }
      const name = memory.readString(namePtr >>> 0, nameSize >>> 0);
      if (name === null) {
        return WasmResult.InvalidMemoryAccess;
      }
      const token = process.queues.register(vm.options.vmId, name, vm, context.root.id);
      return memory.writeU32(tokenPtr >>> 0, token) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
    },

    proxy_resolve_shared_queue(vmIdPtr: number, vmIdSize: number, namePtr: number, nameSize: number, tokenPtr: number): number {
      if (vm.restricted) {
        return vm.refuseDuringStart('proxy_resolve_shared_queue');
      }
      const vmId = memory.readString(vmIdPtr >>> 0, vmIdSize >>> 0);
      const name = memory.readString(namePtr >>> 0, nameSize >>> 0);
      if (vmId === null || name === null) {
        return WasmResult.InvalidMemoryAccess;
      }
      const token = process.queues.resolve(vmId, name);
      if (token === undefined) {
        return WasmResult.NotFound;
      }
      return memory.writeU32(tokenPtr >>> 0, token) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
    },

    proxy_dequeue_shared_queue(token: number, dataPtrPtr: number, dataSizePtr: number): number {
      if (vm.restricted) {
        return vm.refuseDuringStart('proxy_dequeue_shared_queue');
      }
      const outcome = process.queues.dequeue(token >>> 0, vm.options.vmId);
      if (outcome.result !== WasmResult.Ok) {
        return outcome.result;
      }
      return memory.copyToPointerSize(outcome.data, dataPtrPtr >>> 0, dataSizePtr >>> 0) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
    },

    proxy_enqueue_shared_queue(token: number, dataPtr: number, dataSize: number): number {
      if (vm.restricted) {
        return vm.refuseDuringStart('proxy_enqueue_shared_queue');
      }
      const data = memory.readBytes(dataPtr >>> 0, dataSize >>> 0);
      if (data === null) {
        return WasmResult.InvalidMemoryAccess;
      }
      return process.queues.enqueue(token >>> 0, data);
    },

    proxy_add_header_map_value(type: number, keyPtr: number, keySize: number, valuePtr: number, valueSize: number): number {
      return editHeader('proxy_add_header_map_value', type, keyPtr, keySize, valuePtr, valueSize, (map, key, value) => map.add(key, value));
    },

    proxy_get_header_map_value(type: number, keyPtr: number, keySize: number, valuePtrPtr: number, valueSizePtr: number): number {
      const context = headerMapContext('proxy_get_header_map_value', type);
      if (typeof context === 'number') return context;
      const key = memory.readString(keyPtr >>> 0, keySize >>> 0);
      if (key === null) {
        return WasmResult.InvalidMemoryAccess;
      }
      const map = context.readableHeaderMap(type >>> 0);
      if (map === null) {
        return context.inAccessLogPhase ? WasmResult.NotFound : WasmResult.BadArgument;
      }
      const value = map.get(key);
      if (value === undefined) {
        return WasmResult.NotFound;
      }
      return memory.copyStringToPointerSize(value, valuePtrPtr >>> 0, valueSizePtr >>> 0) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
    },

    proxy_replace_header_map_value(type: number, keyPtr: number, keySize: number, valuePtr: number, valueSize: number): number {
      return editHeader('proxy_replace_header_map_value', type, keyPtr, keySize, valuePtr, valueSize, (map, key, value) =>
        map.replace(key, value),
      );
    },

    proxy_remove_header_map_value(type: number, keyPtr: number, keySize: number): number {
      // a removal has no value: an empty one reads as valid memory
      return editHeader('proxy_remove_header_map_value', type, keyPtr, keySize, keyPtr, 0, (map, key) => map.remove(key));
    },

    proxy_get_header_map_pairs(type: number, ptrPtr: number, sizePtr: number): number {
      const context = headerMapContext('proxy_get_header_map_pairs', type);
      if (typeof context === 'number') return context;
      // Envoy serves an absent map as no pairs, and no pairs as a null pointer of size 0.
      const map = context.readableHeaderMap(type >>> 0);
      if (map === null || map.size === 0) {
        return memory.writeU32(ptrPtr >>> 0, 0) && memory.writeU32(sizePtr >>> 0, 0) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
      }
      const size = serializedPairsSize(map);
      const ptr = memory.allocate(size);
      if (ptr === null) {
        return WasmResult.InvalidMemoryAccess;
      }
      writeSerializedPairs(map, memory.bytes(), ptr);
      return memory.writeU32(ptrPtr >>> 0, ptr) && memory.writeU32(sizePtr >>> 0, size) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
    },

    proxy_set_header_map_pairs(type: number, ptr: number, size: number): number {
      const context = headerMapContext('proxy_set_header_map_pairs', type);
      if (typeof context === 'number') return context;
      if (!memory.inBounds(ptr >>> 0, size >>> 0)) {
        return WasmResult.InvalidMemoryAccess;
      }
      const map = context.writableHeaderMap(type >>> 0);
      const pairs = readPairs(ptr >>> 0, size >>> 0);
      if (map === null || pairs === null) {
        return WasmResult.BadArgument;
      }
      map.setPairs(pairs);
      return WasmResult.Ok;
    },

    proxy_get_header_map_size(type: number, resultPtr: number): number {
      const context = headerMapContext('proxy_get_header_map_size', type);
      if (typeof context === 'number') return context;
      // Envoy looks the map up for writing here, and reports its size in bytes.
      const map = context.writableHeaderMap(type >>> 0);
      if (map === null) {
        return WasmResult.BadArgument;
      }
      return memory.writeU32(resultPtr >>> 0, map.byteSize()) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
    },

    proxy_get_buffer_bytes(type: number, start: number, length: number, ptrPtr: number, sizePtr: number): number {
      const context = vm.context();
      if (vm.restricted || context === null) {
        return vm.refuseDuringStart('proxy_get_buffer_bytes');
      }
      if (type >>> 0 > MAX_BUFFER_TYPE) {
        return WasmResult.BadArgument;
      }
      const buffer = context.buffer(type >>> 0);
      if (buffer === null) {
        return WasmResult.NotFound;
      }
      start >>>= 0;
      length >>>= 0;
      if (start > buffer.byteLength) {
        return WasmResult.BadArgument;
      }
      // Envoy clamps the range to the buffer, and for an empty range answers Ok
      // WITHOUT writing the out-pointers: a module must not read them then.
      const end = Math.min(start + length, buffer.byteLength);
      if (end === start) {
        return WasmResult.Ok;
      }
      return memory.copyToPointerSize(buffer.subarray(start, end), ptrPtr >>> 0, sizePtr >>> 0)
        ? WasmResult.Ok
        : WasmResult.InvalidMemoryAccess;
    },

    proxy_get_buffer_status(type: number, lengthPtr: number, flagsPtr: number): number {
      const context = vm.context();
      if (vm.restricted || context === null) {
        return vm.refuseDuringStart('proxy_get_buffer_status');
      }
      if (type >>> 0 > MAX_BUFFER_TYPE) {
        return WasmResult.BadArgument;
      }
      const buffer = context.buffer(type >>> 0);
      if (buffer === null) {
        return WasmResult.NotFound;
      }
      // Envoy always reports flags 0 (it never sets EndOfStream here).
      return memory.writeU32(lengthPtr >>> 0, buffer.byteLength) && memory.writeU32(flagsPtr >>> 0, 0)
        ? WasmResult.Ok
        : WasmResult.InvalidMemoryAccess;
    },

    proxy_http_call(
      clusterPtr: number,
      clusterSize: number,
      headersPtr: number,
      headersSize: number,
      bodyPtr: number,
      bodySize: number,
      trailersPtr: number,
      trailersSize: number,
      timeoutMs: number,
      tokenPtr: number,
    ): number {
      const context = vm.context();
      if (vm.restricted || context === null) {
        return vm.refuseDuringStart('proxy_http_call');
      }
      const cluster = memory.readString(clusterPtr >>> 0, clusterSize >>> 0);
      const body = memory.readBytes(bodyPtr >>> 0, bodySize >>> 0);
      if (
        cluster === null ||
        body === null ||
        !memory.inBounds(headersPtr >>> 0, headersSize >>> 0) ||
        !memory.inBounds(trailersPtr >>> 0, trailersSize >>> 0) ||
        // Envoy writes the token slot first, to fail before starting the call.
        !memory.writeU32(tokenPtr >>> 0, 0)
      ) {
        return WasmResult.InvalidMemoryAccess;
      }
      const headerPairs = readPairs(headersPtr >>> 0, headersSize >>> 0);
      const trailerPairs = readPairs(trailersPtr >>> 0, trailersSize >>> 0);
      if (headerPairs === null || trailerPairs === null) {
        return WasmResult.BadArgument;
      }
      // Envoy reads the timeout as a signed int: negative is refused, 0 is "no timeout".
      const timeout = timeoutMs | 0;
      if (timeout < 0 || !vm.isKnownCluster(cluster)) {
        return WasmResult.BadArgument;
      }
      const headers = HeaderMap.from(headerPairs);
      if (headers.get(':path') === undefined || headers.get(':method') === undefined || headers.get(':authority') === undefined) {
        return WasmResult.BadArgument;
      }
      const token = vm.dispatchHttpCall(context.root, cluster, headers, body, HeaderMap.from(trailerPairs), timeout);
      memory.writeU32(tokenPtr >>> 0, token);
      return WasmResult.Ok;
    },

    // gRPC calls are not emulated (proxy_grpc_call/proxy_grpc_stream are refused
    // at load), so no gRPC token exists: Envoy answers BadArgument for those.
    proxy_grpc_cancel(): number {
      return vm.restricted ? vm.refuseDuringStart('proxy_grpc_cancel') : WasmResult.BadArgument;
    },

    proxy_grpc_close(): number {
      return vm.restricted ? vm.refuseDuringStart('proxy_grpc_close') : WasmResult.BadArgument;
    },

    proxy_grpc_send(): number {
      return vm.restricted ? vm.refuseDuringStart('proxy_grpc_send') : WasmResult.BadArgument;
    },

    proxy_define_metric(type: number, namePtr: number, nameSize: number, idPtr: number): number {
      if (vm.restricted) {
        return vm.refuseDuringStart('proxy_define_metric');
      }
      const name = memory.readString(namePtr >>> 0, nameSize >>> 0);
      if (name === null) {
        return WasmResult.InvalidMemoryAccess;
      }
      const defined = process.metrics.define(type >>> 0, name);
      if (defined.result !== WasmResult.Ok) {
        return defined.result;
      }
      return memory.writeU32(idPtr >>> 0, defined.id) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
    },

    proxy_increment_metric(id: number, offset: bigint): number {
      return vm.restricted ? vm.refuseDuringStart('proxy_increment_metric') : process.metrics.increment(id >>> 0, offset);
    },

    proxy_record_metric(id: number, value: bigint): number {
      return vm.restricted ? vm.refuseDuringStart('proxy_record_metric') : process.metrics.record(id >>> 0, value);
    },

    proxy_get_metric(id: number, resultPtr: number): number {
      if (vm.restricted) {
        return vm.refuseDuringStart('proxy_get_metric');
      }
      const read = process.metrics.read(id >>> 0);
      if (read.result !== WasmResult.Ok) {
        return read.result;
      }
      return memory.writeU64(resultPtr >>> 0, read.value) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
    },

    proxy_set_effective_context(contextId: number): number {
      return vm.restricted ? vm.refuseDuringStart('proxy_set_effective_context') : vm.setEffectiveContext(contextId >>> 0);
    },

    // Envoy answers NotFound unless the caller is a root context it is shutting
    // down and waiting for; the emulator never shuts plugins down.
    proxy_done(): number {
      return vm.restricted ? vm.refuseDuringStart('proxy_done') : WasmResult.NotFound;
    },

    // No foreign functions are registered, as in a stock Envoy.
    proxy_call_foreign_function(namePtr: number, nameSize: number, argumentsPtr: number, argumentsSize: number): number {
      if (vm.restricted) {
        return vm.refuseDuringStart('proxy_call_foreign_function');
      }
      if (!memory.inBounds(namePtr >>> 0, nameSize >>> 0) || !memory.inBounds(argumentsPtr >>> 0, argumentsSize >>> 0)) {
        return WasmResult.InvalidMemoryAccess;
      }
      return WasmResult.NotFound;
    },
  };
}
