import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The suites `npm run mutate` (StrykerJS) runs against each mutant: the unit tests of the
// collector's pure stages, in process and without sockets. The HTTP fuzz and real-Envoy suites
// take minutes per run and exercise the same stages through I/O, so they stay out.
// (Not mergeConfig: it would append to the base `include` instead of replacing it.)
export default defineConfig({
  test: {
    ...base.test,
    include: [
      'test/collector/join/**/*.test.ts',
      'test/collector/compare/**/*.test.ts',
      'test/collector/score/**/*.test.ts',
      'test/collector/ingest/batchValidator.test.ts',
      'test/collector/pipeline.test.ts',
    ],
  },
});
