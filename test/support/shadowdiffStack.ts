import { buildBootstrap, type Endpoint } from '../../envoy/bootstrap.js';
import type { JsonObject } from '../../envoy/json.js';
import type { IdentityOptions } from '../../envoy/verifiedIdentity.js';
import { startEnvoy, type EnvoyInstance, type EnvoyLogLevel } from '../../devkit/envoyProcess.js';
import { requireFilterWasm } from '../../devkit/paths.js';
import { startStubCollector, type CollectorMode, type StubCollector } from './stubCollector.js';
import { testSecondaryConfig, testShadowConfig } from './testFilterConfigs.js';
import { startUpstream, type Upstream, type UpstreamHandler } from './upstream.js';

export interface StackOptions {
  edgeConfig: JsonObject;
  shadowConfig?: JsonObject;
  collectorMode?: CollectorMode;
  /** Export to this collector (e.g. the real one) instead of the stub, which then receives nothing. */
  collectorEndpoint?: Endpoint;
  /** Mirror to this server (e.g. one that misbehaves) instead of the shadow stub, which then receives nothing. */
  shadowEndpoint?: Endpoint;
  /** Verify tokens at the edge, as the shipped bootstraps do (envoy/verifiedIdentity.ts). */
  identity?: IdentityOptions;
  /** Changes the generated bootstrap before Envoy starts (e.g. a route timeout, a failure policy). */
  adjustBootstrap?: (bootstrap: JsonObject) => JsonObject;
  primaryHandler?: UpstreamHandler;
  shadowHandler?: UpstreamHandler;
  /**
   * A secondary (a second instance of the primary version) behind its own internal listener:
   * `up` runs a stub for it, `down` points its cluster at a port that refuses connections.
   */
  secondary?: 'up' | 'down';
  secondaryHandler?: UpstreamHandler;
  logLevel?: EnvoyLogLevel;
  /** The edge role's module (default: the built filter). */
  edgeWasm?: string;
  /** The shadow role's module (default: the built filter); another module runs in its own VM. */
  shadowWasm?: string;
}

/** One edge Envoy running the built filter, with its primary, shadow and collector stubs. */
export interface Stack {
  envoy: EnvoyInstance;
  primary: Upstream;
  shadow: Upstream;
  /** With `secondary: 'up'`; with `down` a closed stub whose port refuses connections. */
  secondary?: Upstream;
  collector: StubCollector;
  /** A request through the edge listener. */
  send(path: string, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const primary = await startUpstream('primary', options.primaryHandler);
  const shadow = await startUpstream('shadow', options.shadowHandler);
  const secondary = options.secondary === undefined ? undefined : await startUpstream('secondary', options.secondaryHandler);
  // The port the kernel gave it, nothing listening any more: connections to it are refused.
  if (options.secondary === 'down') await secondary?.close();
  const collector = await startStubCollector({ mode: options.collectorMode ?? 'ok' });
  const closeStubs = async (): Promise<void> => {
    await Promise.all([primary.close(), shadow.close(), secondary?.close(), collector.close()]);
  };
  let envoy: EnvoyInstance;
  try {
    const built = await requireFilterWasm();
    const edgePath = options.edgeWasm ?? built;
    const shadowPath = options.shadowWasm ?? built;
    const bootstrap = buildBootstrap({
      edgePort: 0,
      adminPort: 0,
      primary: primary.endpoint,
      shadow: options.shadowEndpoint ?? shadow.endpoint,
      ...(secondary === undefined ? {} : { secondary: secondary.endpoint }),
      collector: options.collectorEndpoint ?? collector.endpoint,
      wasm: {
        path: edgePath,
        ...(shadowPath === edgePath ? {} : { shadowPath }),
        edgeConfig: options.edgeConfig,
        shadowConfig: options.shadowConfig ?? testShadowConfig(),
        secondaryConfig: testSecondaryConfig(),
      },
      ...(options.identity === undefined ? {} : { identity: options.identity }),
    });
    envoy = await startEnvoy(options.adjustBootstrap?.(bootstrap) ?? bootstrap, { logLevel: options.logLevel ?? 'info' });
  } catch (error) {
    await closeStubs();
    throw error;
  }
  return {
    envoy,
    primary,
    shadow,
    ...(secondary === undefined ? {} : { secondary }),
    collector,
    send: (path, headers = {}) => fetch(`${envoy.edgeUrl}${path}`, { headers }),
    stop: async () => {
      await envoy.stop();
      await closeStubs();
    },
  };
}
