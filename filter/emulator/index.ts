// The proxy-wasm host emulator: run a compiled proxy-wasm (ABI 0.2.0) module
// in Node the way Envoy runs it. See README.md.

export { ProxyWasmHost, type ProxyWasmHostOptions, type StartPluginOptions } from './proxyWasmHost.js';
export { Plugin } from './plugin.js';
export { HttpStream, type BodyInput } from './httpStream.js';
export { HttpCall, type HttpCallResponse } from './httpCall.js';
export type { HeaderInput } from './headerMap.js';
export type { LocalResponse } from './abiContext.js';
export type { StreamAction } from './streamContextState.js';
export type { LogEntry } from './vmRuntime.js';
export type { MetricSnapshot, MetricKind } from './metricRegistry.js';
export type { SharedData, SharedDataEntry } from './sharedData.js';
export type { PropertyPath } from './propertyPath.js';
export { ProxyWasmLoadError, ProxyWasmTrapError, ProxyWasmCrashedError } from './errors.js';
export { listWasmImports } from './wasmModuleImports.js';
export { ENVOY_ABI_0_2_0_IMPORTS } from './envoyImportSurface.js';
export {
  WasmResult,
  LogLevel,
  MetricType,
  HeaderMapType,
  BufferType,
  StreamType,
  FilterHeadersStatus,
  FilterDataStatus,
  FilterTrailersStatus,
} from './abiConstants.js';
