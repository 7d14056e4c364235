// Sends the demo's traffic plan to an edge Envoy that is already running, e.g. the one of
// docker-compose.yml (its `traffic` service runs this):
//   npx tsx scripts/demo/sendTraffic.ts --url http://127.0.0.1:10000 [--wait-for URL ...] [--requests N] [--seed N] [--concurrency N]
// --wait-for polls a URL until it answers 2xx before the first request: compose starts every
// container at once, and the services take a few seconds to listen. The readiness checks go to
// each part directly, not through the edge, where the filter could mirror them into the report.

import { parseArgs } from 'node:util';
import { bearerCredentials, demoSigningKey } from '../../examples/identity/demoIdentity.js';
import { buildTrafficPlan } from '../../examples/traffic.js';
import { waitUntil } from '../../devkit/waitUntil.js';
import { parseDemoFlags } from './flags.js';
import { ProgressBar } from './progressBar.js';
import { driveTraffic } from './trafficDriver.js';

const USAGE = 'usage: sendTraffic.ts --url EDGE_URL [--wait-for URL ...] [--requests N] [--seed N] [--concurrency N]';
const READY_TIMEOUT_MS = 120_000;

interface SendOptions {
  url: string;
  waitFor: string[];
  requests: number;
  seed: number;
  concurrency: number;
}

function parseSendFlags(argv: readonly string[]): SendOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      url: { type: 'string' },
      'wait-for': { type: 'string', multiple: true },
      requests: { type: 'string' },
      seed: { type: 'string' },
      concurrency: { type: 'string' },
    },
  });
  if (values.url === undefined) throw new Error('--url is required');
  // The demo's plan flags, with its defaults and checks.
  const command = parseDemoFlags(
    (['requests', 'seed', 'concurrency'] as const).flatMap((flag) => (values[flag] === undefined ? [] : [`--${flag}`, values[flag]])),
  );
  if (command.kind !== 'run') throw new Error('the plan flags asked for help');
  const { requests, seed, concurrency } = command.options;
  return { url: values.url.replace(/\/$/, ''), waitFor: values['wait-for'] ?? [], requests, seed, concurrency };
}

async function answers2xx(url: string): Promise<true | undefined> {
  try {
    const response = await fetch(url);
    await response.arrayBuffer();
    return response.ok ? true : undefined;
  } catch {
    // Not listening yet.
    return undefined;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let options: SendOptions;
  try {
    options = parseSendFlags(argv);
  } catch (error) {
    process.stderr.write(`sendTraffic: ${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  for (const url of options.waitFor) {
    process.stdout.write(`waiting for ${url}\n`);
    await waitUntil(`${url} to answer 2xx`, () => answers2xx(url), { timeoutMs: READY_TIMEOUT_MS, intervalMs: 1_000 });
  }
  const progress = new ProgressBar(process.stdout, 'traffic');
  const result = await driveTraffic(buildTrafficPlan({ seed: options.seed, requests: options.requests }), {
    edgeUrl: options.url,
    concurrency: options.concurrency,
    credentials: bearerCredentials(demoSigningKey()),
    onProgress: (done, total) => progress.update(done, total),
  });
  process.stdout.write(
    `responses  ${[...result.statuses]
      .sort(([a], [b]) => a - b)
      .map(([status, count]) => `${status}: ${count}`)
      .join('  ')}\n`,
  );
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
