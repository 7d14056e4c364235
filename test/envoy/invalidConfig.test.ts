import { afterEach, describe, expect, it } from 'vitest';
import { buildBootstrap } from '../../envoy/bootstrap.js';
import type { JsonObject } from '../../envoy/json.js';
import { dumpEnvoyLogsOnFailure } from '../support/dumpEnvoyLogsOnFailure.js';
import { startEnvoy, type EnvoyInstance } from '../../devkit/envoyProcess.js';
import { serveListenersFromFile, type FileLds } from '../support/fileLds.js';
import { headerValue } from '../support/headers.js';
import { requireFilterWasm } from '../../devkit/paths.js';
import { startStack } from '../support/shadowdiffStack.js';
import { startStubCollector, type StubCollector } from '../support/stubCollector.js';
import { cohortSampling, testEdgeConfig, testShadowConfig } from '../support/testFilterConfigs.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { waitUntil } from '../../devkit/waitUntil.js';

const badPercent = testEdgeConfig({
  segments: [
    { name: 'fine', header: 'x-cohort', exact: ['fine'], percent: 10 },
    { name: 'broken', header: 'x-cohort', exact: ['broken'], percent: 150 },
  ],
});

const cases: Array<{ what: string; edgeConfig: JsonObject; shadowConfig?: JsonObject; plugin: string; names: string }> = [
  { what: 'an out-of-range percentage', edgeConfig: badPercent, plugin: 'shadowdiff_edge', names: 'sampling.segments[1].percent' },
  {
    what: 'an unknown (misspelt) field',
    edgeConfig: { ...testEdgeConfig(cohortSampling({ always: 100 })), exprot: { batchSize: 1 } },
    plugin: 'shadowdiff_edge',
    names: 'exprot',
  },
  {
    what: 'sampling in the shadow role',
    edgeConfig: testEdgeConfig(cohortSampling({ always: 100 })),
    shadowConfig: { ...testShadowConfig(), sampling: {} },
    plugin: 'shadowdiff_shadow',
    names: 'sampling',
  },
];

describe('an invalid filter configuration', () => {
  // Envoy 1.40's failure_policy covers a VM that fails while serving; a configuration that the
  // filter refuses in on_configure fails the config load itself, whatever the policy.
  it.each(cases)('($what) keeps Envoy from starting, and the critical log line names the field', async (invalid) => {
    const started = startStack({ edgeConfig: invalid.edgeConfig, ...(invalid.shadowConfig && { shadowConfig: invalid.shadowConfig }) });
    const error = await started.then(
      async (stack) => {
        await stack.stop();
        return new Error('Envoy started');
      },
      (reason: unknown) => reason as Error,
    );
    expect(error.message).toMatch(/Envoy exited \(code 1\) before it was ready/);
    const critical = error.message
      .split('\n')
      .find((line) => line.includes('[critical]') && line.includes('shadowdiff: invalid configuration: '));
    expect(critical, error.message).toBeDefined();
    expect(critical!.split('shadowdiff: invalid configuration: ')[1]!.startsWith(invalid.names)).toBe(true);
    expect(error.message).toContain(`Unable to create Wasm plugin ${invalid.plugin}`);
  });

  describe('pushed as a listener update to a running Envoy', () => {
    let primary: Upstream | undefined;
    let shadow: Upstream | undefined;
    let collector: StubCollector | undefined;
    let lds: FileLds | undefined;
    let envoy: EnvoyInstance | undefined;
    dumpEnvoyLogsOnFailure(() => [envoy]);
    afterEach(async () => {
      await envoy?.stop();
      await Promise.all([primary?.close(), shadow?.close(), collector?.close(), lds?.remove()]);
    });

    it('is rejected, and traffic keeps flowing, still mirrored, through the listener Envoy already had', async () => {
      [primary, shadow, collector] = await Promise.all([
        startUpstream('primary'),
        startUpstream('shadow'),
        startStubCollector({ mode: 'ok' }),
      ]);
      const bootstrapWith = async (edgeConfig: JsonObject): Promise<JsonObject> =>
        buildBootstrap({
          edgePort: 0,
          adminPort: 0,
          primary: primary!.endpoint,
          shadow: shadow!.endpoint,
          collector: collector!.endpoint,
          wasm: { path: await requireFilterWasm(), edgeConfig, shadowConfig: testShadowConfig() },
        });
      const good = testEdgeConfig({ segments: [{ name: 'always', header: 'x-cohort', present: true, percent: 100 }] });
      lds = await serveListenersFromFile(await bootstrapWith(good));
      envoy = await startEnvoy(lds.bootstrap);

      await lds.pushListenersOf(await bootstrapWith(badPercent));
      await waitUntil('the listener update to be rejected', async () =>
        (await envoy!.stats()).get('listener_manager.lds.update_rejected') === 1 ? true : undefined,
      );
      expect(envoy.logs()).toMatch(/\[critical\].*shadowdiff: invalid configuration: sampling\.segments\[1\]\.percent/);
      expect(envoy.logs()).toContain("lds: listener 'edge' config rejected: Unable to create Wasm plugin shadowdiff_edge");

      const response = await fetch(`${envoy.edgeUrl}/after-rejection`, { headers: { 'x-cohort': 'any', 'x-user-id': 'dave' } });
      expect(response.status).toBe(200);
      const [copy] = await shadow.waitForRequests(1);
      expect(copy!.path).toBe('/after-rejection');
      expect(headerValue(copy!.headers, 'x-shadowdiff-shadow')).toBe('1');
      expect(headerValue(copy!.headers, 'x-shadowdiff-segment')).toBe('always');
    });
  });
});
