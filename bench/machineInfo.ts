import { cpus, loadavg, release, totalmem } from 'node:os';
import { findEnvoy } from '../devkit/findEnvoy.js';
import type { CoreLayout } from './cpuPinning.js';
import { toolVersion } from './systemTools.js';

/** What the numbers were taken on; the report prints it above the results. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  envoy: string;
  nginx: string;
  wrk: string;
  pinning: string;
  /** 1-minute load average when the run started: other work on a shared machine shows up here. */
  loadAverageAtStart: number;
}

export async function machineInfo(layout: CoreLayout): Promise<MachineInfo> {
  const envoy = await findEnvoy({ install: true });
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    envoy: (await toolVersion(envoy, ['--version'])).replace(/^.*version:\s*/, ''),
    nginx: await toolVersion('nginx', ['-v']),
    wrk: await toolVersion('wrk', ['--version']),
    pinning: layout.describe,
    loadAverageAtStart: loadavg()[0] ?? Number.NaN,
  };
}
