// The proxy-wasm ABI 0.2.0 entry points, dispatching directly to shadowdiff's contexts.
//
// Only the callbacks the filter acts on are exported: Envoy (proxy-wasm-cpp-host) skips a
// callback the module lacks, answering for it as the filter would (Continue for request
// bodies, trailers and metadata; true for on_done), and every export it skips is one VM
// entry less per request, or per request body chunk.
//
// Why not the runtime's exports.ts: it calls overridden methods through AssemblyScript
// 0.17's virtual dispatch, which retains `this` once more than it releases on every
// callback, so no stream context (and nothing it holds) was ever freed: ~640 bytes per
// sampled request, forever. Calls here are static and every lookup is guarded, because
// Map#get on a missing key aborts the VM.
import { ShadowdiffRoot } from "./plugin/rootContext";
import { ShadowdiffStream } from "./plugin/streamContext";

const CONTINUE: u32 = 0;

const roots = new Map<u32, ShadowdiffRoot>();
/** Stream context id -> its root context id, for every live stream. */
const streamRoots = new Map<u32, u32>();
/** Only the streams whose leg is observed: the others get no object (see onRequestHeaders). */
const streams = new Map<u32, ShadowdiffStream>();

export function proxy_abi_version_0_2_0(): void {}

export function proxy_on_context_create(contextId: u32, rootContextId: u32): void {
  if (rootContextId == 0) {
    if (!roots.has(contextId)) roots.set(contextId, new ShadowdiffRoot(contextId));
    return;
  }
  if (!roots.has(rootContextId) || streamRoots.has(contextId)) return;
  streamRoots.set(contextId, rootContextId);
}

export function proxy_on_vm_start(rootContextId: u32, vmConfigurationSize: u32): u32 {
  return 1;
}

export function proxy_validate_configuration(rootContextId: u32, configurationSize: u32): u32 {
  if (!roots.has(rootContextId)) return 0;
  return roots.get(rootContextId).validate(configurationSize) ? 1 : 0;
}

export function proxy_on_configure(rootContextId: u32, configurationSize: u32): u32 {
  if (!roots.has(rootContextId)) return 0;
  return roots.get(rootContextId).configure(configurationSize) ? 1 : 0;
}

export function proxy_on_tick(rootContextId: u32): void {
  if (roots.has(rootContextId)) roots.get(rootContextId).tick();
}

export function proxy_on_http_call_response(rootContextId: u32, token: u32, headers: u32, bodySize: u32, trailers: u32): void {
  if (roots.has(rootContextId)) roots.get(rootContextId).httpCallResponse(token, headers);
}

export function proxy_on_request_headers(contextId: u32, headers: u32, endOfStream: u32): u32 {
  if (!streamRoots.has(contextId) || streams.has(contextId)) return CONTINUE;
  const rootContextId = streamRoots.get(contextId);
  if (!roots.has(rootContextId)) return CONTINUE;
  const stream = ShadowdiffStream.onRequestHeaders(roots.get(rootContextId), contextId);
  if (stream !== null) streams.set(contextId, stream);
  return CONTINUE;
}

export function proxy_on_response_headers(contextId: u32, headers: u32, endOfStream: u32): u32 {
  if (streams.has(contextId)) streams.get(contextId).responseHeaders(endOfStream != 0);
  return CONTINUE;
}

export function proxy_on_response_body(contextId: u32, bodyBufferLength: u32, endOfStream: u32): u32 {
  if (streams.has(contextId)) streams.get(contextId).responseBody(bodyBufferLength, endOfStream != 0);
  return CONTINUE;
}

export function proxy_on_response_trailers(contextId: u32, trailers: u32): u32 {
  if (streams.has(contextId)) streams.get(contextId).responseTrailers();
  return CONTINUE;
}

export function proxy_on_log(contextId: u32): void {
  if (streams.has(contextId)) streams.get(contextId).streamEnded();
}

export function proxy_on_delete(contextId: u32): void {
  if (streamRoots.has(contextId)) {
    streamRoots.delete(contextId);
    if (streams.has(contextId)) streams.delete(contextId);
  } else if (roots.has(contextId)) {
    roots.get(contextId).publishMetrics();
    roots.delete(contextId);
  }
}
