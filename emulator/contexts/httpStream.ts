// One HTTP stream through the filter, driven by the test the way Envoy's
// filter manager drives a wasm HTTP filter: headers, body chunks and trailers
// of the request, then of the response, then completion (proxy_on_log,
// proxy_on_done, proxy_on_delete: Envoy writes access logs before it destroys
// the filter chain, so on_log comes first).
//
// Each send* returns the module's status (FilterHeadersStatus,
// FilterDataStatus, FilterTrailersStatus) as the module returned it. The
// stream enforces the order Envoy guarantees, so a test cannot drive a
// sequence Envoy never would.

import { FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus } from '../abi/abiConstants.js';
import type { LocalResponse } from './abiContext.js';
import { HeaderMap, type HeaderInput } from './headerMap.js';
import { toBytes } from '../vm/bytes.js';
import { propertyKey, type PropertyPath } from './propertyPath.js';
import type { StreamAction, StreamContextState, StreamDirectionState } from './streamContextState.js';
import type { VmRuntime, WasmFunction } from '../vm/vmRuntime.js';

export type BodyInput = Uint8Array | string;

/** Where one direction of the stream is: nothing yet, headers seen, or ended. */
type DirectionProgress = 'idle' | 'open' | 'ended';

export class HttpStream {
  private requestProgress: DirectionProgress = 'idle';
  private responseProgress: DirectionProgress = 'idle';
  private completed = false;

  constructor(
    private readonly vm: VmRuntime,
    private readonly state: StreamContextState,
  ) {}

  get contextId(): number {
    return this.state.id;
  }

  /** Current request headers, after the module's mutations. */
  get requestHeaders(): Array<[string, string]> {
    return this.state.request.headers?.pairs() ?? [];
  }

  /** Current response headers, after the module's mutations. */
  get responseHeaders(): Array<[string, string]> {
    return this.state.response.headers?.pairs() ?? [];
  }

  /** First value of a request header (case-insensitive). */
  requestHeader(name: string): string | undefined {
    return this.state.request.headers?.get(name);
  }

  /** First value of a response header (case-insensitive). */
  responseHeader(name: string): string | undefined {
    return this.state.response.headers?.get(name);
  }

  /** Set when the module called proxy_send_local_response (the last call wins). */
  get localResponse(): LocalResponse | null {
    return this.state.localResponse;
  }

  /** proxy_continue_stream / proxy_close_stream calls, in order. */
  get streamActions(): readonly StreamAction[] {
    return this.state.actions;
  }

  /** A property only this stream sees (e.g. 'request.id'); see propertyPath.ts. */
  setProperty(path: PropertyPath, value: string | Uint8Array): void {
    this.state.setProperty(propertyKey(path), toBytes(value));
  }

  sendRequestHeaders(headers: HeaderInput, endOfStream = false): number {
    this.requestProgress = this.advance('request headers', this.requestProgress, 'idle', endOfStream);
    return this.deliverHeaders(this.state.request, headers, endOfStream, 'proxy_on_request_headers');
  }

  sendRequestBody(body: BodyInput, endOfStream: boolean): number {
    this.requestProgress = this.advance('a request body chunk', this.requestProgress, 'open', endOfStream);
    return this.deliverBody(this.state.request, body, endOfStream, 'proxy_on_request_body');
  }

  sendRequestTrailers(trailers: HeaderInput): number {
    this.requestProgress = this.advance('request trailers', this.requestProgress, 'open', true);
    return this.deliverTrailers(this.state.request, trailers, 'proxy_on_request_trailers');
  }

  sendResponseHeaders(headers: HeaderInput, endOfStream = false): number {
    if (this.requestProgress === 'idle') {
      throw new Error('send the request headers before the response');
    }
    this.responseProgress = this.advance('response headers', this.responseProgress, 'idle', endOfStream);
    return this.deliverHeaders(this.state.response, headers, endOfStream, 'proxy_on_response_headers');
  }

  sendResponseBody(body: BodyInput, endOfStream: boolean): number {
    this.responseProgress = this.advance('a response body chunk', this.responseProgress, 'open', endOfStream);
    return this.deliverBody(this.state.response, body, endOfStream, 'proxy_on_response_body');
  }

