// The EnvoyFilter patches as Envoy 1.40 sees them: each inserted HTTP filter (or connection manager merge), in a minimal
// bootstrap, passes `envoy --mode validate`, which parses the typed config (catching a misspelled
// proto field such as the failure policy) and loads the built module with the embedded
// configuration. Copies with either kind of mistake are rejected.

import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfigObject } from '../support/validateConfig.js';
import { FILTER_WASM, filterWasmBytes } from './filterModule.js';
import { connectionManagerMergeBootstrap, httpFilterBootstrap } from './httpFilterBootstrap.js';
import { shippedResources } from './istioResources.js';
import { isRecord } from './jsonValues.js';

const patches = shippedResources('EnvoyFilter').flatMap((resource) =>
  resource.spec.configPatches.map((configPatch, index): [string, unknown, string] => [
    `${resource.metadata.namespace}/${resource.metadata.name} configPatches[${index}]`,
    configPatch.patch.value,
    configPatch.applyTo,
  ]),
);

/** The plugin config (typed_config.config) inside a copy of a patch value. */
function pluginConfigOf(patchValue: unknown): Record<string, unknown> {
  const typedConfig = isRecord(patchValue) ? patchValue['typed_config'] : undefined;
  const config = isRecord(typedConfig) ? typedConfig['config'] : undefined;
  if (!isRecord(config)) throw new Error('not a Wasm filter patch');
  return config;
}

beforeAll(() => {
  // Validation loads the module: a missing build must fail here, with the reason.
  filterWasmBytes();
});

describe('Envoy 1.40 accepts the filters the EnvoyFilters insert', () => {
  it.each(patches)('%s', async (_, patchValue, applyTo) => {
    const bootstrap =
      applyTo === 'NETWORK_FILTER' ? connectionManagerMergeBootstrap(patchValue) : httpFilterBootstrap(patchValue, FILTER_WASM);
    const result = await validateConfigObject(bootstrap);
    expect(result.output).toContain('OK');
    expect(result.ok, result.output).toBe(true);
  });
});

describe('Envoy 1.40 rejects a broken copy', () => {
  const [, edgePatch] = patches[0] ?? [];

  it('with a misspelled field of the Wasm plugin config (which the CRD cannot see)', async () => {
    const broken = structuredClone(edgePatch);
    const config = pluginConfigOf(broken);
    config['failure_polcy'] = config['failure_policy'];
    delete config['failure_policy'];
    const result = await validateConfigObject(httpFilterBootstrap(broken, FILTER_WASM));
    expect(result.ok).toBe(false);
    // Protobuf varies the spaces in its messages on purpose, so that nobody matches them exactly.
    expect(result.output).toMatch(/no\s+such\s+field:\s+'failure_polcy'/);
  });

  it('with an embedded configuration the filter refuses', async () => {
    const broken = structuredClone(edgePatch);
    const configuration = pluginConfigOf(broken)['configuration'];
    if (!isRecord(configuration) || typeof configuration['value'] !== 'string') throw new Error('no StringValue configuration');
    configuration['value'] = configuration['value'].replace('"defaultPercent": 5', '"defaultPercent": -5');
    const result = await validateConfigObject(httpFilterBootstrap(broken, FILTER_WASM));
    expect(result.ok).toBe(false);
    expect(result.output).toContain('shadowdiff: invalid configuration: sampling.defaultPercent: ');
    expect(result.output).toContain('Unable to create Wasm plugin shadowdiff_edge');
  });
});
