// A filter that fails before it can serve: a module that cannot load, a configuration refused at
// runtime. What each failure policy does in Envoy 1.40 (filter/README.md, "Failure behaviour").
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture, FIXTURE_BUILD_TIMEOUT_MS } from '../emulator/fixtures/buildFixture.js';
import { dumpEnvoyLogsOnFailure } from '../support/dumpEnvoyLogsOnFailure.js';
import { headerValue } from '../support/headers.js';
import { requireFilterWasm } from '../../devkit/paths.js';
import { startStack, type Stack } from '../support/shadowdiffStack.js';
import { cohortSampling, testEdgeConfig } from '../support/testFilterConfigs.js';
import { withFailurePolicy, withModule, withRemoteModule, type FailurePolicy } from './bootstrapEdits.js';
import { mirroredRequestHeaders, pathsOf, sendChecked, wideJsonService } from './checkedTraffic.js';
import { startFaultyEndpoint, type Fault, type FaultyEndpoint } from './faultyEndpoint.js';
import { startLdsServedEnvoy, type LdsServedEnvoy } from './ldsServedEnvoy.js';

const EDGE = 'shadowdiff_edge';
const REQUESTS = 12;
const edgeConfig = testEdgeConfig(cohortSampling({ always: 100 }));
const refusedEdgeConfig = testEdgeConfig(cohortSampling({ always: 150 }));
const CORRUPT_MODULE = Buffer.from('\u0000asm but not really a WebAssembly module', 'latin1');

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Starting Envoy must fail; returns what Envoy said. */
async function refusedStart(start: Promise<Stack>): Promise<string> {
  const outcome = await start.then(
    async (stack) => {
      await stack.stop();
      return new Error('Envoy started');
    },
    (reason: unknown) => reason as Error,
  );
  expect(outcome.message).toMatch(/Envoy exited \(code 1\) before it was ready/);
  return outcome.message;
}

