// Errors the emulator throws at the test. Host functions never throw at the
// module for bad input (they return a WasmResult, as Envoy does); these are
// for the test driver: a module Envoy would refuse, a VM that trapped, and
// calls into a VM that is already dead.

/** The module cannot be loaded, for every reason listed in `problems`. */
export class ProxyWasmLoadError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[], options?: { cause?: unknown }) {
    super(`cannot load proxy-wasm module:\n  - ${problems.join('\n  - ')}`, options);
    this.name = 'ProxyWasmLoadError';
    this.problems = problems;
  }
}

/**
 * The VM trapped (wasm trap, proc_exit, abort) during `callback`. Like Envoy,
 * the emulator then considers the VM failed: every later call into it throws
 * ProxyWasmCrashedError.
 */
export class ProxyWasmTrapError extends Error {
  readonly callback: string;
  readonly reason: string;

  constructor(callback: string, reason: string, options?: { cause?: unknown }) {
    super(`proxy-wasm VM crashed in ${callback}: ${reason}`, options);
    this.name = 'ProxyWasmTrapError';
    this.callback = callback;
    this.reason = reason;
  }
}

/** A call into a VM that trapped earlier. */
export class ProxyWasmCrashedError extends Error {
  readonly trap: ProxyWasmTrapError;

  constructor(attempted: string, trap: ProxyWasmTrapError) {
    super(`cannot call ${attempted}: the VM crashed earlier (${trap.message})`, { cause: trap });
    this.name = 'ProxyWasmCrashedError';
    this.trap = trap;
  }
}

/**
 * Thrown by the host functions that end the VM (wasi proc_exit, AssemblyScript's
 * env.abort) to unwind the module's stack. Internal: the emulator turns it
 * into a ProxyWasmTrapError or a ProxyWasmLoadError.
 */
export class VmExitSignal extends Error {
  constructor(readonly description: string) {
    super(description);
    this.name = 'VmExitSignal';
  }
}
