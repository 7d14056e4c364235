// The collector's configuration: defaults < config file (YAML or JSON) < environment < command
// line. Validated once at start-up; every error names the field and, when it came from the
// environment or a flag, where it came from. Unknown fields are refused so typos do not pass.

import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse as parseYaml, YAMLError } from 'yaml';
import { fieldGlobProblem, headerGlobProblem } from './compare/ignoreRules.js';
import { templateProblem } from './compare/routeTemplate.js';
import { keyPatternProblem } from './compare/fieldRows.js';
import { toleranceProblem } from './compare/tolerance.js';
import { kafkaConfigProblems } from './kafka/kafkaConfig.js';
import { formatFieldPath, locateSchemaError, type ErrorDetail } from './schema/schemaErrors.js';
import { CONFIG_SCHEMA, type CollectorConfig } from './configSchema.js';

/** A configuration that cannot be used; `details` names every bad field. Not an HTTP error: it stops start-up or a reload. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';

  constructor(
    message: string,
    readonly details: ErrorDetail[],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

const validateConfig = new Ajv({ strict: true, allErrors: true, useDefaults: true }).compile<CollectorConfig>(CONFIG_SCHEMA);

/** Where a setting came from, for error messages. */
export type Origins = Map<string, string>;

export interface ConfigOverride {
  /** dotted field path, e.g. `listen.port` */
  field: string;
  value: string;
  /** e.g. `SHADOWDIFF_PORT` or `--port` */
  origin: string;
}

/**
 * Environment variables the collector reads, and the field each sets. An empty variable counts as
 * unset, except where the empty value means something (`store.path: ""` is memory only).
 */
export const ENVIRONMENT: ReadonlyArray<{ name: string; field: string; emptyIsValue?: true }> = [
  { name: 'SHADOWDIFF_HOST', field: 'listen.host' },
  { name: 'SHADOWDIFF_PORT', field: 'listen.port' },
  { name: 'SHADOWDIFF_TOKEN', field: 'token' },
  { name: 'SHADOWDIFF_REPORT_TOKEN', field: 'reportToken' },
  { name: 'SHADOWDIFF_STORE_PATH', field: 'store.path', emptyIsValue: true },
  { name: 'SHADOWDIFF_WINDOW_MS', field: 'join.windowMs' },
  { name: 'SHADOWDIFF_MAX_PENDING', field: 'join.maxPending' },
  { name: 'SHADOWDIFF_BODY_LIMIT_BYTES', field: 'bodyLimitBytes' },
  { name: 'SHADOWDIFF_LOG_LEVEL', field: 'logLevel' },
  // Lists, comma-separated: `ingest,report`, `kafka-1:9092,kafka-2:9092`.
  { name: 'SHADOWDIFF_KAFKA_ROLES', field: 'kafka.roles' },
  { name: 'SHADOWDIFF_KAFKA_BROKERS', field: 'kafka.brokers' },
  { name: 'SHADOWDIFF_KAFKA_PARTITIONS', field: 'kafka.partitions' },
  { name: 'SHADOWDIFF_KAFKA_REPLICATION_FACTOR', field: 'kafka.replicationFactor' },
];
export const CONFIG_FILE_ENV = 'SHADOWDIFF_CONFIG';

export interface ConfigSources {
  /** path of a YAML or JSON file; falls back to $SHADOWDIFF_CONFIG */
  file?: string | undefined;
  env?: Readonly<Record<string, string | undefined>>;
  /** command-line flags; win over everything */
  overrides?: readonly ConfigOverride[];
}

export function loadConfig(sources: ConfigSources = {}): CollectorConfig {
  const env = sources.env ?? {};
  const file = sources.file ?? env[CONFIG_FILE_ENV];
  const raw = file === undefined || file === '' ? {} : readConfigFile(file);
  const origins: Origins = new Map();
  const overrides: ConfigOverride[] = [];
  for (const { name, field, emptyIsValue } of ENVIRONMENT) {
    const value = env[name];
    if (value !== undefined && (value !== '' || emptyIsValue === true)) overrides.push({ field, value, origin: name });
  }
  overrides.push(...(sources.overrides ?? []));
  for (const override of overrides) {
    applyOverride(raw, override);
    origins.set(override.field, override.origin);
  }
  return parseConfig(raw, origins, file);
}

/** The defaults, as a complete configuration. */
export function defaultConfig(): CollectorConfig {
  return parseConfig({});
}

/** Validates a raw configuration object and fills in defaults. Throws CONFIG_INVALID naming every bad field. */
export function parseConfig(raw: unknown, origins: Origins = new Map(), file?: string): CollectorConfig {
  const config: unknown = structuredClone(raw ?? {});
  const where = file === undefined ? '' : ` in ${file}`;
  if (!validateConfig(config)) {
    const details: ErrorDetail[] = [];
    for (const error of validateConfig.errors ?? []) {
      const located = locateSchemaError(error);
      if (located === null) continue;
      details.push(fieldError(formatFieldPath(located.path) || '(config)', located.message, origins));
    }
    throw new ConfigError(`invalid configuration${where}: ${summarize(details)}`, details);
  }
  const details = semanticProblems(config).map((p) => fieldError(p.field, p.message, origins));
  if (details.length > 0) {
    throw new ConfigError(`invalid configuration${where}: ${summarize(details)}`, details);
  }
  return config;
}

