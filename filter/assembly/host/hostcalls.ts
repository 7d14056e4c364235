// A thin layer over the raw proxy-wasm ABI 0.2.0 host calls.
//
// Why not the runtime's wrappers: @solo-io/proxy-runtime 0.1.8 aborts the whole VM
// (CHECK_RESULT -> throw -> proc_exit) on any non-OK status, e.g. a header read after
// the stream is gone. Here every call returns a value; absent is told apart from empty.
import * as abi from "@solo-io/proxy-runtime/imports";
import { free } from "./hostMemory";
import { HeaderEntry, encodeHeaderPairs } from "./headerPairs";

export const enum WasmResult {
  Ok = 0,
  NotFound = 1,
  BadArgument = 2,
  Empty = 7,
  CasMismatch = 8,
}

export const enum HeaderMap {
  RequestHeaders = 0,
  ResponseHeaders = 2,
  HttpCallResponseHeaders = 6,
}

export const enum BufferKind {
  ResponseBody = 1,
  PluginConfiguration = 7,
}

export const enum LogLevel {
  Trace = 0,
  Debug = 1,
  Info = 2,
  Warn = 3,
  Error = 4,
  Critical = 5,
}

export const enum MetricKind {
  Counter = 0,
  Gauge = 1,
}

// The host writes a returned buffer's address and size here. The buffer itself was
// allocated through our exported malloc, so whoever reads it must release it.
const RETURN_SLOTS = new ArrayBuffer(16);
const RETURN_PTR: usize = changetype<usize>(RETURN_SLOTS);
const RETURN_SIZE: usize = RETURN_PTR + 4;
const RETURN_EXTRA: usize = RETURN_PTR + 8;

/** Bytes the host handed over; valid until release(). */
export class HostBytes {
  ptr: usize = 0;
  length: usize = 0;

  release(): void {
    if (this.ptr != 0) free(this.ptr);
    this.ptr = 0;
    this.length = 0;
  }

  toStringUtf8(): string {
    if (this.length == 0) return "";
    return String.UTF8.decodeUnsafe(this.ptr, this.length);
  }
}

function takeReturned(into: HostBytes): void {
  into.ptr = load<usize>(RETURN_PTR);
  into.length = load<usize>(RETURN_SIZE);
}

function clearReturnSlots(): void {
  store<usize>(RETURN_PTR, 0);
  store<usize>(RETURN_SIZE, 0);
}

export function log(level: LogLevel, message: string): void {
  const bytes = String.UTF8.encode(message);
  abi.proxy_log(level, changetype<usize>(bytes), bytes.byteLength);
}

export function nowNanos(): u64 {
  store<u64>(RETURN_EXTRA, 0);
  abi.proxy_get_current_time_nanoseconds(RETURN_EXTRA);
  return load<u64>(RETURN_EXTRA);
}

export function setTickPeriodMs(ms: u32): bool {
  return abi.proxy_set_tick_period_milliseconds(ms) == WasmResult.Ok;
}

/** Reads `length` bytes of a host buffer; false (and nothing to release) when unavailable. */
export function readBuffer(kind: BufferKind, start: u32, length: u32, into: HostBytes): bool {
  clearReturnSlots();
  const result = abi.proxy_get_buffer_bytes(kind, start, length, RETURN_PTR, RETURN_SIZE);
  takeReturned(into);
  if (result != WasmResult.Ok) {
    into.release();
    return false;
  }
  return true;
}

const scratchBytes = new HostBytes();

/** The value of a header, or null when the header is absent (or the map is gone). */
export function getHeader(map: HeaderMap, name: string): string | null {
  const key = String.UTF8.encode(name);
  clearReturnSlots();
  const result = abi.proxy_get_header_map_value(map, changetype<usize>(key), key.byteLength, RETURN_PTR, RETURN_SIZE);
  takeReturned(scratchBytes);
  if (result != WasmResult.Ok) {
    scratchBytes.release();
    return null;
  }
  const value = scratchBytes.toStringUtf8();
  scratchBytes.release();
  return value;
}

/** The serialized pairs of a map, in place (see headerPairsView.ts); false (nothing to release) when unavailable. */
export function readHeaderPairs(map: HeaderMap, into: HostBytes): bool {
  clearReturnSlots();
  const result = abi.proxy_get_header_map_pairs(map, RETURN_PTR, RETURN_SIZE);
  takeReturned(into);
  if (result != WasmResult.Ok) {
    into.release();
    return false;
  }
  return true;
}

