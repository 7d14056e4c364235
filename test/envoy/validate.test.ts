import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBootstrap } from '../../envoy/bootstrap.js';
import { SHIPPED_CONFIGS } from '../../envoy/shippedConfigs.js';
import { PROJECT_ROOT, requireFilterWasm } from '../../devkit/paths.js';
import { validateConfigFile, validateConfigObject } from '../support/validateConfig.js';

const somewhere = { address: '127.0.0.1', port: 9 };

describe('Envoy 1.40 accepts the shipped bootstraps', () => {
  beforeAll(async () => {
    // envoy/envoy.yaml names build/shadowdiff.wasm, and validation loads it.
    await requireFilterWasm();
  });

  it.each(SHIPPED_CONFIGS.map((config) => [config.file]))('%s', async (file) => {
    const result = await validateConfigFile(join(PROJECT_ROOT, file));
    expect(result.output).toContain('OK');
    expect(result.ok, result.output).toBe(true);
  });

  it('rejects a bootstrap whose wasm module does not exist, so validation really loads the module', async () => {
    const config = buildBootstrap({
      edgePort: 0,
      adminPort: 0,
      primary: somewhere,
      shadow: somewhere,
      collector: somewhere,
      wasm: { path: join(PROJECT_ROOT, 'build', 'no-such-module.wasm') },
    });
    const result = await validateConfigObject(config);
    expect(result.ok).toBe(false);
    expect(result.output).toContain('Invalid path');
  });

  it('accepts a custom header prefix and host-name endpoints, a secondary among them', async () => {
    const config = buildBootstrap({
      edgePort: 0,
      adminPort: 0,
      primary: { address: 'localhost', port: 8081 },
      shadow: somewhere,
      secondary: { address: 'localhost', port: 8083 },
      collector: somewhere,
      wasm: {
        path: await requireFilterWasm(),
        vmId: 'custom_vm',
        edgeConfig: { role: 'edge', headerPrefix: 'x-sd-', collector: { cluster: 'shadowdiff_collector' }, sampling: {} },
      },
    });
    const result = await validateConfigObject(config);
    expect(result.ok, result.output).toBe(true);
    // the routes follow the edge's prefix, the secondary's too
    expect(JSON.stringify(config)).toContain('"name":"x-sd-secondary"');
  });
});
