// Runs one version of the order service:
//   npx tsx examples/orders/server.ts --version v2 --port 8082
// Flags win over the environment (ORDERS_VERSION, PORT, HOST). Port 0 picks a free port; the
// first line on stdout is the address it listens on, for scripts to read.

import { parseArgs } from 'node:util';
import { buildOrdersApp, BEHAVIOURS } from './app.js';
import { OrdersStore } from './ordersStore.js';
import type { OrdersVersion } from './versionBehaviour.js';

const USAGE = 'usage: server.ts --version v1|v2 [--port N] [--host ADDRESS]  (or ORDERS_VERSION, PORT, HOST)';

interface LaunchOptions {
  version: OrdersVersion;
  port: number;
  host: string;
}

function isVersion(value: string): value is OrdersVersion {
  return Object.hasOwn(BEHAVIOURS, value);
}

function launchOptions(argv: readonly string[], env: NodeJS.ProcessEnv): LaunchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: { version: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } },
    strict: true,
  });
  const version = values.version ?? env['ORDERS_VERSION'] ?? '';
  if (!isVersion(version)) throw new Error(`version must be v1 or v2, not "${version}"\n${USAGE}`);
  const portText = values.port ?? env['PORT'] ?? '8080';
  const port = Number(portText);
  if (!/^[0-9]+$/.test(portText) || port > 65535) throw new Error(`port must be an integer from 0 to 65535, not "${portText}"\n${USAGE}`);
  return { version, port, host: values.host ?? env['HOST'] ?? '127.0.0.1' };
}

async function main(): Promise<void> {
  const options = launchOptions(process.argv.slice(2), process.env);
  const app = buildOrdersApp({ version: options.version, store: new OrdersStore() });
  const address = await app.listen({ port: options.port, host: options.host });
  process.stdout.write(`orders ${options.version} listening on ${address}\n`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void app.close());
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