describe('a module that cannot load', () => {
  let scratch: string | undefined;
  let stack: Stack | undefined;
  let source: FaultyEndpoint | undefined;
  dumpEnvoyLogsOnFailure(() => [stack?.envoy]);
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'shadowdiff-modules-'));
    await writeFile(join(scratch, 'corrupt.wasm'), CORRUPT_MODULE);
  });
  afterEach(async () => {
    await stack?.stop();
    await source?.close();
    stack = source = undefined;
  });
  afterAll(async () => {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  const policies: FailurePolicy[] = ['FAIL_OPEN', 'FAIL_CLOSED'];

  describe.each(policies)('read from a local file, with %s', (policy) => {
    it('(corrupt bytes) keeps Envoy from starting: the plugin cannot be created', async () => {
      const said = await refusedStart(
        startStack({
          edgeConfig,
          adjustBootstrap: (b) => withFailurePolicy(withModule(b, EDGE, join(scratch!, 'corrupt.wasm')), EDGE, policy),
        }),
      );
      expect(said).toContain('Failed to parse corrupted Wasm module');
      expect(said).toContain(`Unable to create Wasm plugin ${EDGE}`);
    });

    it('(missing file) keeps Envoy from starting: the path is invalid', async () => {
      const missing = join(scratch!, 'missing.wasm');
      const said = await refusedStart(
        startStack({ edgeConfig, adjustBootstrap: (b) => withFailurePolicy(withModule(b, EDGE, missing), EDGE, policy) }),
      );
      expect(said).toContain(`Invalid path: ${missing}`);
    });
  });

  // Fetched over HTTP (as Istio's WasmPlugin does), the module loads after the listener exists:
  // a failure there leaves the plugin without a VM, and the failure policy decides.
  const remoteFailures: Array<{ what: string; fault: Fault; digestOf: () => Promise<Buffer>; says: string }> = [
    {
      what: 'fetched, but corrupt',
      fault: { kind: 'body', contentType: 'application/wasm', body: CORRUPT_MODULE },
      digestOf: async () => CORRUPT_MODULE,
      says: 'Failed to parse corrupted Wasm module',
    },
    {
      what: 'not fetchable (404)',
      fault: { kind: 'status', status: 404 },
      digestOf: async () => readFile(await requireFilterWasm()),
      says: 'Retry limit exceeded for fetching data from remote data source',
    },
  ];

  describe.each(remoteFailures)('fetched remotely, $what', ({ fault, digestOf, says }) => {
    async function startFetching(policy: FailurePolicy): Promise<Stack> {
      source = await startFaultyEndpoint(fault);
      const digest = sha256(await digestOf());
      const started = await startStack({
        edgeConfig,
        primaryHandler: wideJsonService,
        adjustBootstrap: (b) => withFailurePolicy(withRemoteModule(b, EDGE, source!.endpoint, digest), EDGE, policy),
      });
      expect(started.envoy.logs()).toContain(says);
      expect(started.envoy.logs()).toContain(`Plugin ${EDGE} failed to load`);
      return started;
    }

    it('with FAIL_OPEN: Envoy starts, traffic flows untouched past the skipped filter, nothing is mirrored', async () => {
      stack = await startFetching('FAIL_OPEN');
      const paths = pathsOf('/open', REQUESTS);
      expect(await sendChecked(stack, paths)).toEqual([]);
      expect(stack.primary.requests.map((request) => request.path).sort()).toEqual([...paths].sort());
      // Nothing sampled the requests, so none was mirrored, and no record was made.
      const stats = await stack.envoy.stats();
      expect(stats.get('http.edge.downstream_rq_5xx')).toBe(0);
      expect(stats.get('wasmcustom.shadowdiff.edge.digested') ?? 0).toBe(0);
      expect(stack.shadow.requests).toEqual([]);
    });

    it('with FAIL_OPEN: a client-sent shadow marker still never reaches the primary', async () => {
      stack = await startFetching('FAIL_OPEN');
      const response = await stack.send('/spoofed', {
        ...mirroredRequestHeaders('/spoofed'),
        'x-shadowdiff-shadow': '1',
        'x-shadowdiff-sampled': '1',
      });
      expect(response.status).toBe(200);
      await response.text();
      const [received] = await stack.primary.waitForRequests(1);
      expect(headerValue(received!.headers, 'x-shadowdiff-shadow')).toBeUndefined();
    });

    it('with FAIL_CLOSED: Envoy starts and answers every request 503 without reaching the primary', async () => {
      stack = await startFetching('FAIL_CLOSED');
      for (const path of pathsOf('/closed', REQUESTS)) {
        const response = await stack.send(path, mirroredRequestHeaders(path));
        expect(response.status).toBe(503);
        await response.text();
      }
      expect(stack.primary.requests).toEqual([]);
      expect((await stack.envoy.stats()).get('http.edge.downstream_rq_5xx')).toBe(REQUESTS);
    });
  });

  describe('fetched remotely, but its configuration is refused', () => {
    it.each(policies)('with %s: Envoy starts, and the policy applies as for a module that cannot load', async (policy) => {
      const module = await readFile(await requireFilterWasm());
      source = await startFaultyEndpoint({ kind: 'body', contentType: 'application/wasm', body: module });
      stack = await startStack({
        edgeConfig: refusedEdgeConfig,
        primaryHandler: wideJsonService,
        adjustBootstrap: (b) => withFailurePolicy(withRemoteModule(b, EDGE, source!.endpoint, sha256(module)), EDGE, policy),
      });
      expect(stack.envoy.logs()).toMatch(/\[critical\].*shadowdiff: invalid configuration: sampling\.segments\[0\]\.percent/);
      const paths = pathsOf('/refused', REQUESTS);
      if (policy === 'FAIL_OPEN') {
        expect(await sendChecked(stack, paths)).toEqual([]);
        expect(stack.shadow.requests).toEqual([]);
      } else {
        for (const path of paths) {
          const response = await stack.send(path, mirroredRequestHeaders(path));
          expect(response.status).toBe(503);
          await response.text();
        }
        expect(stack.primary.requests).toEqual([]);
      }
    });
  });
});

