// No Docker engine here, so docker-compose.yml is checked statically, and the Envoy config it
// mounts runs through the real Envoy's `--mode validate` with the module it mounts.

import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SHIPPED_CONFIGS } from '../../envoy/shippedConfigs.js';
import { ENVOY_VERSION } from '../../devkit/findEnvoy.js';
import { FILTER_WASM, PROJECT_ROOT, requireFilterWasm } from '../../devkit/paths.js';
import { validateConfigFile } from '../support/validateConfig.js';
import { composeService, composeServices, hostPathOf } from './composeFile.js';
import { collectorConfigSources } from '../../collector/cli/cli.js';
import { ConfigError, loadConfig, type ConfigSources } from '../../collector/config.js';
import { KAFKA_VERSION } from '../../devkit/findKafka.js';

describe('docker-compose.yml', () => {
  beforeAll(async () => {
    // Mounted but not committed: `npm run build:filter` writes it (npm test builds it first).
    await requireFilterWasm();
  });

  it('runs every part by default: both versions, collector, Envoy, Prometheus, Grafana and the traffic', () => {
    expect(
      composeServices()
        .filter((service) => service.profiles.length === 0)
        .map((service) => service.name)
        .sort(),
    ).toEqual(['collector', 'envoy', 'grafana', 'orders-v1', 'orders-v2', 'prometheus', 'traffic'].sort());
  });

  it('adds, with the kafka profile only, the official Apache Kafka image and the collector split into its roles', () => {
    const profiled = composeServices().filter((service) => service.profiles.length > 0);
    for (const service of profiled) expect(service.profiles, service.name).toEqual(['kafka']);
    expect(profiled.map((service) => service.name).sort()).toEqual(['ingest-1', 'ingest-2', 'join-1', 'join-2', 'kafka', 'report']);
    expect(composeService('kafka').image).toBe(`apache/kafka:${KAFKA_VERSION}`);
    const roles = (name: string): string | undefined => {
      const service = composeService(name);
      const sources = collectorConfigSources(service.command.slice(service.command.indexOf('collector') + 1), service.environment);
      // The file as the container reads it, below its working directory.
      const file = hostPathOf(service, sources.file ?? '') ?? '';
      expect(existsSync(file), `${name}: ${sources.file}`).toBe(true);
      expect(configProblems({ ...sources, file }), name).toEqual([]);
      expect(loadConfig({ ...sources, file }).kafka, name).toMatchObject({ brokers: ['kafka:9092'], partitions: 4, replicationFactor: 1 });
      return sources.overrides?.find((override) => override.field === 'kafka.roles')?.value;
    };
    expect(['ingest-1', 'ingest-2', 'join-1', 'join-2', 'report'].map(roles)).toEqual(['ingest', 'ingest', 'join', 'join', 'report']);
    // The report's store is its own, not the embedded collector's in the same mount.
    expect(composeService('report').environment['SHADOWDIFF_STORE_PATH']).toBe('.shadowdiff/kafka-report.sqlite');
  });

  it('mounts only paths that exist in the repository (or that the build produces)', () => {
    for (const service of composeServices()) {
      for (const mount of service.mounts) {
        expect(existsSync(mount.source), `${service.name}: ./${mount.repoPath} does not exist`).toBe(true);
        expect(`${mount.source}/`.startsWith(PROJECT_ROOT), `${service.name}: ${mount.source} is outside the repository`).toBe(true);
      }
    }
  });

  it('runs Node services on files that exist, through the repository mounted at their working directory', () => {
    for (const name of ['orders-v1', 'orders-v2', 'collector', 'traffic']) {
      const service = composeService(name);
      const files = service.command.filter((arg) => /\.(ts|js|ya?ml)$/.test(arg));
      expect(files.length, name).toBeGreaterThan(0);
      for (const file of files) expect(existsSync(hostPathOf(service, file) ?? ''), `${name}: ${file}`).toBe(true);
    }
  });

  it('sends traffic only once every part answers, asking each compose service directly', () => {
    const traffic = composeService('traffic');
    const names = composeServices().map((service) => service.name);
    const waitedFor = traffic.command.flatMap((arg, index) => (traffic.command[index - 1] === '--wait-for' ? [new URL(arg).hostname] : []));
    expect(waitedFor.sort()).toEqual(['collector', 'envoy', 'orders-v1', 'orders-v2']);
    for (const host of waitedFor) expect(names).toContain(host);
  });

  it('pins Envoy to the version the tests run', () => {
    expect(composeService('envoy').image).toBe(`envoyproxy/envoy:v${ENVOY_VERSION}`);
  });

  it('gives Envoy a generated bootstrap and the built module at the same relative paths as in the repository', () => {
    const envoy = composeService('envoy');
    const configArg = envoy.command[envoy.command.indexOf('-c') + 1];
    expect(configArg).toBeDefined();
    const configOnHost = hostPathOf(envoy, configArg!);
    expect(configOnHost).toBeDefined();
    // Generated by `npm run gen:envoy` (test/envoy/shippedConfigs.test.ts checks it for drift).
    expect(SHIPPED_CONFIGS.map((config) => config.file)).toContain(relative(PROJECT_ROOT, configOnHost!));
    // Same relative path in the container (below working_dir) as in the repository (below the
    // root), so Envoy resolves `build/shadowdiff.wasm` to the built module in both places.
    for (const mount of envoy.mounts) expect(mount.target).toBe(`${envoy.workingDir}/${mount.repoPath}`);
    expect(hostPathOf(envoy, 'build/shadowdiff.wasm')).toBe(FILTER_WASM);
  });

  it('mounts an Envoy config that Envoy 1.40 validates, loading the module it mounts', async () => {
    const envoy = composeService('envoy');
    const configOnHost = hostPathOf(envoy, envoy.command[envoy.command.indexOf('-c') + 1]!)!;
    // validateConfigFile runs Envoy from the repository root, the host side of working_dir.
    const result = await validateConfigFile(configOnHost);
    expect(result.ok, result.output).toBe(true);
    expect(result.output).toContain('OK');
  });

  it('provisions Grafana with the dashboard and a datasource, and Prometheus with its config and rules', () => {
    const grafana = composeService('grafana');
    expect(hostPathOf(grafana, '/etc/grafana/provisioning/datasources/prometheus.yml')).toBe(
      join(PROJECT_ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'),
    );
    expect(hostPathOf(grafana, '/var/lib/grafana/dashboards/shadowdiff.json')).toBe(
      join(PROJECT_ROOT, 'deploy/grafana/dashboards/shadowdiff.json'),
    );
    // The dashboard names its datasource by uid: the provisioned one must carry it.
    const provisioned = parse(readFileSync(join(PROJECT_ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as {
      datasources: Array<{ uid: string; type: string; url: string }>;
    };
    const dashboardUids = datasourceUids(JSON.parse(readFileSync(join(PROJECT_ROOT, 'deploy/grafana/dashboards/shadowdiff.json'), 'utf8')));
    expect([...dashboardUids]).toEqual(provisioned.datasources.map((source) => source.uid));
    expect(provisioned.datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
    const prometheus = composeService('prometheus');
    expect(prometheus.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(hostPathOf(prometheus, '/etc/prometheus/rules/shadowdiff.rules.yml')).toBe(
      join(PROJECT_ROOT, 'deploy/prometheus/rules/shadowdiff.rules.yml'),
    );
  });
});

/** The fields and messages a configuration is refused with; none when it loads. */
function configProblems(sources: ConfigSources): string[] {
  try {
    loadConfig(sources);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.details.map((detail) => `${detail.field}: ${detail.message}`);
  }
}

/** Every `datasource.uid` a dashboard refers to, at any depth (panels, targets, rows). */
function datasourceUids(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) datasourceUids(item, found);
  } else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      const uid = (value as { uid?: unknown } | null)?.uid;
      if (key === 'datasource' && typeof uid === 'string') found.add(uid);
      datasourceUids(value, found);
    }
  }
  return found;
}
