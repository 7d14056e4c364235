/** Writes the committed Envoy bootstraps (envoy/*.yaml) from envoy/shippedConfigs.ts. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderShippedConfig, SHIPPED_CONFIGS } from '../envoy/shippedConfigs.js';

const root = fileURLToPath(new URL('..', import.meta.url));
for (const config of SHIPPED_CONFIGS) {
  await writeFile(join(root, config.file), renderShippedConfig(config));
  console.log(`wrote ${config.file}`);
}
