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
import { dropStreamPool } from "./plugin/streamPool";

const CONTINUE: u32 = 0;

const roots = new Map<u32, ShadowdiffRoot>();
/**
 * The first root context created. Its streams (every stream, with the usual one plugin per VM)
 * are not entered in `otherStreamRoots`: a request that is not observed then writes no map at
 * all. Kept after that root is deleted, so its remaining streams still find no root.
 */
let firstRootId: u32 = 0;
/** Stream context id -> its root context id (0: unknown root), for streams of any other root. */
const otherStreamRoots = new Map<u32, u32>();
/** Only the streams whose leg is observed: the others get no object (see onRequestHeaders). */
const streams = new Map<u32, ShadowdiffStream>();

/** `contextId` is an observed stream. The size test first: with nothing observed, no hashing. */
// @ts-ignore: decorator
@inline
function observed(contextId: u32): bool {
  return streams.size > 0 && streams.has(contextId);
}

export function proxy_abi_version_0_2_0(): void {}

export function proxy_on_context_create(contextId: u32, rootContextId: u32): void {
  if (rootContextId == 0) {
    if (roots.has(contextId)) return;
    roots.set(contextId, new ShadowdiffRoot(contextId));
    if (firstRootId == 0) firstRootId = contextId;
    return;
  }
  if (rootContextId == firstRootId || otherStreamRoots.has(contextId)) return;
  otherStreamRoots.set(contextId, roots.has(rootContextId) ? rootContextId : 0);
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
  if (observed(contextId)) return CONTINUE;
  let rootContextId = firstRootId;
  if (otherStreamRoots.size > 0 && otherStreamRoots.has(contextId)) rootContextId = otherStreamRoots.get(contextId);
  if (!roots.has(rootContextId)) return CONTINUE;
  const stream = ShadowdiffStream.onRequestHeaders(roots.get(rootContextId), contextId);
  if (stream !== null) streams.set(contextId, stream);
  return CONTINUE;
}

export function proxy_on_response_headers(contextId: u32, headers: u32, endOfStream: u32): u32 {
  if (observed(contextId)) streams.get(contextId).responseHeaders(endOfStream != 0);
  return CONTINUE;
}

export function proxy_on_response_body(contextId: u32, bodyBufferLength: u32, endOfStream: u32): u32 {
  if (observed(contextId)) streams.get(contextId).responseBody(bodyBufferLength, endOfStream != 0);
  return CONTINUE;
}

export function proxy_on_response_trailers(contextId: u32, trailers: u32): u32 {
  if (observed(contextId)) streams.get(contextId).responseTrailers();
  return CONTINUE;
}

export function proxy_on_log(contextId: u32): void {
  if (observed(contextId)) streams.get(contextId).streamEnded();
}

export function proxy_on_delete(contextId: u32): void {
  if (roots.has(contextId)) {
    roots.get(contextId).publishMetrics();
    dropStreamPool(contextId);
    roots.delete(contextId);
    return;
  }
  if (otherStreamRoots.size > 0 && otherStreamRoots.has(contextId)) otherStreamRoots.delete(contextId);
  if (!observed(contextId)) return;
  const stream = streams.get(contextId);
  streams.delete(contextId);
  stream.recycle();
}
