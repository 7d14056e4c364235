// promtool on what docker-compose.yml mounts into Prometheus: the config, the rule file, and the
// rules' unit tests (shadowdiff.rules.promtest.yml). A missing promtool fails the suite.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../devkit/paths.js';
import { PROMETHEUS_DEBIAN_PACKAGE } from './prometheusProcess.js';
import { SHIPPED_PROMETHEUS_CONFIG } from './shippedPrometheusConfig.js';
import { MissingCommandError, runSystemCommand } from './systemCommand.js';

const RULE_FILE = join(PROJECT_ROOT, 'deploy', 'prometheus', 'rules', 'shadowdiff.rules.yml');
const RULE_TESTS = join(PROJECT_ROOT, 'test', 'dashboard', 'shadowdiff.rules.promtest.yml');

const promtool = (...args: string[]) => runSystemCommand('promtool', args, PROMETHEUS_DEBIAN_PACKAGE);

describe('promtool', () => {
  it('accepts deploy/prometheus/prometheus.yml and finds its rule file', async () => {
    const result = await promtool('check', 'config', SHIPPED_PROMETHEUS_CONFIG);
    expect(result.ok, result.output).toBe(true);
    expect(result.output).toContain('SUCCESS: 1 rule files found');
  });

  it('accepts the rule file', async () => {
    const result = await promtool('check', 'rules', RULE_FILE);
    expect(result.ok, result.output).toBe(true);
    expect(result.output).toContain('SUCCESS: 3 rules found');
  });

  it("passes the rules' unit tests: each alert fires when it should, with its labels and text, and a healthy deployment fires none", async () => {
    const result = await promtool('test', 'rules', RULE_TESTS);
    expect(result.ok, result.output).toBe(true);
    expect(result.output).toContain('SUCCESS');
  });

  it('is required: a missing tool is an error naming the package, not a skip', async () => {
    await expect(runSystemCommand('shadowdiff-no-such-tool', [], PROMETHEUS_DEBIAN_PACKAGE)).rejects.toThrow(
      new MissingCommandError('shadowdiff-no-such-tool is not installed: apt-get install prometheus (.ci/run installs it)'),
    );
  });
});
