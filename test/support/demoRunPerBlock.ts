// The demo run once for the describe block it is called in (real Envoy, real collector), its
// printed output kept, the stack stopped before the tests read what it reported.
import { afterAll, beforeAll } from 'vitest';
import type { RouteReport } from '../../collector/types.js';
import { requireFilterWasm } from '../../devkit/paths.js';
import type { DemoOptions } from '../../scripts/demo/flags.js';
import { runDemo, type DemoRun } from '../../scripts/demo/runDemo.js';

export interface DemoRunOf {
  run(): DemoRun;
  /** Everything the demo printed. */
  printed(): string;
  /** The route's report; throws, with the printed output, when there is none. */
  route(name: string): RouteReport;
}

export function demoRunPerBlock(options: DemoOptions, timeoutMs: number): DemoRunOf {
  let run: DemoRun | undefined;
  let printed = '';

  beforeAll(async () => {
    await requireFilterWasm();
    const out = {
      write: (text: string): void => {
        printed += text;
      },
    };
    run = await runDemo(options, { out });
    await run.stack.stop();
  }, timeoutMs);
  afterAll(async () => {
    await run?.stack.stop();
  });

  const ran = (): DemoRun => {
    if (run === undefined) throw new Error(`the demo did not run (see beforeAll):\n${printed}`);
    return run;
  };
  return {
    run: ran,
    printed: () => printed,
    route: (name) => {
      const found = ran().report.routes.find((candidate) => candidate.route === name);
      if (found === undefined) throw new Error(`no route ${name} in the report:\n${printed}`);
      return found;
    },
  };
}