/**
 * A property Envoy serializes as 64 bits (an int, or a duration in nanoseconds), read by its path
 * of NUL-separated segments (`response\0backend_latency`); -1 when absent or not 8 bytes.
 */
export function getPropertyI64(path: ArrayBuffer): i64 {
  clearReturnSlots();
  const result = abi.proxy_get_property(changetype<usize>(path), path.byteLength, RETURN_PTR, RETURN_SIZE);
  takeReturned(scratchBytes);
  let value: i64 = -1;
  if (result == WasmResult.Ok && scratchBytes.length == 8) value = load<i64>(scratchBytes.ptr);
  scratchBytes.release();
  return value;
}

/** Replaces the whole map with serialized pairs (headerPairsBuilder.ts): one host call for any number of changes. */
export function setHeaderPairs(map: HeaderMap, ptr: usize, length: usize): bool {
  return abi.proxy_set_header_map_pairs(map, ptr, length) == WasmResult.Ok;
}

export function replaceHeaderBytes(map: HeaderMap, name: ArrayBuffer, value: ArrayBuffer): bool {
  return abi.proxy_replace_header_map_value(map, changetype<usize>(name), name.byteLength, changetype<usize>(value), value.byteLength) == WasmResult.Ok;
}

/** Removes every value of the header whose UTF-8 name is at `ptr`. */
export function removeHeaderAt(map: HeaderMap, ptr: usize, length: usize): bool {
  return abi.proxy_remove_header_map_value(map, ptr, length) == WasmResult.Ok;
}

export function replaceHeader(map: HeaderMap, name: string, value: string): bool {
  const key = String.UTF8.encode(name);
  const val = String.UTF8.encode(value);
  return abi.proxy_replace_header_map_value(map, changetype<usize>(key), key.byteLength, changetype<usize>(val), val.byteLength) == WasmResult.Ok;
}

export function removeHeader(map: HeaderMap, name: string): bool {
  const key = String.UTF8.encode(name);
  return abi.proxy_remove_header_map_value(map, changetype<usize>(key), key.byteLength) == WasmResult.Ok;
}

/** Starts an HTTP call from the root context; returns the token, or -1 when the host refused it. */
export function httpCall(cluster: string, headers: Array<HeaderEntry>, body: ArrayBuffer, timeoutMs: u32): i64 {
  const upstream = String.UTF8.encode(cluster);
  const pairs = encodeHeaderPairs(headers);
  const noTrailers = encodeHeaderPairs(new Array<HeaderEntry>());
  store<u32>(RETURN_EXTRA, 0);
  const result = abi.proxy_http_call(
    changetype<usize>(upstream), upstream.byteLength,
    changetype<usize>(pairs), pairs.byteLength,
    changetype<usize>(body), body.byteLength,
    changetype<usize>(noTrailers), noTrailers.byteLength,
    timeoutMs, RETURN_EXTRA);
  if (result != WasmResult.Ok) return -1;
  return <i64>load<u32>(RETURN_EXTRA);
}

/** Defines (or finds) a metric; -1 when the host refused it. */
export function defineMetric(kind: MetricKind, name: string): i64 {
  const bytes = String.UTF8.encode(name);
  store<u32>(RETURN_EXTRA, 0);
  if (abi.proxy_define_metric(kind, changetype<usize>(bytes), bytes.byteLength, RETURN_EXTRA) != WasmResult.Ok) return -1;
  return <i64>load<u32>(RETURN_EXTRA);
}

export function incrementMetric(id: i64, delta: i64): void {
  if (id >= 0) abi.proxy_increment_metric(<u32>id, delta);
}

/** A shared-data value and its CAS; `found` is false when the key does not exist yet. */
export class SharedValue {
  found: bool = false;
  cas: u32 = 0;
  bytes: HostBytes = new HostBytes();
}

/** `key` in UTF-8 (encoded once by the caller: these calls are on the path of sampled requests). */
export function getSharedData(key: ArrayBuffer, into: SharedValue): void {
  clearReturnSlots();
  store<u32>(RETURN_EXTRA, 0);
  const result = abi.proxy_get_shared_data(changetype<usize>(key), key.byteLength, RETURN_PTR, RETURN_SIZE, RETURN_EXTRA);
  takeReturned(into.bytes);
  into.found = result == WasmResult.Ok;
  into.cas = into.found ? load<u32>(RETURN_EXTRA) : 0;
  if (!into.found) into.bytes.release();
}

export function setSharedData(key: ArrayBuffer, valuePtr: usize, valueLength: usize, cas: u32): WasmResult {
  return abi.proxy_set_shared_data(changetype<usize>(key), key.byteLength, valuePtr, valueLength, cas);
}
