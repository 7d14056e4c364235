// `shadowdiff collector` as a real process: start-up failures exit 2 with one line naming the
// setting (Kafka mode's legs retention too), the start-up line tells the bound address, binding
// beyond loopback needs both tokens or the explicit flag (and is then warned about), and a client
// hanging up mid-upload is not logged as an error.
import { spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../devkit/paths.js';
import { waitUntil } from '../../../devkit/waitUntil.js';

const BIN = join(PROJECT_ROOT, 'collector/bin/shadowdiff.js');
const scratch = mkdtempSync(join(tmpdir(), 'shadowdiff-startup-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Run {
  output: () => string;
  hasExited: () => boolean;
  exited: Promise<number | null>;
  stop: () => Promise<number | null>;
}

function run(args: string[], env: Record<string, string> = {}, options: { uid?: number; gid?: number } = {}): Run {
  const child = spawn(process.execPath, [BIN, 'collector', ...args], {
    cwd: scratch,
    env: { PATH: process.env.PATH ?? '', SHADOWDIFF_STORE_PATH: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    output: () => output,
    hasExited: () => child.exitCode !== null || child.signalCode !== null,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs until exit; the collector must refuse to start. */
async function refused(
  args: string[],
  env: Record<string, string> = {},
  options: { uid?: number; gid?: number } = {},
): Promise<{ code: number | null; lines: string[] }> {
  const r = run(args, env, options);
  const code = await r.exited;
  return {
    code,
    lines: r
      .output()
      .split('\n')
      .filter((line) => line !== ''),
  };
}

/** Starts a collector and waits for its start-up line; the caller stops it. */
async function started(args: string[], env: Record<string, string> = {}): Promise<Run & { logs: () => Array<Record<string, unknown>> }> {
  const r = run(['--port', '0', ...args], env);
  await waitUntil(
    'the start-up line',
    () => {
      if (r.output().includes('collector listening on')) return true;
      if (r.hasExited()) throw new Error(`exited:\n${r.output()}`);
      return undefined;
    },
    { timeoutMs: 30_000 },
  );
  const logs = () =>
    r
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { ...r, logs };
}

function startupLine(logs: Array<Record<string, unknown>>): string {
  const line = logs.find((entry) => String(entry.msg).includes('collector listening on'));
  return String(line?.msg);
}

async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, server };
}

function expectOneLine(result: { code: number | null; lines: string[] }, pattern: RegExp): void {
  expect(result.code).toBe(2);
  expect(result.lines).toHaveLength(1);
  expect(result.lines[0]).toMatch(/^shadowdiff: cannot start the collector: /);
  expect(result.lines[0]).toMatch(pattern);
  expect(result.lines[0]).not.toMatch(/\bat .*:\d+:\d+|Error:/);
}

describe('collector start-up failures: exit 2, one line naming the setting, no stack trace', () => {
  it('an unresolvable host names listen.host', async () => {
    expectOneLine(
      await refused(['--host', 'no-such-host.invalid', '--port', '0']),
      /listen\.host: "no-such-host\.invalid" does not resolve to an address \((ENOTFOUND|EAI_AGAIN)\)/,
    );
  });

  it('a port in use names listen.port', async () => {
    const { port, server } = await occupiedPort();
    try {
      expectOneLine(
        await refused(['--port', String(port)]),
        new RegExp(`listen\\.port: port ${port} is already in use on 127\\.0\\.0\\.1 \\(EADDRINUSE\\)`),
      );
    } finally {
      server.close();
    }
  });

  it('an address of no interface names listen.host', async () => {
    // 192.0.2.0/24 is TEST-NET-1; the refusal of exposure comes first unless both tokens are set.
    const result = await refused(['--host', '192.0.2.123', '--port', '0'], {
      SHADOWDIFF_TOKEN: 'ingest-token',
      SHADOWDIFF_REPORT_TOKEN: 'report-token',
    });
    expectOneLine(result, /listen\.host: 192\.0\.2\.123 is not an address of this machine \(EADDRNOTAVAIL\)/);
  });

  it('a store directory that cannot be created (its parent is a regular file) names store.path', async () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, '');
    const result = await refused(['--port', '0'], { SHADOWDIFF_STORE_PATH: join(file, 'store', 'collector.sqlite') });
    expectOneLine(result, /store\.path: cannot use ".*a-file\/store\/collector\.sqlite" as the store: ENOTDIR/);
  });

  it('a read-only store directory names store.path', async () => {
    // root ignores permission bits, so as root the collector runs as nobody (65534); the
    // directories it must read are opened up for it and the store directory is read-only.
    const asRoot = process.getuid?.() === 0;
    const dir = mkdtempSync(join(scratch, 'read-only-'));
    const store = join(dir, 'store');
    mkdirSync(store);
    chmodSync(scratch, 0o755);
    chmodSync(dir, 0o755);
    chmodSync(store, 0o555);
    if (asRoot) chownSync(store, 0, 0);
    const result = await refused(
      ['--port', '0'],
      { SHADOWDIFF_STORE_PATH: join(store, 'collector.sqlite') },
      asRoot ? { uid: 65534, gid: 65534 } : {},
    );
    expectOneLine(result, /store\.path: cannot use ".*\/store\/collector\.sqlite" as the store: EACCES: permission denied/);
    expect(readdirSync(store)).toEqual([]);
  });

  it('refuses to listen beyond loopback with neither token, naming what would be open', async () => {
    const neither = await refused(['--host', '0.0.0.0', '--port', '0']);
    expectOneLine(neither, /listen\.host: 0\.0\.0\.0 is beyond loopback \(every IPv4 interface\) and token and reportToken are not set/);
    expect(neither.lines[0]).toContain('POST /v1/batches (no token) and GET /v1/report, /v1/pairs/:id and /metrics (no reportToken)');
    expect(neither.lines[0]).toContain('--allow-unauthenticated-exposure');
  });

  it('refuses to listen beyond loopback with only the ingest token', async () => {
    const onlyIngest = await refused(['--host', '::', '--port', '0'], { SHADOWDIFF_TOKEN: 'ingest-token' });
    expectOneLine(
      onlyIngest,
      /listen\.host: :: is beyond loopback \(every IPv4 and IPv6 interface\) and reportToken is not set, so anyone who reaches it could use GET \/v1\/report, \/v1\/pairs\/:id and \/metrics \(no reportToken\)/,
    );
    expect(onlyIngest.lines[0]).not.toContain('ingest-token');
  });

  it('refuses to listen beyond loopback with only the report token', async () => {
    const onlyReport = await refused(['--host', '0.0.0.0', '--port', '0'], { SHADOWDIFF_REPORT_TOKEN: 'report-token' });
    expectOneLine(onlyReport, /and token is not set, so anyone who reaches it could use POST \/v1\/batches \(no token\):/);
  });

  it('Kafka mode: a legs retention that does not exceed the join window names kafka.legsRetentionMs', async () => {
    const file = join(scratch, 'short-retention.yaml');
    writeFileSync(file, 'join: { windowMs: 30000 }\nkafka: { legsRetentionMs: 20000 }\n');
    // Refused before any broker is reached: the brokers named here serve nothing.
    const result = await refused(['--config', file, '--roles', 'join', '--port', '0'], { SHADOWDIFF_KAFKA_BROKERS: '127.0.0.1:9' });
    expect(result.code).toBe(2);
    expect(result.lines).toEqual([
      `shadowdiff: invalid configuration in ${file}: kafka.legsRetentionMs: 20000 ms does not exceed join.windowMs (30000 ms): ` +
        'Kafka would delete legs whose join window is still open, and a join worker rebuilding its window from the log would count them missing',
    ]);
  });

  it('a YAML error keeps its context line', async () => {
    const file = join(scratch, 'bad.yaml');
    writeFileSync(file, 'listen:\n  port: : 8090\n');
    const r = run(['--config', file]);
    expect(await r.exited).toBe(2);
    expect(r.output()).toBe(
      `shadowdiff: config file ${file} is not valid YAML/JSON: Nested mappings are not allowed in compact mappings at line 2, column 9\n  port: : 8090\n        ^\n`,
    );
  });
});

describe('the start-up line tells where the collector is bound', () => {
  it.each([
    ['127.0.0.1', /listening on http:\/\/127\.0\.0\.1:\d+, batches at POST \/v1\/batches$/],
    ['0.0.0.0', /listening on http:\/\/0\.0\.0\.0:\d+ \(every IPv4 interface\), batches/],
    ['::', /listening on http:\/\/\[::\]:\d+ \(every IPv4 and IPv6 interface\), batches/],
  ])('%s', async (host, line) => {
    // Both tokens set: this is about the address, not the exposure rules.
    const c = await started(['--host', host], { SHADOWDIFF_TOKEN: 'ingest-token', SHADOWDIFF_REPORT_TOKEN: 'report-token' });
    try {
      expect(startupLine(c.logs())).toMatch(line);
      expect(c.logs().some((entry) => entry.level === 40)).toBe(false);
    } finally {
      expect(await c.stop()).toBe(0);
    }
  });

  it('a host name: every address it was bound to', async () => {
    const c = await started(['--host', 'localhost']);
    try {
      const port = /listening on http:\/\/[^:]+:(\d+)/.exec(startupLine(c.logs()))?.[1] ?? /\]:(\d+)/.exec(startupLine(c.logs()))?.[1];
      const addresses = (await lookup('localhost', { all: true })).map(
        ({ address, family }) => `http://${family === 6 ? `[${address}]` : address}:${port}`,
      );
      const listed = /listening on (.*), batches/.exec(startupLine(c.logs()))?.[1]?.split(' and ') ?? [];
      expect(listed.sort()).toEqual(addresses.sort());
    } finally {
      expect(await c.stop()).toBe(0);
    }
  });
});

describe('exposure intended with --allow-unauthenticated-exposure', () => {
  it('starts and warns, naming the open side', async () => {
    const c = await started(['--host', '0.0.0.0', '--allow-unauthenticated-exposure'], { SHADOWDIFF_TOKEN: 'ingest-token' });
    try {
      const warnings = c.logs().filter((entry) => entry.level === 40);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ exposed: ['0.0.0.0'], open: ['GET /v1/report, /v1/pairs/:id and /metrics (no reportToken)'] });
      expect(String(warnings[0]?.msg)).toMatch(
        /^0\.0\.0\.0 is beyond loopback \(every IPv4 interface\) without authentication, as listen\.allowUnauthenticatedExposure allows/,
      );
      expect(c.output()).not.toContain('ingest-token');
    } finally {
      expect(await c.stop()).toBe(0);
    }
  });

  it('the config field does the same', async () => {
    const file = join(scratch, 'exposed.yaml');
    writeFileSync(file, 'listen: { host: 0.0.0.0, port: 0, allowUnauthenticatedExposure: true }\n');
    const c = await started(['--config', file]);
    try {
      expect(
        c
          .logs()
          .filter((entry) => entry.level === 40)
          .map((entry) => entry.open),
      ).toEqual([['POST /v1/batches (no token)', 'GET /v1/report, /v1/pairs/:id and /metrics (no reportToken)']]);
    } finally {
      expect(await c.stop()).toBe(0);
    }
  });

  it('on loopback nothing is exposed and nothing is warned about', async () => {
    const c = await started(['--allow-unauthenticated-exposure']);
    try {
      expect(c.logs().filter((entry) => Number(entry.level) >= 40)).toEqual([]);
    } finally {
      expect(await c.stop()).toBe(0);
    }
  });
});