  sendResponseTrailers(trailers: HeaderInput): number {
    this.responseProgress = this.advance('response trailers', this.responseProgress, 'open', true);
    return this.deliverTrailers(this.state.response, trailers, 'proxy_on_response_trailers');
  }

  /** The stream is over (finished or reset): proxy_on_log, proxy_on_done, proxy_on_delete. */
  complete(): void {
    this.assertOpen('complete');
    this.completed = true;
    const { id } = this.state;
    const { proxy_on_log: onLog, proxy_on_done: onDone, proxy_on_delete: onDelete } = this.vm.callbacks;
    this.state.inAccessLogPhase = true;
    try {
      if (onLog !== undefined) {
        this.vm.callIn(this.state, 'proxy_on_log', () => onLog(id));
      }
    } finally {
      this.state.inAccessLogPhase = false;
    }
    if (onDone !== undefined) {
      this.vm.callIn(this.state, 'proxy_on_done', () => onDone(id));
    }
    if (onDelete !== undefined) {
      this.vm.callIn(this.state, 'proxy_on_delete', () => onDelete(id));
    }
    this.vm.removeContext(id);
  }

  private assertOpen(attempted: string): void {
    if (this.completed) {
      throw new Error(`cannot ${attempted}: stream ${this.state.id} is complete`);
    }
    this.vm.assertAlive(attempted);
  }

  /** Checks a direction is where `what` may arrive and returns where it is afterwards. */
  private advance(what: string, progress: DirectionProgress, required: DirectionProgress, endOfStream: boolean): DirectionProgress {
    this.assertOpen(`send ${what}`);
    if (progress !== required) {
      const where = progress === 'idle' ? 'before the headers' : progress === 'open' ? 'after the headers' : 'after end of stream';
      throw new Error(`cannot send ${what} ${where}`);
    }
    return endOfStream ? 'ended' : 'open';
  }

  private deliverHeaders(direction: StreamDirectionState, input: HeaderInput, endOfStream: boolean, callback: CallbackName): number {
    const headers = HeaderMap.from(input);
    direction.headers = headers;
    direction.headersVisible = true;
    const status = this.invoke(callback, FilterHeadersStatus.Continue, headers.size, endOfStream ? 1 : 0);
    // Envoy has no ContinueAndEndStream for wasm filters: it continues, and drops the map.
    if (status === FilterHeadersStatus.Continue || status === FilterHeadersStatus.ContinueAndEndStream) {
      direction.headersVisible = false;
    }
    return status;
  }

  private deliverBody(direction: StreamDirectionState, input: BodyInput, endOfStream: boolean, callback: CallbackName): number {
    const chunk = toBytes(input);
    direction.body = direction.buffering && direction.body !== null ? concat(direction.body, chunk) : chunk;
    const status = this.invoke(callback, FilterDataStatus.Continue, direction.body.byteLength, endOfStream ? 1 : 0);
    direction.buffering = status === FilterDataStatus.StopIterationAndBuffer;
    if (status === FilterDataStatus.Continue) {
      direction.body = null;
    }
    return status;
  }

  private deliverTrailers(direction: StreamDirectionState, input: HeaderInput, callback: CallbackName): number {
    const trailers = HeaderMap.from(input);
    direction.trailers = trailers;
    direction.trailersVisible = true;
    const status = this.invoke(callback, FilterTrailersStatus.Continue, trailers.size);
    if (status === FilterTrailersStatus.Continue) {
      direction.trailersVisible = false;
    }
    return status;
  }

  /** Calls the module, or answers `absent` like Envoy when the module lacks the callback. */
  private invoke(callback: CallbackName, absent: number, ...args: number[]): number {
    const fn: WasmFunction | undefined = this.vm.callbacks[callback];
    if (fn === undefined) {
      return absent;
    }
    return this.vm.callIn(this.state, callback, () => fn(this.state.id, ...args));
  }
}

type CallbackName =
  | 'proxy_on_request_headers'
  | 'proxy_on_request_body'
  | 'proxy_on_request_trailers'
  | 'proxy_on_response_headers'
  | 'proxy_on_response_body'
  | 'proxy_on_response_trailers';

function concat(first: Uint8Array, second: Uint8Array): Uint8Array {
  const joined = new Uint8Array(first.byteLength + second.byteLength);
  joined.set(first, 0);
  joined.set(second, first.byteLength);
  return joined;
}
