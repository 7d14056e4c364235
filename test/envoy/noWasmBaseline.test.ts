import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBootstrap } from '../../envoy/bootstrap.js';
import { dumpEnvoyLogsOnFailure } from '../support/dumpEnvoyLogsOnFailure.js';
import { startEnvoy, type EnvoyInstance } from '../../devkit/envoyProcess.js';
import { headerValue } from '../support/headers.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

describe('the bootstrap without the filter (benchmark baseline)', () => {
  let primary: Upstream | undefined;
  let shadow: Upstream | undefined;
  let envoy: EnvoyInstance | undefined;
  dumpEnvoyLogsOnFailure(() => [envoy]);

  beforeAll(async () => {
    [primary, shadow] = await Promise.all([startUpstream('primary'), startUpstream('shadow')]);
    envoy = await startEnvoy(
      buildBootstrap({
        edgePort: 0,
        adminPort: 0,
        primary: primary.endpoint,
        shadow: shadow.endpoint,
        collector: primary.endpoint,
        wasm: false,
      }),
    );
  });
  afterAll(async () => {
    await envoy?.stop();
    await Promise.all([primary?.close(), shadow?.close()]);
  });

  it('mirrors exactly the requests that carry the sampled header, through the internal listener', async () => {
    expect((await fetch(`${envoy!.edgeUrl}/plain`)).status).toBe(200);
    expect((await fetch(`${envoy!.edgeUrl}/sampled`, { headers: { 'x-shadowdiff-sampled': '1' } })).status).toBe(200);
    const copies = await shadow!.waitForRequests(1);
    expect(copies.map((request) => request.path)).toEqual(['/sampled']);
    expect(primary!.requests.map((request) => request.path)).toEqual(['/plain', '/sampled']);
    const stats = await envoy!.stats();
    expect(stats.get('cluster.shadowdiff_shadow_internal.upstream_rq_completed')).toBe(1);
  });

  it("never lets a client's shadow marker through to either service", async () => {
    const headers = { 'x-shadowdiff-sampled': '1', 'x-shadowdiff-shadow': '1' };
    expect((await fetch(`${envoy!.edgeUrl}/marked`, { headers })).status).toBe(200);
    const copy = (await shadow!.waitForRequests(2)).find((request) => request.path === '/marked');
    const original = primary!.requests.find((request) => request.path === '/marked');
    expect(headerValue(original!.headers, 'x-shadowdiff-shadow')).toBeUndefined();
    expect(headerValue(copy!.headers, 'x-shadowdiff-shadow')).toBeUndefined();
  });
});
