// An edge Envoy whose listeners come from a watched file (test/support/fileLds.ts), with its
// primary, shadow and collector stubs: a test pushes listener updates the way a control plane
// would and sees what Envoy does with them.
import { buildBootstrap } from '../../envoy/bootstrap.js';
import type { JsonObject } from '../../envoy/json.js';
import { startEnvoy, type EnvoyInstance } from '../../devkit/envoyProcess.js';
import { serveListenersFromFile } from '../support/fileLds.js';
import { requireFilterWasm } from '../../devkit/paths.js';
import { startStubCollector } from '../support/stubCollector.js';
import { testShadowConfig } from '../support/testFilterConfigs.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { waitUntil } from '../../devkit/waitUntil.js';

export interface LdsServedEnvoy {
  envoy: EnvoyInstance;
  primary: Upstream;
  shadow: Upstream;
  /** The bootstrap for these stubs with `edgeConfig` as the edge plugin's configuration, passed through `adjust`. */
  bootstrapWith(edgeConfig: JsonObject): Promise<JsonObject>;
  /** Serves the listeners of `bootstrap` and waits until Envoy has rejected `rejections` updates in all. */
  pushRejected(bootstrap: JsonObject, rejections: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startLdsServedEnvoy(edgeConfig: JsonObject, adjust: (bootstrap: JsonObject) => JsonObject): Promise<LdsServedEnvoy> {
  const [primary, shadow, collector] = await Promise.all([
    startUpstream('primary'),
    startUpstream('shadow'),
    startStubCollector({ mode: 'ok' }),
  ]);
  const bootstrapWith = async (edge: JsonObject): Promise<JsonObject> =>
    adjust(
      buildBootstrap({
        edgePort: 0,
        adminPort: 0,
        primary: primary.endpoint,
        shadow: shadow.endpoint,
        collector: collector.endpoint,
        wasm: { path: await requireFilterWasm(), edgeConfig: edge, shadowConfig: testShadowConfig() },
      }),
    );
  const lds = await serveListenersFromFile(await bootstrapWith(edgeConfig));
  const closeAll = async (): Promise<void> => {
    await Promise.all([primary.close(), shadow.close(), collector.close(), lds.remove()]);
  };
  let envoy: EnvoyInstance;
  try {
    envoy = await startEnvoy(lds.bootstrap);
  } catch (error) {
    await closeAll();
    throw error;
  }
  return {
    envoy,
    primary,
    shadow,
    bootstrapWith,
    pushRejected: async (bootstrap, rejections) => {
      await lds.pushListenersOf(bootstrap);
      await waitUntil(`${rejections} listener updates to be rejected`, async () =>
        (await envoy.stats()).get('listener_manager.lds.update_rejected') === rejections ? true : undefined,
      );
    },
    stop: async () => {
      await envoy.stop();
      await closeAll();
    },
  };
}
