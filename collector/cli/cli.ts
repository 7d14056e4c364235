// `shadowdiff` command line: `report` and `pair` read a running collector, `collector` starts one.
// Exit codes: 0 ok, 1 the collector failed or answered an error, 2 bad command line or config.

import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type ConfigOverride, type ConfigSources } from '../config.js';
import type { ErrorBody } from '../http/errors.js';
import { CliError } from './cliErrors.js';
import { StartupError } from '../http/startupError.js';
import { renderPair, renderReport } from './reportTable.js';
import { Ajv, type ErrorObject } from 'ajv';
import { formatFieldPath, locateSchemaError } from '../schema/schemaErrors.js';
import { PairViewSchema, ReportSchema } from '../report/reportSchema.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  fetch: typeof fetch;
}

const DEFAULT_URL = 'http://127.0.0.1:8090';
const REQUEST_TIMEOUT_MS = 10_000;

export const USAGE = `usage: shadowdiff <command> [flags]

commands:
  report             print the ranked divergence report
  pair <id>          print one request's two digests and their diff
  collector          start the collector service

report / pair flags:
  --url URL          collector base URL (default ${DEFAULT_URL}, or $SHADOWDIFF_URL)
  --json             print the raw JSON instead of tables
                     ($SHADOWDIFF_REPORT_TOKEN, when set, is sent as the bearer token)
report flags:
  --route ROUTE      only this route, e.g. "GET /orders/{id}"
  --top N            fields per route (default: the collector's report.topK)
collector flags:
  --config FILE      YAML or JSON config file (or $SHADOWDIFF_CONFIG)
  --host HOST        listen host (default 127.0.0.1)
  --port PORT        listen port (default 8090)
  --allow-unauthenticated-exposure
                     listen beyond loopback without both tokens (refused otherwise)
  --roles LIST       Kafka mode: the roles to run, e.g. ingest,report (or $SHADOWDIFF_KAFKA_ROLES)
  --kafka-brokers LIST
                     Kafka mode: bootstrap brokers, e.g. kafka:9092 (or $SHADOWDIFF_KAFKA_BROKERS)

  -h, --help         this text`;

type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

