import { beforeEach } from 'vitest';
import type { EnvoyInstance } from '../../devkit/envoyProcess.js';

/**
 * Prints the log of each Envoy that `envoys()` names when a test of the calling file fails: the
 * reason a proxied request went wrong is almost always in there, and it is gone after stop().
 */
export function dumpEnvoyLogsOnFailure(envoys: () => Array<EnvoyInstance | undefined>): void {
  beforeEach(({ onTestFailed, task }) => {
    onTestFailed(() => {
      for (const [index, envoy] of envoys().entries()) {
        if (envoy === undefined) continue;
        console.error(`----- Envoy #${index} log (test "${task.name}" failed) -----\n${envoy.logs()}\n----- end -----`);
      }
    });
  });
}
