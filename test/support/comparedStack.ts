// A real Envoy with the filter (shadowdiffStack.ts) exporting to the real collector
// (joiningCollector.ts), for the suites that send requests through both versions and read what the
// collector made of them: started before the tests of the describe block it is called in, the
// requests sent, both stopped after them, Envoy's log printed when a test fails.
import { afterAll, beforeAll, expect } from 'vitest';
import type { Report } from '../../collector/types.js';
import { waitUntil } from '../../devkit/waitUntil.js';
import type { JsonObject } from '../../envoy/json.js';
import { dumpEnvoyLogsOnFailure } from './dumpEnvoyLogsOnFailure.js';
import { startJoiningCollector, type JoiningCollector, type JoiningCollectorOptions } from './joiningCollector.js';
import { startStack, type Stack, type StackOptions } from './shadowdiffStack.js';
import { cohortSampling, testEdgeConfig } from './testFilterConfigs.js';

/** The cohort the requests are sent as; the default edge configuration samples every request of it. */
export const SAMPLED_COHORT = 'employees';

/** The test edge configuration sampling every request of SAMPLED_COHORT (and nothing else). */
export function sampledEdgeConfig(): JsonObject {
  return testEdgeConfig(cohortSampling({ [SAMPLED_COHORT]: 100 }));
}

export interface ComparedStackOptions extends Omit<StackOptions, 'collectorEndpoint' | 'edgeConfig'> {
  /** The edge filter's configuration: sampledEdgeConfig() when absent; it must sample SAMPLED_COHORT. */
  edgeConfig?: JsonObject;
  collector?: JoiningCollectorOptions;
  /** Sent through the edge one after the other before the tests, as SAMPLED_COHORT, one user each. */
  paths: readonly string[];
  /** How one is sent: by default a GET that must answer 200, its body read to the end. */
  request?: (stack: Stack, path: string, headers: Record<string, string>) => Promise<void>;
}

async function getAnswered200(stack: Stack, path: string, headers: Record<string, string>): Promise<void> {
  const response = await stack.send(path, headers);
  expect(response.status, path).toBe(200);
  await response.arrayBuffer();
}

export interface ComparedStack {
  stack: Stack;
  collector: JoiningCollector;
  /** The report once every path sent has joined into a pair (legs are exported asynchronously). */
  joined(): Promise<Report>;
  /** The correlation id the edge minted for the request of `path`, read from what the primary received. */
  pairIdOf(path: string): string;
}

/**
 * Starts the collector and the stack for the calling describe block and sends `paths`. The returned
 * accessor throws when they did not start, so a failed start reads as that in each test.
 */
export function comparedStackPerBlock(options: ComparedStackOptions): () => ComparedStack {
  const { collector: collectorOptions, paths, edgeConfig, request = getAnswered200, ...stackOptions } = options;
  let collector: JoiningCollector | undefined;
  let stack: Stack | undefined;
  let started: ComparedStack | undefined;
  dumpEnvoyLogsOnFailure(() => [stack?.envoy]);

  beforeAll(async () => {
    const joining = await startJoiningCollector(collectorOptions);
    collector = joining;
    const live = await startStack({ ...stackOptions, edgeConfig: edgeConfig ?? sampledEdgeConfig(), collectorEndpoint: joining.endpoint });
    stack = live;
    for (const [index, path] of paths.entries()) await request(live, path, { 'x-cohort': SAMPLED_COHORT, 'x-user-id': `u${index + 1}` });
    started = {
      stack: live,
      collector: joining,
      pairIdOf: (path) => {
        const value = live.primary.requests.find((recorded) => recorded.path === path)?.headers['x-shadowdiff-id'];
        if (typeof value !== 'string') throw new Error(`the primary never received ${path} with a correlation id`);
        return value;
      },
      joined: () =>
        waitUntil(
          `all ${paths.length} pairs joined`,
          async () => {
            const current = await joining.report();
            return current.totals.coverage.pairs === paths.length ? current : undefined;
          },
          { timeoutMs: 20_000 },
        ),
    };
  });

  afterAll(async () => {
    await stack?.stop();
    await collector?.close();
  });

  return () => {
    if (started === undefined) throw new Error('the stack and collector of this block did not start (see beforeAll)');
    return started;
  };
}