const FLAGS = {
  report: {
    url: { type: 'string' },
    json: { type: 'boolean' },
    route: { type: 'string' },
    top: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  pair: { url: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  collector: {
    config: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    'allow-unauthenticated-exposure': { type: 'boolean' },
    roles: { type: 'string' },
    'kafka-brokers': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
} satisfies Record<string, FlagSpec>;

type Command = keyof typeof FLAGS;

function isCommand(name: string): name is Command {
  return Object.hasOwn(FLAGS, name);
}

class UsageError extends CliError {
  constructor(message: string) {
    super('CLI_USAGE', message);
  }
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    const cliError =
      error instanceof ConfigError
        ? new CliError(error.code, error.message)
        : error instanceof StartupError
          ? new CliError(error.code, `cannot start the collector: ${error.message}`)
          : error;
    if (cliError instanceof CliError) {
      io.stderr(`shadowdiff: ${cliError.message}${cliError.code === 'CLI_USAGE' ? '\n(run shadowdiff --help for usage)' : ''}\n`);
      return cliError.exitCode;
    }
    throw error;
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  if (!isCommand(name)) throw new UsageError(`unknown command "${name}" (expected report, pair or collector)`);
  const { values, positionals } = parseFlags(name, rest);
  if (values.help === true) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  switch (name) {
    case 'report':
      return report(values, positionals, io);
    case 'pair':
      return pair(values, positionals, io);
    case 'collector':
      return collector(values, positionals, io);
  }
}

type FlagValues = Record<string, string | boolean | undefined>;

function parseFlags(command: Command, args: string[]): { values: FlagValues; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options: FLAGS[command], allowPositionals: true, strict: true });
    return { values: parsed.values as FlagValues, positionals: parsed.positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? '';
    const code = (error as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`${command}: unknown flag ${flag}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
      throw new UsageError(`${command}: flag ${flag} ${/argument missing/.test(message) ? 'needs a value' : 'takes no value'}`);
    throw new UsageError(`${command}: ${message}`);
  }
}

function noPositionals(command: Command, positionals: readonly string[]): void {
  if (positionals.length > 0) throw new UsageError(`${command}: unexpected argument "${positionals[0] ?? ''}"`);
}

function stringFlag(values: FlagValues, flag: string): string | undefined {
  const value = values[flag];
  return typeof value === 'string' ? value : undefined;
}

function baseUrl(values: FlagValues, io: CliIo): URL {
  const text = stringFlag(values, 'url') ?? io.env.SHADOWDIFF_URL ?? DEFAULT_URL;
  const origin = stringFlag(values, 'url') === undefined && io.env.SHADOWDIFF_URL !== undefined ? '$SHADOWDIFF_URL' : '--url';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${origin}: "${text}" is not a URL (expected e.g. ${DEFAULT_URL})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`${origin}: "${text}" must be an http:// or https:// URL`);
  return url;
}

async function report(values: FlagValues, positionals: string[], io: CliIo): Promise<number> {
  noPositionals('report', positionals);
  const base = baseUrl(values, io);
  const url = new URL('v1/report', withSlash(base));
  const top = stringFlag(values, 'top');
  if (top !== undefined) {
    if (!/^\d+$/.test(top) || Number(top) < 1 || Number(top) > 1000)
      throw new UsageError(`--top: "${top}" must be a whole number from 1 to 1000`);
    url.searchParams.set('top', top);
  }
  const route = stringFlag(values, 'route');
  if (route !== undefined) url.searchParams.set('route', route);
  const body = await getJson(url, io);
  if (!isReport(body))
    throw new CliError('COLLECTOR_ANSWER', `${url.href} did not answer with a shadowdiff report (${answerProblem(isReport.errors)})`);
  io.stdout(`${values.json === true ? JSON.stringify(body, null, 2) : renderReport(body, base.href)}\n`);
  return 0;
}

async function pair(values: FlagValues, positionals: string[], io: CliIo): Promise<number> {
  const [id, ...extra] = positionals;
  if (id === undefined) throw new UsageError('pair: a correlation id is required (shadowdiff pair <id>)');
  noPositionals('pair', extra);
  const url = new URL(`v1/pairs/${encodeURIComponent(id)}`, withSlash(baseUrl(values, io)));
  const body = await getJson(url, io);
  if (!isPairView(body))
    throw new CliError('COLLECTOR_ANSWER', `${url.href} did not answer with a pair (${answerProblem(isPairView.errors)})`);
  io.stdout(`${values.json === true ? JSON.stringify(body, null, 2) : renderPair(body)}\n`);
  return 0;
}

async function collector(values: FlagValues, positionals: string[], io: CliIo): Promise<number> {
  noPositionals('collector', positionals);
  const sources = sourcesOf(values, io.env);
  const config = loadConfig(sources);
  // Loaded only here, so `report` and `pair` never load Fastify, the pipeline or the store.
  const { startServer } = await import('../http/server.js');
  await startServer(config, { sources, handleSignals: true });
  // Keeps running; the signal handlers end the process.
  return 0;
}

/** The collector's flags that set a configuration field (a list: comma-separated). */
const COLLECTOR_FLAG_FIELDS = { host: 'listen.host', port: 'listen.port', roles: 'kafka.roles', 'kafka-brokers': 'kafka.brokers' } as const;

function sourcesOf(values: FlagValues, env: CliIo['env']): ConfigSources {
  const overrides: ConfigOverride[] = [];
  for (const [flag, field] of Object.entries(COLLECTOR_FLAG_FIELDS)) {
    const value = stringFlag(values, flag);
    if (value !== undefined) overrides.push({ field, value, origin: `--${flag}` });
  }
  if (values['allow-unauthenticated-exposure'] === true) {
    overrides.push({ field: 'listen.allowUnauthenticatedExposure', value: 'true', origin: '--allow-unauthenticated-exposure' });
  }
  return { file: stringFlag(values, 'config'), env, overrides };
}

/** Where `shadowdiff collector <args>` takes its configuration from (for checks of how it is run, e.g. docker-compose.yml). */
export function collectorConfigSources(args: readonly string[], env: CliIo['env']): ConfigSources {
  const { values, positionals } = parseFlags('collector', [...args]);
  noPositionals('collector', positionals);
  return sourcesOf(values, env);
}

function withSlash(url: URL): URL {
  return url.pathname.endsWith('/') ? url : new URL(`${url.href}/`);
}

async function getJson(url: URL, io: CliIo): Promise<unknown> {
  let response: Response;
  try {
    // The report token comes from the environment only: a flag would show in process listings.
    const token = io.env.SHADOWDIFF_REPORT_TOKEN;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined && token !== '') headers.authorization = `Bearer ${token}`;
    response = await io.fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), headers });
  } catch (error) {
    const cause =
      error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
    throw new CliError('COLLECTOR_UNREACHABLE', `cannot reach the collector at ${url.origin}: ${cause}`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new CliError('COLLECTOR_ANSWER', `${url.href} answered ${response.status} with non-JSON: ${text.slice(0, 200)}`);
  }
  if (!response.ok) {
    const error = isErrorBody(body) ? `${body.error.code}: ${body.error.message}` : text.slice(0, 200);
    throw new CliError('COLLECTOR_ANSWER', `${url.href} answered ${response.status}: ${error}`);
  }
  return body;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isErrorBody(value: unknown): value is ErrorBody {
  return isObject(value) && isObject(value.error) && typeof value.error.code === 'string' && typeof value.error.message === 'string';
}

// What a collector answers is checked against the response schemas it serves with, so pointing
// --url at something else (or at a collector of another version) is named, not rendered as junk.
const responses = new Ajv({ strict: true, allErrors: true });
const isReport = responses.compile(ReportSchema);
const isPairView = responses.compile(PairViewSchema);

/** The first schema problem, named like a config field (`totals.records: is required`), and how many more there are. */
function answerProblem(errors: readonly ErrorObject[] | null | undefined): string {
  const located = (errors ?? []).map((error) => locateSchemaError(error)).filter((problem) => problem !== null);
  const first = located[0];
  if (first === undefined) return 'unexpected shape';
  const more = located.length > 1 ? ` (and ${located.length - 1} more)` : '';
  return `${formatFieldPath(first.path) || '(answer)'}: ${first.message}${more}`;
}
