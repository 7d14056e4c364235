// Entry: the ABI 0.2.0 entry points (entryPoints.ts) and the allocator the host calls to
// hand data into the VM (host/hostMemory.ts: the runtime's malloc and free, with reused
// buffers). The runtime module provides the `abort_proc_exit` handler named in the build's
// `--use abort=` option.
import "@solo-io/proxy-runtime/runtime";
export { malloc, free } from "./host/hostMemory";
export * from "./entryPoints";
