// The fixed-rate client's accounting: a server that cannot keep up leaves requests queued in the
// client, which are "not sent in time" and never errors; a server answering 5xx makes errors.
// Counts only, never timings.
import { afterEach, describe, expect, it } from 'vitest';
import { runFixedRate } from '../../bench/fixedRateClient.js';
import { startUpstream, type StubResponse, type Upstream } from '../support/upstream.js';

const REQUEST = Buffer.from('GET / HTTP/1.1\r\nhost: bench.local\r\n\r\n');

describe('runFixedRate', () => {
  let upstream: Upstream | undefined;
  afterEach(async () => {
    await upstream?.close();
    upstream = undefined;
  });
  const run = async (answer: StubResponse, ratePerSecond: number, connections: number) => {
    upstream = await startUpstream('fixed-rate target', () => answer);
    return runFixedRate({ port: upstream.endpoint.port, nextRequest: () => REQUEST, ratePerSecond, seconds: 1, connections });
  };

  it('counts requests still queued at the end as not sent in time, not as errors', { timeout: 60_000 }, async () => {
    // One connection to a server answering a second late: about a dozen of the 50 are answered before the drain ends.
    const result = await run({ status: 200, delayMs: 1000 }, 50, 1);

    expect(result.notSentInTime).toBeGreaterThan(0);
    // At most the one request in flight when the drain gave up, which was sent and never answered.
    expect(result.errors).toBeLessThanOrEqual(1);
    expect(result.completed + result.errors + result.notSentInTime).toBe(result.sent);
  });

  it('counts non-2xx answers as errors', { timeout: 60_000 }, async () => {
    const result = await run({ status: 503 }, 20, 2);

    expect(result.errors).toBe(result.sent);
    expect(result.completed).toBe(0);
    expect(result.notSentInTime).toBe(0);
  });
});
