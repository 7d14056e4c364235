import { afterAll, beforeAll } from 'vitest';
import { dumpEnvoyLogsOnFailure } from './dumpEnvoyLogsOnFailure.js';
import { startStack, type Stack, type StackOptions } from './shadowdiffStack.js';

/**
 * One stack shared by the tests of the calling file: started before them, stopped after them, its
 * Envoy log printed when one fails. The returned accessor throws when the stack did not start, so
 * a failed start reads as that, not as an undefined property deep in a test.
 */
export function stackPerFile(options: StackOptions): () => Stack {
  let stack: Stack | undefined;
  dumpEnvoyLogsOnFailure(() => [stack?.envoy]);
  beforeAll(async () => {
    stack = await startStack(options);
  });
  afterAll(async () => {
    await stack?.stop();
  });
  return () => {
    if (stack === undefined) throw new Error('the stack of this test file did not start (see beforeAll)');
    return stack;
  };
}
