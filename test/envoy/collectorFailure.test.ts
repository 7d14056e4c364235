import { afterEach, describe, expect, it } from 'vitest';
import { dumpEnvoyLogsOnFailure } from '../support/dumpEnvoyLogsOnFailure.js';
import { startStack, type Stack } from '../support/shadowdiffStack.js';
import type { CollectorMode } from '../support/stubCollector.js';
import { cohortSampling, testEdgeConfig } from '../support/testFilterConfigs.js';
import type { UpstreamHandler } from '../support/upstream.js';
import { waitUntil } from '../../devkit/waitUntil.js';

/** A body that differs per path and is not text, so any byte the proxy changed would show. */
function primaryBody(path: string): Buffer {
  const bytes = Buffer.alloc(4096);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + path.length * 7) & 0xff;
  return Buffer.concat([Buffer.from(`${path}\n`), bytes]);
}

const distinctBodies: UpstreamHandler = (request) => ({
  headers: { 'content-type': 'application/octet-stream', 'x-primary-says': 'hello' },
  body: primaryBody(request.path),
});

describe('a collector that fails', () => {
  let stack: Stack | undefined;
  dumpEnvoyLogsOnFailure(() => [stack?.envoy]);
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it.each<CollectorMode>(['down', 'slow', '500'])('when %s, leaves primary responses byte-identical and fails no request', async (mode) => {
    stack = await startStack({
      edgeConfig: testEdgeConfig(cohortSampling({ always: 100, never: 0 })),
      collectorMode: mode,
      primaryHandler: distinctBodies,
    });
    const paths = Array.from({ length: 24 }, (_, index) => `/item/${index}`);
    const responses = await Promise.all(
      paths.map(async (path, index) => {
        const response = await stack!.send(path, { 'x-cohort': index % 3 === 0 ? 'never' : 'always', 'x-user-id': `u${index}` });
        return {
          path,
          status: response.status,
          type: response.headers.get('x-primary-says'),
          body: Buffer.from(await response.arrayBuffer()),
        };
      }),
    );
    for (const response of responses) {
      expect(response.status, response.path).toBe(200);
      expect(response.type).toBe('hello');
      expect(response.body.equals(primaryBody(response.path)), `body of ${response.path}`).toBe(true);
    }
    // The failure path really ran: the filter counted failed export calls, without retrying them.
    const failures = await waitUntil(`export failures with the collector ${mode}`, async () => {
      const stats = await stack!.envoy.stats();
      const edgeFailures = stats.get('wasmcustom.shadowdiff.edge.export_failures') ?? 0;
      return edgeFailures > 0 ? stats : undefined;
    });
    expect(failures.get('wasmcustom.shadowdiff.edge.exported_records')).toBe(0);
    expect(failures.get('wasmcustom.shadowdiff.edge.dropped_export_failed')).toBeGreaterThan(0);
    if (mode !== 'down') expect(stack.collector.attempts).toBeGreaterThan(0);
    // The shadow leg goes on too: 16 of the 24 requests are in the 100% cohort.
    expect((await stack.shadow.waitForRequests(16)).length).toBe(16);
  });
});
