// The floor: a proxy-wasm module with shadowdiff's ABI surface and nothing behind it. It
// exports exactly what build/shadowdiff.wasm exports (the same runtime, allocator and
// callbacks, test/bench/noopFilter.test.ts keeps the two lists equal), so Envoy makes
// the same VM calls per request, and every callback answers at once: Continue for the
// stream callbacks, success for start and configuration. What an Envoy with this module
// costs above no filter is the price of any proxy-wasm filter; shadowdiff's own cost is
// what it costs above this.
import "@solo-io/proxy-runtime/runtime";
export * from "@solo-io/proxy-runtime/malloc";

const CONTINUE: u32 = 0;

export function proxy_abi_version_0_2_0(): void {}

export function proxy_on_context_create(contextId: u32, rootContextId: u32): void {}

export function proxy_on_vm_start(rootContextId: u32, vmConfigurationSize: u32): u32 {
  return 1;
}

export function proxy_validate_configuration(rootContextId: u32, configurationSize: u32): u32 {
  return 1;
}

export function proxy_on_configure(rootContextId: u32, configurationSize: u32): u32 {
  return 1;
}

export function proxy_on_tick(rootContextId: u32): void {}

export function proxy_on_http_call_response(rootContextId: u32, token: u32, headers: u32, bodySize: u32, trailers: u32): void {}

export function proxy_on_request_headers(contextId: u32, headers: u32, endOfStream: u32): u32 {
  return CONTINUE;
}

export function proxy_on_response_headers(contextId: u32, headers: u32, endOfStream: u32): u32 {
  return CONTINUE;
}

export function proxy_on_response_body(contextId: u32, bodyBufferLength: u32, endOfStream: u32): u32 {
  return CONTINUE;
}

export function proxy_on_response_trailers(contextId: u32, trailers: u32): u32 {
  return CONTINUE;
}

export function proxy_on_log(contextId: u32): void {}

export function proxy_on_delete(contextId: u32): void {}
