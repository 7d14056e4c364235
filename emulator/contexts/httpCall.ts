// An http call the module dispatched with proxy_http_call, as recorded for the
// test. Like Envoy's, a call belongs to the root context of the context that
// made it (even from a stream's proxy_on_log) and stays pending until the test
// answers it with respondHttpCall, timeoutHttpCall or failHttpCall.

import { bytesToText } from '../vm/bytes.js';
import type { HeaderInput, HeaderMap } from './headerMap.js';

/** What the test answers an http call with. */
export interface HttpCallResponse {
  readonly status: number;
  readonly headers?: HeaderInput;
  readonly body?: Uint8Array | string;
  readonly trailers?: HeaderInput;
}

export class HttpCall {
  done = false;

  constructor(
    readonly token: number,
    /** The root context proxy_on_http_call_response is delivered to. */
    readonly rootContextId: number,
    readonly cluster: string,
    private readonly headerMap: HeaderMap,
    readonly body: Uint8Array,
    private readonly trailerMap: HeaderMap,
    /** 0 means no timeout, as in Envoy. */
    readonly timeoutMs: number,
  ) {}

  get headers(): Array<[string, string]> {
    return this.headerMap.pairs();
  }

  get trailers(): Array<[string, string]> {
    return this.trailerMap.pairs();
  }

  /** The first value of a request header (case-insensitive), or undefined. */
  header(name: string): string | undefined {
    return this.headerMap.get(name);
  }

  bodyText(): string {
    return bytesToText(this.body);
  }
}
