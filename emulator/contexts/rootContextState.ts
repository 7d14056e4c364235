// The host side of a root context (one per started plugin). It owns what Envoy
// keeps on the root: the plugin and VM configuration buffers, the tick period,
// http calls and the response being delivered, and the status that
// proxy_get_status reports.

import { BufferType, HeaderMapType, StreamType, WasmResult } from '../abi/abiConstants.js';
import type { AbiContext, ContextStatus } from './abiContext.js';
import type { HeaderMap } from './headerMap.js';
import { toBytes } from '../vm/bytes.js';
import { propertyKey } from './propertyPath.js';

const EMPTY = new Uint8Array(0);

/** An http call response while proxy_on_http_call_response runs. */
export interface HttpCallResponseData {
  readonly headers: HeaderMap;
  readonly body: Uint8Array;
  readonly trailers: HeaderMap;
}

export class RootContextState implements AbiContext {
  readonly root: RootContextState = this;
  readonly status: ContextStatus = { code: WasmResult.Ok, message: '' };
  readonly inAccessLogPhase = false;
  tickPeriodMs = 0;
  /**
   * Envoy serves the plugin configuration only while it starts the plugin
   * (its temp_plugin_): during on_context_create, on_vm_start and on_configure.
   */
  pluginConfigurationVisible = false;
  httpCallResponse: HttpCallResponseData | null = null;
  private readonly properties = new Map<string, Uint8Array>();

  constructor(
    readonly id: number,
    readonly rootId: string,
    readonly pluginConfiguration: Uint8Array,
    readonly vmConfiguration: Uint8Array,
    vmId: string,
    /** Properties the test set on the host; read after the context's own. */
    private readonly hostProperties: ReadonlyMap<string, Uint8Array>,
  ) {
    this.properties.set(propertyKey(['plugin_root_id']), toBytes(rootId));
    this.properties.set(propertyKey(['plugin_vm_id']), toBytes(vmId));
  }

  readableHeaderMap(type: number): HeaderMap | null {
    if (type === HeaderMapType.HttpCallResponseHeaders) {
      return this.httpCallResponse?.headers ?? null;
    }
    if (type === HeaderMapType.HttpCallResponseTrailers) {
      return this.httpCallResponse?.trailers ?? null;
    }
    return null;
  }

  writableHeaderMap(): HeaderMap | null {
    return null;
  }

  buffer(type: number): Uint8Array | null {
    switch (type) {
      case BufferType.HttpCallResponseBody:
        return this.httpCallResponse?.body ?? null;
      case BufferType.VmConfiguration:
        return this.vmConfiguration;
      case BufferType.PluginConfiguration:
        return this.pluginConfigurationVisible ? this.pluginConfiguration : null;
      default:
        // Envoy serves an empty buffer for the stream and gRPC types on a root context.
        return EMPTY;
    }
  }

  property(key: string): Uint8Array | undefined {
    return this.properties.get(key) ?? this.hostProperties.get(key);
  }

  setProperty(key: string, value: Uint8Array): void {
    this.properties.set(key, value);
  }

  /** A root context has no HTTP stream: Envoy answers Ok and does nothing. */
  continueStream(streamType: number): WasmResult {
    return streamType === StreamType.Upstream ? WasmResult.Unimplemented : WasmResult.Ok;
  }

  closeStream(): WasmResult {
    return WasmResult.Ok;
  }

  sendLocalResponse(): void {
    // Envoy's root context has no decoder callbacks: the call is a no-op.
  }
}
