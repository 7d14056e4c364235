import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fixes fast-check's seed (override with SHADOWDIFF_FC_SEED); see test/README.md.
    setupFiles: ['test/propertySeed.ts'],
    pool: 'forks',
    // Real-Envoy suites start processes; two workers match the two cores we have.
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
