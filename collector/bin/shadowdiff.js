#!/usr/bin/env node
// Launcher for `npx shadowdiff`: registers tsx's loader and runs the TypeScript CLI, so the
// repository needs no build step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../cli/cli.ts');
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  fetch: globalThis.fetch,
});
