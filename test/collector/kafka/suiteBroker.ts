// One real broker (devkit/kafkaBroker.ts) for the tests of a suite: started before them, stopped
// after; the broker answered reads the started one, so suites use it as if they held it.

import { afterAll, beforeAll } from 'vitest';
import { startKafkaBroker, type KafkaBroker } from '../../../devkit/kafkaBroker.js';

export function suiteKafkaBroker(): KafkaBroker {
  let started: KafkaBroker | undefined;
  beforeAll(async () => {
    started = await startKafkaBroker();
  });
  afterAll(async () => {
    await started?.stop();
  });
  const broker = (): KafkaBroker => {
    if (started === undefined) throw new Error('the suite broker is not started yet (use it inside a test or hook)');
    return started;
  };
  return {
    get bootstrap() {
      return broker().bootstrap;
    },
    pid: () => broker().pid(),
    output: () => broker().output(),
    halt: () => broker().halt(),
    resume: () => broker().resume(),
    stop: () => broker().stop(),
  };
}
