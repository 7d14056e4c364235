// The demo's command line. Every flag is validated up front, so a typo fails before anything starts
// instead of silently running with a default.

import { parseArgs } from 'node:util';
import { MIN_PLAN_REQUESTS } from '../../examples/traffic.js';

export interface DemoPorts {
  /** Envoy's edge listener, where the traffic goes. */
  edge: number;
  /** Envoy's admin interface: /stats/prometheus is scraped from here. */
  admin: number;
  /** orders v1, the primary. */
  v1: number;
  /** orders v2, the shadow. */
  v2: number;
  /** The second orders v1 instance (with --secondary only). */
  secondary: number;
  collector: number;
}

export interface DemoOptions {
  ports: DemoPorts;
  /** Requests in the traffic plan. */
  requests: number;
  /** Seed of the traffic plan: the same seed sends the same requests. */
  seed: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Exit after printing the report instead of serving until Ctrl-C. */
  once: boolean;
  /** Also run a second orders v1 instance, the secondary, that receives every sampled request. */
  secondary: boolean;
}

export type DemoCommand = { kind: 'run'; options: DemoOptions } | { kind: 'help' };

/** The shipped envoy/envoy.yaml uses the same ports, so the two setups are interchangeable. */
export const DEFAULT_PORTS: DemoPorts = { edge: 10000, admin: 9901, v1: 8081, v2: 8082, secondary: 8083, collector: 8090 };
const DEFAULT_REQUESTS = 800;
const DEFAULT_SEED = 7;
const DEFAULT_CONCURRENCY = 4;

/** Flag name for each port, for usage and for errors that name the flag to change. */
export const PORT_FLAGS: Readonly<Record<keyof DemoPorts, string>> = {
  edge: 'edge-port',
  admin: 'admin-port',
  v1: 'v1-port',
  v2: 'v2-port',
  secondary: 'secondary-port',
  collector: 'collector-port',
};

export const USAGE = `usage: npm run demo -- [flags]

Starts orders v1 (primary) and v2 (shadow), the shadowdiff collector and Envoy with the filter on
127.0.0.1, sends a mixed traffic plan through Envoy, prints the divergence report and keeps running
until Ctrl-C.

flags:
  --once                 exit after printing the report
  --secondary            also run a second orders v1 instance (the secondary) that receives every
                         sampled request: what differs between the two v1s is noise
  --requests N           requests in the traffic plan (default ${DEFAULT_REQUESTS})
  --seed N               seed of the traffic plan (default ${DEFAULT_SEED})
  --concurrency N        requests in flight at once (default ${DEFAULT_CONCURRENCY})
  --edge-port PORT       Envoy edge listener (default ${DEFAULT_PORTS.edge})
  --admin-port PORT      Envoy admin, /stats/prometheus (default ${DEFAULT_PORTS.admin})
  --v1-port PORT         orders v1, the primary (default ${DEFAULT_PORTS.v1})
  --v2-port PORT         orders v2, the shadow (default ${DEFAULT_PORTS.v2})
  --secondary-port PORT  the second orders v1, with --secondary (default ${DEFAULT_PORTS.secondary})
  --collector-port PORT  the collector (default ${DEFAULT_PORTS.collector})
  -h, --help             this text

Port 0 lets the system pick a free port.`;

export class DemoUsageError extends Error {}

/** The ports the run listens on: the secondary's only with --secondary. */
export function portsInUse(options: Pick<DemoOptions, 'ports' | 'secondary'>): Partial<DemoPorts> {
  if (options.secondary) return options.ports;
  const { secondary: _unused, ...others } = options.ports;
  return others;
}

export function parseDemoFlags(argv: readonly string[]): DemoCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        once: { type: 'boolean' },
        secondary: { type: 'boolean' },
        requests: { type: 'string' },
        seed: { type: 'string' },
        concurrency: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(Object.values(PORT_FLAGS).map((flag) => [flag, { type: 'string' as const }])),
      },
    }));
  } catch (error) {
    // node:util's messages already name the flag ("Unknown option '--tpo'").
    throw new DemoUsageError(error instanceof Error ? error.message : String(error));
  }
  if (values['help'] === true) return { kind: 'help' };

  const ports = { ...DEFAULT_PORTS };
  for (const [name, flag] of Object.entries(PORT_FLAGS) as Array<[keyof DemoPorts, string]>) {
    ports[name] = integerFlag(values, flag, DEFAULT_PORTS[name], 0, 65_535);
  }
  return {
    kind: 'run',
    options: {
      ports,
      requests: integerFlag(values, 'requests', DEFAULT_REQUESTS, MIN_PLAN_REQUESTS, 1_000_000),
      seed: integerFlag(values, 'seed', DEFAULT_SEED, 0, 2 ** 31 - 1),
      concurrency: integerFlag(values, 'concurrency', DEFAULT_CONCURRENCY, 1, 256),
      once: values['once'] === true,
      secondary: values['secondary'] === true,
    },
  };
}

function integerFlag(
  values: Record<string, string | boolean | undefined>,
  flag: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = values[flag];
  if (typeof text !== 'string') return fallback;
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || value < min || value > max) {
    throw new DemoUsageError(`--${flag} must be an integer from ${min} to ${max}, not "${text}"`);
  }
  return value;
}
