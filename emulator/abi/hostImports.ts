// The import object handed to WebAssembly.instantiate, and the set of
// "module.name" keys it implements (for the load-time import check).

import { createProxyHostFunctions } from './proxyHostFunctions.js';
import { createRuntimeHostFunctions } from './runtimeHostFunctions.js';
import type { VmRuntime } from '../vm/vmRuntime.js';

export interface HostImports {
  readonly importObject: WebAssembly.Imports;
  readonly implemented: ReadonlySet<string>;
}

export function createHostImports(vm: VmRuntime, randomSeed: number): HostImports {
  const runtime = createRuntimeHostFunctions(vm, randomSeed);
  const importObject: WebAssembly.Imports = {
    env: { ...counted(vm, createProxyHostFunctions(vm)), ...runtime.env },
    wasi_unstable: runtime.wasi,
    wasi_snapshot_preview1: runtime.wasi,
  };
  const implemented = new Set<string>();
  for (const [module, functions] of Object.entries(importObject)) {
    for (const name of Object.keys(functions)) {
      implemented.add(`${module}.${name}`);
    }
  }
  return { importObject, implemented };
}

/** The same functions, each counting its calls in `vm.hostCalls`. */
function counted(vm: VmRuntime, functions: WebAssembly.ModuleImports): WebAssembly.ModuleImports {
  const out: WebAssembly.ModuleImports = {};
  for (const [name, value] of Object.entries(functions)) {
    if (typeof value !== 'function') {
      out[name] = value;
      continue;
    }
    const call = value as (...args: unknown[]) => unknown;
    out[name] = (...args: unknown[]): unknown => {
      vm.hostCalls.set(name, (vm.hostCalls.get(name) ?? 0) + 1);
      return call(...args);
    };
  }
  return out;
}