describe('running', () => {
  it('SHADOWDIFF_STORE_PATH="" keeps everything in memory', async () => {
    const dir = mkdtempSync(join(scratch, 'memory-'));
    const file = join(dir, 'collector.yaml');
    writeFileSync(file, `store: { path: ${JSON.stringify(join(dir, 'store', 'collector.sqlite'))}, snapshotIntervalMs: 100 }\n`);
    const c = await started(['--config', file], { SHADOWDIFF_STORE_PATH: '' });
    try {
      expect(c.logs().find((entry) => String(entry.msg).includes('listening on'))).toMatchObject({ store: 'memory only' });
    } finally {
      expect(await c.stop()).toBe(0);
    }
    expect(existsSync(join(dir, 'store'))).toBe(false);
  });

  it('a client hanging up mid-upload is logged at info, not as an error', async () => {
    const c = await started([], { SHADOWDIFF_LOG_LEVEL: 'debug' });
    try {
      const url = new URL(/listening on (http:\/\/[^,\s]+)/.exec(startupLine(c.logs()))?.[1] ?? '');
      await new Promise<void>((resolve, reject) => {
        const socket = connect(Number(url.port), url.hostname, () => {
          // Half of a 1,000-byte body, then the connection closes.
          socket.write('POST /v1/batches HTTP/1.1\r\nhost: collector\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n');
          socket.write(`{"v":1,"source":"edge","records":[${' '.repeat(480)}`, () => setTimeout(() => socket.destroy(), 100));
        });
        socket.on('error', reject);
        socket.on('close', () => resolve());
      });
      const aborted = await waitUntil('the abort to be logged', () => c.logs().find((entry) => entry.code === 'CLIENT_ABORTED'));
      expect(aborted).toMatchObject({ level: 30, msg: 'the client closed the connection before its request was received' });
      expect(c.logs().filter((entry) => Number(entry.level) >= 50)).toEqual([]);
      const metrics = await (await fetch(new URL('/metrics', url))).text();
      expect(metrics).toMatch(/shadowdiff_collector_rejects_total\{code="CLIENT_ABORTED"\} 1/);
    } finally {
      expect(await c.stop()).toBe(0);
    }
  });
});
