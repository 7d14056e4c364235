import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, loadConfig, parseConfig } from '../../collector/config.js';

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a configuration error');
}

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'shadowdiff-config-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('config', () => {
  it('defaults to a loopback listener on 8090 with a 30 s window and no token', () => {
    const config = defaultConfig();
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8090, allowUnauthenticatedExposure: false });
    expect(config.join.windowMs).toBe(30_000);
    expect(config.token).toBe('');
    expect(config.compare.headers).toContain('content-type');
    expect(config.report).toMatchObject({ topK: 10, examplesPerField: 3, noiseThreshold: 0.9 });
  });

  it('reads YAML, fills in the rest from defaults', () => {
    const file = tempFile(
      'collector.yaml',
      ['listen:', '  port: 9999', 'join:', '  windowMs: 5000', 'ignore:', '  fields: ["$.meta.timestamp"]', '  routes:', '    "GET /orders/{id}":', '      fields: ["$.items[*].traceId"]'].join('\n'),
    );
    const config = loadConfig({ file });
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 9999, allowUnauthenticatedExposure: false });
    expect(config.join).toMatchObject({ windowMs: 5000, maxPending: 100_000 });
    expect(config.ignore.routes['GET /orders/{id}']).toEqual({ fields: ['$.items[*].traceId'], headers: [] });
  });

  it('reads JSON too, via $SHADOWDIFF_CONFIG, with environment variables winning over the file', () => {
    const file = tempFile('collector.json', JSON.stringify({ listen: { port: 9000 }, token: 'from-file' }));
    const config = loadConfig({ env: { SHADOWDIFF_CONFIG: file, SHADOWDIFF_PORT: '9100', SHADOWDIFF_TOKEN: '0123' } });
    expect(config.listen.port).toBe(9100);
    expect(config.token).toBe('0123');
  });

  it('keeps numeric-looking text a string where the field is a string', () => {
    const config = loadConfig({ env: { SHADOWDIFF_HOST: '0', SHADOWDIFF_TOKEN: '12345' } });
    expect(config.listen.host).toBe('0');
    expect(config.token).toBe('12345');
  });

  it('takes an empty SHADOWDIFF_STORE_PATH as memory only, as documented; other empty variables count as unset', () => {
    const file = tempFile('stored.yaml', 'store: { path: /var/lib/shadowdiff/collector.sqlite }\ntoken: from-the-file\n');
    const config = loadConfig({ file, env: { SHADOWDIFF_STORE_PATH: '', SHADOWDIFF_TOKEN: '', SHADOWDIFF_PORT: '' } });
    expect(config.store.path).toBe('');
    expect(config.token).toBe('from-the-file');
    expect(config.listen.port).toBe(8090);
    expect(loadConfig({ env: {} }).store.path).toBe('.shadowdiff/collector.sqlite');
  });

  it('turns "true"/"false" into a boolean only where the schema wants one', () => {
    const on = loadConfig({ overrides: [{ field: 'listen.allowUnauthenticatedExposure', value: 'true', origin: '--allow-unauthenticated-exposure' }] });
    expect(on.listen.allowUnauthenticatedExposure).toBe(true);
    expect(defaultConfig().listen.allowUnauthenticatedExposure).toBe(false);
    expect(loadConfig({ env: { SHADOWDIFF_TOKEN: 'true' } }).token).toBe('true');
    expect(configError(() => loadConfig({ overrides: [{ field: 'listen.allowUnauthenticatedExposure', value: 'yes', origin: '--x' }] })).message).toMatch(
      /listen\.allowUnauthenticatedExposure: must be boolean \(from --x\)/,
    );
  });

  it('lets command-line overrides win over the environment', () => {
    const config = loadConfig({ env: { SHADOWDIFF_PORT: '9100' }, overrides: [{ field: 'listen.port', value: '9200', origin: '--port' }] });
    expect(config.listen.port).toBe(9200);
  });

  it('names every bad field, and where an environment value came from', () => {
    const error = configError(() => loadConfig({ env: { SHADOWDIFF_PORT: 'http', SHADOWDIFF_WINDOW_MS: '5' } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.details).toEqual([
      { field: 'listen.port', message: 'must be integer (from SHADOWDIFF_PORT)' },
      { field: 'join.windowMs', message: 'must be >= 100 (from SHADOWDIFF_WINDOW_MS)' },
    ]);
    expect(error.message).toMatch(/listen\.port: must be integer/);
  });

  it('refuses unknown fields so typos do not pass silently', () => {
    const error = configError(() => parseConfig({ join: { windowMS: 1000 } }));
    expect(error.details).toEqual([{ field: 'join.windowMS', message: 'is not a known field' }]);
  });

  it.each([
    [{ listen: { port: 70000 } }, 'listen.port', /<= 65535/],
    [{ listen: { host: '' } }, 'listen.host', /fewer than 1/],
    [{ token: ' padded ' }, 'token', /must match/],
    [{ routes: { max: 0 } }, 'routes.max', />= 1/],
    [{ routes: { templates: ['/a/{b}c'] } }, 'routes.templates[0]', /whole \{name\} parameter/],
    [{ compare: { headers: ['Content-Type'] } }, 'compare.headers[0]', /must match/],
    [{ compare: { headers: ['*', 'etag'] } }, 'compare.headers', /cannot be combined/],
    [{ ignore: { fields: ['meta.ts'] } }, 'ignore.fields[0]', /start with "\$"/],
    [{ ignore: { headers: ['X-A'] } }, 'ignore.headers[0]', /lower-case/],
    [{ ignore: { routes: { 'orders/{id}': { fields: [] } } } }, 'ignore.routes["orders/{id}"]', /start with "\/"/],
    [{ ignore: { routes: { '/a': { fields: ['x'] } } } }, 'ignore.routes["/a"].fields[0]', /start with "\$"/],
    [{ ignore: { routes: { '/a': { field: [] } } } }, 'ignore.routes["/a"].field', /not a known field/],
    [{ report: { noiseThreshold: 0 } }, 'report.noiseThreshold', /> 0/],
    [{ report: { topK: 1000 } }, 'report.topK', /<= 100/],
    [{ pairs: { keepDiverged: -1 } }, 'pairs.keepDiverged', />= 0/],
    [{ bodyLimitBytes: 10 }, 'bodyLimitBytes', />= 1024/],
    [{ logLevel: 'loud' }, 'logLevel', /must be one of/],
    [{ compare: { keyPatterns: ['^sku-(\\d+$'] } }, 'compare.keyPatterns[0]', /not a valid regular expression/],
    [{ compare: { collapseKeys: 'yes' } }, 'compare.collapseKeys', /must be boolean/],
    [{ budget: { pendingBytes: 1000 } }, 'budget.pendingBytes', />= 65536/],
    [{ budget: { talliesBytes: 1.5 } }, 'budget.talliesBytes', /must be integer/],
    [{ budget: { pairsByte: 1 } }, 'budget.pairsByte', /not a known field/],
  ])('refuses %j naming %s', (raw, field, message) => {
    const error = configError(() => parseConfig(raw));
    expect(error.details.map((d) => d.field)).toContain(field);
    expect(error.details.find((d) => d.field === field)?.message).toMatch(message);
  });

  it('names the file when it cannot be read or parsed', () => {
    expect(configError(() => loadConfig({ file: '/nonexistent/collector.yaml' })).message).toMatch(/cannot read config file \/nonexistent\/collector\.yaml/);
    const broken = tempFile('broken.yaml', 'listen: [1, 2\n');
    expect(configError(() => loadConfig({ file: broken })).message).toMatch(/broken\.yaml is not valid YAML/);
    // The yaml library's code frame stays: the offending line and a caret under the column.
    const nested = tempFile('nested.yaml', 'listen:\n  port: : 8090\n');
    expect(configError(() => loadConfig({ file: nested })).message).toBe(
      `config file ${nested} is not valid YAML/JSON: Nested mappings are not allowed in compact mappings at line 2, column 9\n  port: : 8090\n        ^`,
    );
    const twice = tempFile('twice.yaml', 'token: a\ntoken: b\n');
    expect(configError(() => loadConfig({ file: twice })).message).toMatch(/Map keys must be unique at line 2, column 1\ntoken: a\ntoken: b\n\^$/);
    const wrong = tempFile('wrong.yaml', 'join:\n  windowMs: soon\n');
    expect(configError(() => loadConfig({ file: wrong })).message).toMatch(/in .*wrong\.yaml: join\.windowMs: must be integer/);
  });
});
