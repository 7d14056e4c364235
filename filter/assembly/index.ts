// Entry: the ABI 0.2.0 entry points (entryPoints.ts) and the runtime's allocator, which
// the host calls to hand data into the VM. The runtime module also provides the
// `abort_proc_exit` handler named in the build's `--use abort=` option.
import "@solo-io/proxy-runtime/runtime";
export * from "@solo-io/proxy-runtime/malloc";
export * from "./entryPoints";
