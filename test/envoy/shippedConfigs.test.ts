import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderShippedConfig, SHIPPED_CONFIGS } from '../../envoy/shippedConfigs.js';
import { PROJECT_ROOT } from '../../devkit/paths.js';

describe('committed Envoy bootstraps', () => {
  it.each(SHIPPED_CONFIGS.map((config) => [config.file, config] as const))(
    '%s is what `npm run gen:envoy` writes',
    async (file, config) => {
      const committed = await readFile(join(PROJECT_ROOT, file), 'utf8');
      expect(committed, `${file} drifted from the generator: run npm run gen:envoy`).toBe(renderShippedConfig(config));
    },
  );
});
