// The proxy-wasm host emulator: run a compiled proxy-wasm (ABI 0.2.0) module
// in Node the way Envoy runs it. See README.md.

export { ProxyWasmHost, type ProxyWasmHostOptions, type StartPluginOptions } from './proxyWasmHost.js';
export { Plugin } from './contexts/plugin.js';
export { HttpStream, type BodyInput } from './contexts/httpStream.js';
export { HttpCall, type HttpCallResponse } from './contexts/httpCall.js';
export type { HeaderInput } from './contexts/headerMap.js';
export type { LocalResponse } from './contexts/abiContext.js';
export type { StreamAction } from './contexts/streamContextState.js';
export type { LogEntry } from './vm/vmRuntime.js';
export type { MetricSnapshot, MetricKind } from './process/metricRegistry.js';
export type { SharedData, SharedDataEntry } from './process/sharedData.js';
export type { PropertyPath } from './contexts/propertyPath.js';
export { ProxyWasmLoadError, ProxyWasmTrapError, ProxyWasmCrashedError } from './vm/errors.js';
export { listWasmImports } from './vm/wasmModuleImports.js';
export { ENVOY_ABI_0_2_0_IMPORTS } from './abi/envoyImportSurface.js';
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
} from './abi/abiConstants.js';
