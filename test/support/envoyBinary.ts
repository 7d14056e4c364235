import { findEnvoy } from '../../scripts/findEnvoy.js';

let binary: Promise<string> | undefined;

/**
 * The Envoy the suites run, looked up (and its version checked) once per test process. Tests never
 * install it: a missing Envoy fails them, and `.ci/run` installs it beforehand.
 */
export function envoyBinary(): Promise<string> {
  binary ??= findEnvoy({ install: false });
  return binary;
}
