// The host side of an HTTP stream context, with the visibility rules of
// Envoy's wasm filter (source/extensions/common/wasm/context.cc):
// - a header map is readable and writable from the callback that delivers it
//   until a callback of that phase returns Continue; then Envoy drops its
//   pointer and the map reads as absent (BadArgument). Read what you need from
//   the request headers in proxy_on_request_headers, not later;
// - a body buffer is the chunk being delivered, or everything buffered so far
//   while the module answers StopIterationAndBuffer; outside that it is empty;
// - during proxy_on_log the final request headers, response headers and
//   response trailers are readable (request trailers are not), and a missing
//   map reads as NotFound instead of BadArgument;
// - proxy_continue_stream (request or response) drops the request maps and
//   body, as Envoy does.

import { BufferType, HeaderMapType, StreamType, WasmResult } from '../abi/abiConstants.js';
import type { AbiContext, ContextStatus, LocalResponse } from './abiContext.js';
import type { HeaderMap } from './headerMap.js';
import type { RootContextState } from './rootContextState.js';

export type StreamAction = 'continue_request' | 'continue_response' | 'close_request' | 'close_response';

const EMPTY = new Uint8Array(0);

/** One direction (request or response) of the stream. */
export class StreamDirectionState {
  headers: HeaderMap | null = null;
  headersVisible = false;
  trailers: HeaderMap | null = null;
  trailersVisible = false;
  body: Uint8Array | null = null;
  /** The module answered StopIterationAndBuffer: the next chunk is appended. */
  buffering = false;

  visibleHeaders(): HeaderMap | null {
    return this.headersVisible ? this.headers : null;
  }

  visibleTrailers(): HeaderMap | null {
    return this.trailersVisible ? this.trailers : null;
  }
}

export class StreamContextState implements AbiContext {
  readonly status: ContextStatus = { code: WasmResult.Ok, message: '' };
  inAccessLogPhase = false;
  readonly request = new StreamDirectionState();
  readonly response = new StreamDirectionState();
  localResponse: LocalResponse | null = null;
  readonly actions: StreamAction[] = [];
  private readonly properties = new Map<string, Uint8Array>();

  constructor(
    readonly id: number,
    readonly root: RootContextState,
  ) {}

  readableHeaderMap(type: number): HeaderMap | null {
    if (this.inAccessLogPhase) {
      switch (type) {
        case HeaderMapType.RequestHeaders:
          return this.request.headers;
        case HeaderMapType.ResponseHeaders:
          return this.response.headers;
        case HeaderMapType.ResponseTrailers:
          return this.response.trailers;
        case HeaderMapType.RequestTrailers:
          return null;
      }
    }
    switch (type) {
      case HeaderMapType.HttpCallResponseHeaders:
      case HeaderMapType.HttpCallResponseTrailers:
        return this.root.readableHeaderMap(type);
      default:
        return this.writableHeaderMap(type);
    }
  }

  writableHeaderMap(type: number): HeaderMap | null {
    switch (type) {
      case HeaderMapType.RequestHeaders:
        return this.request.visibleHeaders();
      case HeaderMapType.RequestTrailers:
        return this.request.visibleTrailers();
      case HeaderMapType.ResponseHeaders:
        return this.response.visibleHeaders();
      case HeaderMapType.ResponseTrailers:
        return this.response.visibleTrailers();
      default:
        return null;
    }
  }

  buffer(type: number): Uint8Array | null {
    switch (type) {
      case BufferType.HttpRequestBody:
        return this.request.body ?? EMPTY;
      case BufferType.HttpResponseBody:
        return this.response.body ?? EMPTY;
      case BufferType.HttpCallResponseBody:
      case BufferType.VmConfiguration:
        return this.root.buffer(type);
      case BufferType.PluginConfiguration:
        return null;
      default:
        // Envoy serves an empty buffer for the remaining types.
        return EMPTY;
    }
  }

  property(key: string): Uint8Array | undefined {
    return this.properties.get(key) ?? this.root.property(key);
  }

  setProperty(key: string, value: Uint8Array): void {
    this.properties.set(key, value);
  }

  continueStream(streamType: number): WasmResult {
    if (streamType === StreamType.Upstream) {
      return WasmResult.Unimplemented;
    }
    if (streamType === StreamType.Request || streamType === StreamType.Response) {
      this.actions.push(streamType === StreamType.Request ? 'continue_request' : 'continue_response');
      this.request.headersVisible = false;
      this.request.trailersVisible = false;
      this.request.body = null;
    }
    return WasmResult.Ok;
  }

  closeStream(streamType: number): WasmResult {
    if (streamType === StreamType.Request || streamType === StreamType.Response) {
      this.actions.push(streamType === StreamType.Request ? 'close_request' : 'close_response');
    }
    return WasmResult.Ok;
  }

  sendLocalResponse(response: LocalResponse): void {
    this.localResponse = response;
  }
}
