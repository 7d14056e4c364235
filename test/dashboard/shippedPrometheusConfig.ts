// deploy/prometheus/prometheus.yml as the dashboard proof runs it: the same jobs, metric paths,
// relabelling and rule files, with each job's compose host name swapped for the loopback address
// of the demo stack's part and the intervals shortened so a short run yields several scrapes.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../devkit/paths.js';

export const SHIPPED_PROMETHEUS_CONFIG = join(PROJECT_ROOT, 'deploy', 'prometheus', 'prometheus.yml');

interface ScrapeConfig {
  job_name: string;
  static_configs?: Array<{ targets: string[] }>;
  [key: string]: unknown;
}

interface PrometheusConfig {
  global?: Record<string, unknown>;
  rule_files?: string[];
  scrape_configs: ScrapeConfig[];
  [key: string]: unknown;
}

/**
 * `targets` maps each job name of the shipped file to `host:port`; a job without a target (or a
 * target without a job) is an error, so a job added to the file cannot go unscraped by the proof.
 */
export function shippedConfigWithTargets(targets: Readonly<Record<string, string>>, intervalSeconds: number): Record<string, unknown> {
  const shipped = parse(readFileSync(SHIPPED_PROMETHEUS_CONFIG, 'utf8')) as PrometheusConfig;
  const jobs = shipped.scrape_configs.map((job) => job.job_name);
  const unknown = Object.keys(targets).filter((job) => !jobs.includes(job));
  if (unknown.length > 0) throw new Error(`${SHIPPED_PROMETHEUS_CONFIG} has no job ${unknown.join(', ')} (jobs: ${jobs.join(', ')})`);
  const interval = `${intervalSeconds}s`;
  return {
    ...shipped,
    global: { ...shipped.global, scrape_interval: interval, evaluation_interval: interval },
    // Rule files are relative to the config file, which the proof writes elsewhere.
    rule_files: (shipped.rule_files ?? []).map((file) => join(dirname(SHIPPED_PROMETHEUS_CONFIG), file)),
    scrape_configs: shipped.scrape_configs.map((job) => {
      const target = targets[job.job_name];
      if (target === undefined) throw new Error(`no target for job ${job.job_name} of ${SHIPPED_PROMETHEUS_CONFIG}`);
      return { ...job, static_configs: [{ targets: [target] }] };
    }),
  };
}
