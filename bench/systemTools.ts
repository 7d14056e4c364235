import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A command the harness runs, and the Debian package that provides it. */
export interface SystemTool {
  command: string;
  debianPackage: string;
  why: string;
}

const TOOLS: readonly SystemTool[] = [
  { command: 'wrk', debianPackage: 'wrk', why: 'closed-loop throughput' },
  { command: 'nginx', debianPackage: 'nginx-light', why: 'the upstream service: serves the JSON documents without taking the proxy core' },
  { command: 'taskset', debianPackage: 'util-linux', why: 'pins the proxy and the load to separate cores' },
];

/** Only bench/profile.ts envoy needs it. */
export const PERF_TOOL: SystemTool = {
  command: 'perf',
  debianPackage: 'linux-perf',
  why: "samples Envoy's threads (bench/profile.ts envoy)",
};

async function onPath(command: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure every tool the benchmark drives is installed: missing ones are installed with apt-get
 * when we are root on Debian (as on the project's machines and CI), otherwise the error says what
 * to install.
 */
export async function ensureSystemTools(log: (line: string) => void, extra: readonly SystemTool[] = []): Promise<void> {
  const missing: SystemTool[] = [];
  for (const tool of [...TOOLS, ...extra]) if (!(await onPath(tool.command))) missing.push(tool);
  if (missing.length === 0) return;
  const packages = missing.map((tool) => tool.debianPackage);
  const advice = `install them with: apt-get update && apt-get install -y ${packages.join(' ')}\n${missing
    .map((tool) => `  ${tool.command} (${tool.debianPackage}): ${tool.why}`)
    .join('\n')}`;
  const canInstall = process.getuid?.() === 0 && (await onPath('apt-get'));
  if (!canInstall) throw new Error(`shadowdiff needs ${missing.map((tool) => tool.command).join(', ')}; ${advice}`);
  log(`installing ${packages.join(' ')} with apt-get`);
  try {
    await run('apt-get', ['update', '-qq'], { maxBuffer: 64 * 1024 * 1024 });
    await run('apt-get', ['install', '-y', '-qq', ...packages], {
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (error) {
    throw new Error(`apt-get could not install ${packages.join(' ')}: ${(error as Error).message}\n${advice}`, { cause: error });
  }
  for (const tool of missing) {
    if (!(await onPath(tool.command))) throw new Error(`${tool.debianPackage} installed but ${tool.command} is not on PATH; ${advice}`);
  }
}

/** First line a tool prints about its version, for the report's machine section. */
export async function toolVersion(command: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(command, args);
    return (
      `${stdout}${stderr}`
        .split('\n')
        .find((line) => line.trim() !== '')
        ?.trim() ?? 'unknown'
    );
  } catch (error) {
    // wrk prints its version with the usage text and exits 1.
    const output = error as { stdout?: string; stderr?: string };
    return (
      `${output.stdout ?? ''}${output.stderr ?? ''}`
        .split('\n')
        .find((line) => line.trim() !== '')
        ?.trim() ?? 'unknown'
    );
  }
}