describe('a VM that fails while serving (a trap)', () => {
  let scratch: string | undefined;
  let trapping: string | undefined;
  let stack: Stack | undefined;
  dumpEnvoyLogsOnFailure(() => [stack?.envoy]);
  beforeAll(async () => {
    // The emulator's probe module traps (wasm `unreachable`) on a request with x-probe-unreachable.
    scratch = await mkdtemp(join(tmpdir(), 'shadowdiff-modules-'));
    trapping = join(scratch, 'probe.wasm');
    await writeFile(trapping, await buildFixture('probe'));
  }, FIXTURE_BUILD_TIMEOUT_MS);
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });
  afterAll(async () => {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  async function statusOf(path: string, headers: Record<string, string> = {}): Promise<number> {
    const response = await stack!.send(path, headers);
    await response.text();
    return response.status;
  }

  it('with FAIL_OPEN: the trapping request gets a 503, every later request skips the filter and reaches the primary', async () => {
    stack = await startStack({ edgeConfig, adjustBootstrap: (b) => withFailurePolicy(withModule(b, EDGE, trapping!), EDGE, 'FAIL_OPEN') });
    expect(await statusOf('/before')).toBe(200);
    expect(await statusOf('/trap', { 'x-probe-unreachable': '1' })).toBe(503);
    for (const path of pathsOf('/after', REQUESTS)) expect(await statusOf(path)).toBe(200);
    expect(stack.primary.requests.map((request) => request.path)).toEqual(['/before', ...pathsOf('/after', REQUESTS)]);
  });

  it('with FAIL_CLOSED: the trapping request and every later request get a 503, none reaches the primary', async () => {
    stack = await startStack({
      edgeConfig,
      adjustBootstrap: (b) => withFailurePolicy(withModule(b, EDGE, trapping!), EDGE, 'FAIL_CLOSED'),
    });
    expect(await statusOf('/before')).toBe(200);
    expect(await statusOf('/trap', { 'x-probe-unreachable': '1' })).toBe(503);
    for (const path of pathsOf('/after', REQUESTS)) expect(await statusOf(path)).toBe(503);
    expect(stack.primary.requests.map((request) => request.path)).toEqual(['/before']);
  });
});

describe('a listener update whose filter fails, pushed to a running Envoy', () => {
  let served: LdsServedEnvoy | undefined;
  let scratch: string | undefined;
  dumpEnvoyLogsOnFailure(() => [served?.envoy]);
  afterEach(async () => {
    await served?.stop();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
    served = scratch = undefined;
  });

  /** The listener Envoy had before still serves, and still mirrors (with its marker) to the shadow. */
  async function stillServingAndMirroring(path: string): Promise<void> {
    const response = await fetch(`${served!.envoy.edgeUrl}${path}`, { headers: mirroredRequestHeaders(path) });
    expect(response.status).toBe(200);
    await response.text();
    const copy = (await served!.shadow.waitForRequests(1)).find((request) => request.path === path);
    expect(headerValue(copy!.headers, 'x-shadowdiff-shadow')).toBe('1');
  }

  it('with FAIL_CLOSED and a refused configuration: rejected like with FAIL_OPEN, the old listener keeps serving', async () => {
    served = await startLdsServedEnvoy(edgeConfig, (b) => withFailurePolicy(b, EDGE, 'FAIL_CLOSED'));
    await served.pushRejected(await served.bootstrapWith(refusedEdgeConfig), 1);
    expect(served.envoy.logs()).toContain(`Unable to create Wasm plugin ${EDGE}`);
    await stillServingAndMirroring('/after-refused-config');
  });

  it.each<FailurePolicy>(['FAIL_OPEN', 'FAIL_CLOSED'])(
    'with %s and a corrupt module: rejected, the old listener keeps serving',
    async (policy) => {
      served = await startLdsServedEnvoy(edgeConfig, (b) => withFailurePolicy(b, EDGE, policy));
      scratch = await mkdtemp(join(tmpdir(), 'shadowdiff-modules-'));
      const corrupt = join(scratch, 'corrupt.wasm');
      await writeFile(corrupt, CORRUPT_MODULE);
      await served.pushRejected(withModule(await served.bootstrapWith(edgeConfig), EDGE, corrupt), 1);
      expect(served.envoy.logs()).toContain('Failed to parse corrupted Wasm module');
      await stillServingAndMirroring('/after-corrupt-module');
    },
  );
});