function fieldError(field: string, message: string, origins: Origins): ErrorDetail {
  // An item of a list set from the environment or a flag (`kafka.roles[1]`) came from there too.
  const origin = origins.get(field) ?? origins.get(field.replace(/\[\d+\]$/, ''));
  return { field, message: origin === undefined ? message : `${message} (from ${origin})` };
}

function summarize(details: readonly ErrorDetail[]): string {
  return details.map((d) => `${d.field}: ${d.message}`).join('; ');
}

/** Constraints a JSON schema cannot express: template and glob syntax, `*` standing alone, the kafka section's relations. */
function semanticProblems(config: CollectorConfig): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  const check = (field: string, problem: string | null): void => {
    if (problem !== null) problems.push({ field, message: problem });
  };
  config.routes.templates.forEach((t, i) => check(`routes.templates[${i}]`, templateProblem(t)));
  config.compare.keyPatterns.forEach((p, i) => check(`compare.keyPatterns[${i}]`, keyPatternProblem(p)));
  config.compare.tolerances.forEach((t, i) => {
    check(`compare.tolerances[${i}].path`, fieldGlobProblem(t.path));
    check(`compare.tolerances[${i}]`, toleranceProblem(t));
  });
  if (config.compare.headers.includes('*') && config.compare.headers.length > 1) {
    check('compare.headers', '"*" (every digested header) cannot be combined with names');
  }
  const checkRules = (prefix: string, rules: { fields: string[]; headers: string[] }): void => {
    rules.fields.forEach((g, i) => check(`${prefix}.fields[${i}]`, fieldGlobProblem(g)));
    rules.headers.forEach((g, i) => check(`${prefix}.headers[${i}]`, headerGlobProblem(g)));
  };
  problems.push(...kafkaConfigProblems(config));
  checkRules('ignore', config.ignore);
  for (const [key, rules] of Object.entries(config.ignore.routes)) {
    const prefix = formatFieldPath(['ignore', 'routes', key]);
    check(prefix, routeKeyProblem(key));
    checkRules(prefix, rules);
  }
  return problems;
}

/** Keys of ignore.routes: a route as the report names it, or a path template for every method. */
function routeKeyProblem(key: string): string | null {
  if (key === 'other') return null;
  const space = key.indexOf(' ');
  const template = space < 0 ? key : key.slice(space + 1);
  if (space >= 0 && !/^[A-Za-z]{1,16}$/.test(key.slice(0, space))) {
    return 'must be a route such as "GET /orders/{id}" or a path template such as "/orders/{id}"';
  }
  const problem = templateProblem(template);
  return problem === null ? null : `route template ${problem}`;
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`cannot read config file ${file}: ${reason}`, [{ field: '(file)', message: reason }]);
  }
  try {
    return parseYaml(text) ?? {};
  } catch (error) {
    const { reason, context } = yamlProblem(error);
    throw new ConfigError(`config file ${file} is not valid YAML/JSON: ${reason}${context === '' ? '' : `\n${context}`}`, [
      { field: '(file)', message: reason },
    ]);
  }
}

/**
 * The yaml library's message is "<what> at line L, column C:", a blank line, then the offending
 * line(s) with a caret under the column. The first line says what; the frame is kept (as the
 * message's second part) because "line 2, column 9" alone sends people counting characters.
 */
function yamlProblem(error: unknown): { reason: string; context: string } {
  if (!(error instanceof YAMLError)) return { reason: error instanceof Error ? error.message : String(error), context: '' };
  const [first = '', ...rest] = error.message.split('\n');
  const frame = rest.join('\n').replace(/^\n+|\s+$/g, '');
  return { reason: first.replace(/:$/, ''), context: frame };
}

/**
 * Sets `field` in `raw`; text becomes a number or boolean only where the schema wants one, and a
 * comma-separated list where it wants an array, so the schema judges the value.
 */
function applyOverride(raw: unknown, override: ConfigOverride): void {
  if (typeof raw !== 'object' || raw === null) return;
  const keys = override.field.split('.');
  let target = raw as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    const next = target[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) target[key] = {};
    target = target[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1] ?? override.field;
  const type = schemaType(keys);
  const numeric = (type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(override.value);
  const boolean = type === 'boolean' && (override.value === 'true' || override.value === 'false');
  if (type === 'array') {
    target[last] = override.value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    return;
  }
  target[last] = numeric ? Number(override.value) : boolean ? override.value === 'true' : override.value;
}

function schemaType(keys: readonly string[]): unknown {
  let node: unknown = CONFIG_SCHEMA;
  for (const key of keys) {
    const properties: unknown = typeof node === 'object' && node !== null && 'properties' in node ? node.properties : undefined;
    node =
      typeof properties === 'object' && properties !== null && Object.hasOwn(properties, key)
        ? (properties as Record<string, unknown>)[key]
        : undefined;
  }
  return typeof node === 'object' && node !== null && 'type' in node ? node.type : undefined;
}
