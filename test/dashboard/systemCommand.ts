// Runs a command that comes from a Debian package (prometheus, promtool). The dashboard proof needs
// the real tools: a missing one fails the suite with what to install, it never skips it.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CommandResult {
  ok: boolean;
  /** stdout and stderr together, for assertion messages. */
  output: string;
}

export class MissingCommandError extends Error {}

/** Runs `command args` to completion; a non-zero exit is a result (ok: false), a missing command an error. */
export async function runSystemCommand(command: string, args: readonly string[], debianPackage: string): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await run(command, [...args], { maxBuffer: 16 * 1024 * 1024 });
    return { ok: true, output: `${stdout}${stderr}` };
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (failure.code === 'ENOENT') {
      throw new MissingCommandError(`${command} is not installed: apt-get install ${debianPackage} (.ci/run installs it)`);
    }
    if (failure.stdout === undefined && failure.stderr === undefined) throw error;
    return { ok: false, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}
