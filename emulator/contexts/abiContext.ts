// The host-side half of a proxy-wasm context, as the host functions see it.
// Envoy resolves most host calls against the "effective" context (the one the
// host called into, unless the module switched with proxy_set_effective_context),
// and each kind of context answers differently: a root context has no request
// headers, a stream context's request headers vanish once its request phase
// continued, and so on. RootContextState and StreamContextState implement this.

import type { WasmResult } from '../abi/abiConstants.js';
import type { HeaderMap } from './headerMap.js';
import type { RootContextState } from './rootContextState.js';

/** What proxy_get_status reports; Envoy sets it when an http call fails. */
export interface ContextStatus {
  code: number;
  message: string;
}

/** A response to proxy_send_local_response, as the module asked for it. */
export interface LocalResponse {
  readonly statusCode: number;
  readonly details: string;
  readonly body: Uint8Array;
  readonly headers: Array<[string, string]>;
  /** -1 (InvalidCode) means "no grpc-status", as the SDKs use it. */
  readonly grpcStatus: number;
}

export interface AbiContext {
  readonly id: number;
  /** The root context itself, or the one a stream belongs to. */
  readonly root: RootContextState;
  readonly status: ContextStatus;
  /** True during proxy_on_log, where Envoy serves the final maps read-only. */
  readonly inAccessLogPhase: boolean;
  /** The map Envoy would read for `type` now, or null if it has none. */
  readableHeaderMap(type: number): HeaderMap | null;
  /** The map Envoy would mutate for `type` now, or null (BadArgument). */
  writableHeaderMap(type: number): HeaderMap | null;
  /** The bytes Envoy would serve for buffer `type` now, or null (NotFound). */
  buffer(type: number): Uint8Array | null;
  /** Keys are the module's path bytes: segments separated by NUL. */
  property(key: string): Uint8Array | undefined;
  setProperty(key: string, value: Uint8Array): void;
  /** Stream type already range-checked (0..3). */
  continueStream(streamType: number): WasmResult;
  closeStream(streamType: number): WasmResult;
  sendLocalResponse(response: LocalResponse): void;
}
