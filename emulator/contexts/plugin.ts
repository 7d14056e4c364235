// A started plugin: one root context of the VM, configured like Envoy starts a
// filter's plugin (proxy_on_context_create(root, 0), proxy_on_vm_start,
// proxy_on_configure), and the factory of its HTTP streams.

import { ProxyWasmTrapError } from '../vm/errors.js';
import { HttpStream } from './httpStream.js';
import type { RootContextState } from './rootContextState.js';
import { StreamContextState } from './streamContextState.js';
import type { VmRuntime } from '../vm/vmRuntime.js';

export class Plugin {
  /** on_vm_start and on_configure both returned true and nothing trapped. */
  readonly ok: boolean;

  private constructor(
    private readonly vm: VmRuntime,
    private readonly state: RootContextState,
    ok: boolean,
  ) {
    this.ok = ok;
  }

  /**
   * Creates and configures the root context. A refused configuration or a trap
   * gives a plugin with `ok` false (the trap stays on host.trapped), as Envoy
   * rejects the filter configuration rather than failing the process.
   */
  static start(vm: VmRuntime, state: RootContextState): Plugin {
    vm.assertAlive('start a plugin');
    vm.addContext(state);
    const { proxy_on_context_create: onCreate, proxy_on_vm_start: onVmStart, proxy_on_configure: onConfigure } = vm.callbacks;
    state.pluginConfigurationVisible = true;
    try {
      if (onCreate !== undefined) {
        vm.callIn(state, 'proxy_on_context_create', () => onCreate(state.id, 0));
      }
      const started =
        onVmStart === undefined || vm.callIn(state, 'proxy_on_vm_start', () => onVmStart(state.id, state.vmConfiguration.byteLength)) !== 0;
      const configured =
        started &&
        (onConfigure === undefined ||
          vm.callIn(state, 'proxy_on_configure', () => onConfigure(state.id, state.pluginConfiguration.byteLength)) !== 0);
      return new Plugin(vm, state, configured);
    } catch (error) {
      if (error instanceof ProxyWasmTrapError) {
        return new Plugin(vm, state, false);
      }
      throw error;
    } finally {
      state.pluginConfigurationVisible = false;
    }
  }

  get rootContextId(): number {
    return this.state.id;
  }

  get rootId(): string {
    return this.state.rootId;
  }

  /** The last period the module set with proxy_set_tick_period_milliseconds (0: none). */
  get tickPeriodMs(): number {
    return this.state.tickPeriodMs;
  }

  /**
   * One timer tick: proxy_on_tick. Envoy only ticks a root context that set a
   * period, so ticking one that did not is a test bug and throws. The clock is
   * not advanced; use host.advanceTimeMs for that.
   */
  tick(): void {
    this.assertUsable('tick');
    if (this.state.tickPeriodMs === 0) {
      throw new Error(`root context ${this.state.id} set no tick period: Envoy would never call proxy_on_tick`);
    }
    const onTick = this.vm.callbacks.proxy_on_tick;
    if (onTick !== undefined) {
      this.vm.callIn(this.state, 'proxy_on_tick', () => onTick(this.state.id));
    }
  }

  /** A new HTTP stream context: proxy_on_context_create(id, rootContextId). */
  newHttpStream(): HttpStream {
    this.assertUsable('create an HTTP stream');
    const stream = new StreamContextState(this.vm.allocateContextId(), this.state);
    this.vm.addContext(stream);
    const onCreate = this.vm.callbacks.proxy_on_context_create;
    if (onCreate !== undefined) {
      this.vm.callIn(stream, 'proxy_on_context_create', () => onCreate(stream.id, this.state.id));
    }
    return new HttpStream(this.vm, stream);
  }

  private assertUsable(attempted: string): void {
    this.vm.assertAlive(attempted);
    if (!this.ok) {
      throw new Error(`cannot ${attempted}: the plugin did not start (on_vm_start or on_configure failed)`);
    }
  }
}
