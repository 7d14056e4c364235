// `npm run demo`: runs the demo (runDemo.ts) and keeps it serving until Ctrl-C, or exits after the
// report with --once. Exit codes: 0 ok, 1 the demo failed, 2 bad flags, 130 interrupted before the
// report. Whatever happens, the services and Envoy are stopped before the process ends.

import { type DemoCommand, DemoUsageError, parseDemoFlags, USAGE } from './flags.js';
import { PortInUseError } from './portCheck.js';
import { runDemo } from './runDemo.js';

async function main(argv: readonly string[]): Promise<number> {
  let command: DemoCommand;
  try {
    command = parseDemoFlags(argv);
  } catch (error) {
    if (error instanceof DemoUsageError) {
      process.stderr.write(`demo: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const interrupted = new AbortController();
  const onSignal = (): void => interrupted.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const run = await runDemo(command.options, { out: process.stdout, signal: interrupted.signal });
    if (!command.options.once) {
      process.stdout.write('\nrunning: press Ctrl-C to stop\n');
      await new Promise<void>((resolve) => interrupted.signal.addEventListener('abort', () => resolve(), { once: true }));
      process.stdout.write('\nstopping\n');
    }
    await run.stack.stop();
    return 0;
  } catch (error) {
    if (interrupted.signal.aborted) {
      process.stderr.write('\ndemo: interrupted\n');
      return 130;
    }
    process.stderr.write(`demo: ${error instanceof PortInUseError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

process.exitCode = await main(process.argv.slice(2));
