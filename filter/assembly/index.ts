// Entry: the proxy-wasm ABI 0.2.0 exports come from the runtime; the filter registers
// its root context under "shadowdiff" and under the empty root id (Istio's WasmPlugin
// leaves root_id empty unless told otherwise).
export * from "@solo-io/proxy-runtime/proxy";
import { RootContext, registerRootContext } from "@solo-io/proxy-runtime";
import { ShadowdiffRoot } from "./plugin/rootContext";

function createRoot(contextId: u32): RootContext {
  return new ShadowdiffRoot(contextId);
}

registerRootContext(createRoot, "shadowdiff");
registerRootContext(createRoot, "");
