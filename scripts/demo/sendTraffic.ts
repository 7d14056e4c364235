// Sends the demo's traffic plan to an edge Envoy that is already running, e.g. the one of
// docker-compose.yml (its `traffic` service runs this):
//   npx tsx scripts/demo/sendTraffic.ts --url http://127.0.0.1:10000 [--requests N] [--seed N] [--concurrency N]

import { parseArgs } from 'node:util';
import { buildTrafficPlan } from '../../examples/traffic.js';
import { waitUntil } from '../../test/support/waitUntil.js';
import { parseDemoFlags } from './flags.js';
import { ProgressBar } from './progressBar.js';
import { driveTraffic } from './trafficDriver.js';

const USAGE = 'usage: sendTraffic.ts --url EDGE_URL [--requests N] [--seed N] [--concurrency N]';
/** Compose starts the containers at once; Envoy and the Node services take a few seconds to listen. */
const EDGE_READY_TIMEOUT_MS = 120_000;

async function main(argv: readonly string[]): Promise<number> {
  let url: string;
  let plan: { requests: number; seed: number; concurrency: number };
  try {
    const { values } = parseArgs({
      args: [...argv],
      strict: true,
      options: { url: { type: 'string' }, requests: { type: 'string' }, seed: { type: 'string' }, concurrency: { type: 'string' } },
    });
    if (values.url === undefined) throw new Error('--url is required');
    url = values.url.replace(/\/$/, '');
    // The demo's plan flags, with its defaults and checks.
    const command = parseDemoFlags((['requests', 'seed', 'concurrency'] as const).flatMap((flag) => (values[flag] === undefined ? [] : [`--${flag}`, values[flag]])));
    if (command.kind !== 'run') throw new Error('no --help here');
    plan = command.options;
  } catch (error) {
    process.stderr.write(`sendTraffic: ${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  process.stdout.write(`waiting for ${url}/healthz (Envoy and orders v1)\n`);
  await waitUntil(`${url}/healthz to answer 200`, () => edgeServes(url), { timeoutMs: EDGE_READY_TIMEOUT_MS, intervalMs: 1_000 });
  const progress = new ProgressBar(process.stdout, 'traffic');
  const result = await driveTraffic(buildTrafficPlan({ seed: plan.seed, requests: plan.requests }), {
    edgeUrl: url,
    concurrency: plan.concurrency,
    onProgress: (done, total) => progress.update(done, total),
  });
  process.stdout.write(`responses  ${[...result.statuses].map(([status, count]) => `${status}: ${count}`).join('  ')}\n`);
  return 0;
}

/** True once Envoy listens and routes to a primary that answers; connection errors mean "not yet". */
async function edgeServes(url: string): Promise<true | undefined> {
  try {
    const response = await fetch(`${url}/healthz`);
    await response.arrayBuffer();
    return response.ok ? true : undefined;
  } catch {
    return undefined;
  }
}

process.exitCode = await main(process.argv.slice(2));
