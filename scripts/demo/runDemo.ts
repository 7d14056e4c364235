// The demo from start to report: Envoy found (or installed), ports checked, the stack started, the
// traffic plan sent through the edge with a progress bar, and, once every digest is joined, the
// mirroring per segment and the collector's ranked report printed with the collector's own tables.
// The stack is left running for the caller, which decides when to stop it.

import { renderReport } from '../../collector/cli/reportTable.js';
import type { Report } from '../../collector/types.js';
import { bearerCredentials, demoSigningKey } from '../../examples/identity/demoIdentity.js';
import { buildTrafficPlan, type Segment } from '../../examples/traffic.js';
import { findEnvoy } from '../../devkit/findEnvoy.js';
import { DEMO_HOST, demoCollectorConfig, startDemoStack, type DemoStack, type DemoUrls } from './demoStack.js';
import { portsInUse, type DemoOptions } from './flags.js';
import { LATENCY_BY_ROUTE_TITLE, renderLatencyByRoute } from './latencyByRoute.js';
import { renderProvenNoise } from './provenNoise.js';
import { assertPortsFree } from './portCheck.js';
import { ProgressBar, type ProgressOutput } from './progressBar.js';
import { renderSegmentMirroring, segmentMirroring, type SegmentMirroring } from './segmentMirroring.js';
import { fetchReport, settledReport } from './settle.js';
import { driveTraffic, type TrafficResult } from './trafficDriver.js';

/** Mirrored copies and a 200 ms flush settle in well under a second; more means something is stuck. */
const SETTLE_TIMEOUT_MS = 15_000;

export interface DemoIo {
  out: ProgressOutput;
  /** Aborting (Ctrl-C) stops the traffic; runDemo then stops the stack and rejects. */
  signal?: AbortSignal;
}

export interface DemoRun {
  stack: DemoStack;
  traffic: TrafficResult;
  mirroring: SegmentMirroring[];
  report: Report;
  /** False when some leg was still pending at SETTLE_TIMEOUT_MS: the report then says how many. */
  settled: boolean;
}

export async function runDemo(options: DemoOptions, io: DemoIo): Promise<DemoRun> {
  const say = (...lines: string[]): void => io.out.write(`${(lines.length === 0 ? [''] : lines).join('\n')}\n`);
  say('shadowdiff demo: orders v1 (primary) against v2 (shadow), mirrored through Envoy');
  const envoyBinary = await findEnvoy({ install: true });
  say(`envoy      ${envoyBinary}`);
  await assertPortsFree(DEMO_HOST, portsInUse(options));
  const stack = await startDemoStack(options.ports, { secondary: options.secondary });
  try {
    io.signal?.throwIfAborted();
    printStarted(say, stack.urls);

    const plan = buildTrafficPlan({ seed: options.seed, requests: options.requests });
    const sentBySegment = new Map<Segment, number>();
    for (const request of plan) sentBySegment.set(request.segment, (sentBySegment.get(request.segment) ?? 0) + 1);
    say();
    const progress = new ProgressBar(io.out, 'traffic');
    const traffic = await driveTraffic(plan, {
      edgeUrl: stack.urls.edge,
      concurrency: options.concurrency,
      credentials: bearerCredentials(demoSigningKey()),
      onProgress: (done, total) => progress.update(done, total),
      ...(io.signal === undefined ? {} : { signal: io.signal }),
    });
    say(
      `responses  ${[...traffic.statuses]
        .sort(([a], [b]) => a - b)
        .map(([status, count]) => `${status}: ${count}`)
        .join('  ')}`,
    );

    const settled = await settledReport(stack.envoy, stack.urls.collector, SETTLE_TIMEOUT_MS);
    const report = settled ?? (await fetchReport(stack.urls.collector));
    const mirroring = segmentMirroring(sentBySegment, await stack.envoy.stats(), stack.edgeFilterConfig);

    say(
      '',
      'mirrored by segment (the edge filter samples users by their verified token, sticky per user)',
      renderSegmentMirroring(mirroring),
    );
    say(
      `shadow writes: v2 stored ${stack.stores.v2.writes.length} orders (mirrored creates carry x-shadowdiff-shadow: 1); v1 stored ${stack.stores.v1.writes.length}`,
    );
    if (stack.secondaryStore !== undefined) {
      // v1 ignores the marker: the demo's secondary writes, but only to a store of its own.
      say(
        `secondary writes: the second v1 stored ${stack.secondaryStore.writes.length} mirrored orders in a store of its own (v1 ignores the marker)`,
      );
    }
    if (settled === null) say(`warning: ${report.totals.pending} legs still waiting for their partner after ${SETTLE_TIMEOUT_MS / 1000} s`);
    say('', renderReport(report, stack.urls.collector), '');
    const provenNoise = renderProvenNoise(report);
    if (provenNoise !== null) say(provenNoise, '');
    say(LATENCY_BY_ROUTE_TITLE, renderLatencyByRoute(report), '');
    printWhereToLook(say, stack.urls);
    return { stack, traffic, mirroring, report, settled: settled !== null };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

function printStarted(say: (...lines: string[]) => void, urls: DemoUrls): void {
  say(
    `orders v1  ${urls.v1}  (primary)`,
    `orders v2  ${urls.v2}  (shadow: five seeded regressions)`,
    ...(urls.secondary === undefined ? [] : [`orders v1  ${urls.secondary}  (secondary: the same version again, for noise)`]),
    `collector  ${urls.collector}  (config ${demoCollectorConfig(urls.secondary !== undefined)})`,
    `envoy      edge ${urls.edge}, admin ${urls.envoyAdmin}`,
  );
}

function printWhereToLook(say: (...lines: string[]) => void, urls: DemoUrls): void {
  say(
    'where to look',
    `  report (JSON)        ${urls.collector}/v1/report`,
    `  report (tables)      npx shadowdiff report --url ${urls.collector}`,
    `  one request          npx shadowdiff pair <example id from the report> --url ${urls.collector}`,
    `  collector metrics    ${urls.collector}/metrics`,
    `  filter metrics       ${urls.envoyAdmin}/stats/prometheus   (wasmcustom.shadowdiff.*)`,
    `  send more traffic    curl -H '${employeeAuthorization()}' '${urls.edge}/orders/ord-1005?currency=GBP'`,
    '                       (an employee token signed with the demo-only key of examples/identity/; a plain x-verified-user-group header is removed at the edge)',
  );
}

function employeeAuthorization(): string {
  return Object.entries(bearerCredentials(demoSigningKey())({ id: 'me', group: 'employee' }))
    .map(([name, value]) => `${name}: ${value}`)
    .join('');
}
