// The demo's command line: defaults, every flag, and errors that name the flag.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PORTS, parseDemoFlags, portsInUse } from '../../scripts/demo/flags.js';
import { PROJECT_ROOT } from '../../devkit/paths.js';

describe('parseDemoFlags', () => {
  it('defaults to the ports of envoy/envoy.yaml, serving until Ctrl-C', () => {
    expect(parseDemoFlags([])).toEqual({
      kind: 'run',
      options: { ports: DEFAULT_PORTS, requests: 800, seed: 7, concurrency: 4, once: false, secondary: false },
    });
    // envoy/envoy.yaml's secondary is on 8083 too
    expect(DEFAULT_PORTS).toEqual({ edge: 10000, admin: 9901, v1: 8081, v2: 8082, secondary: 8083, collector: 8090 });
  });

  it('takes every flag', () => {
    const argv = [
      '--once',
      '--requests',
      '50',
      '--seed',
      '3',
      '--concurrency',
      '2',
      '--edge-port',
      '1',
      '--admin-port',
      '2',
      '--v1-port',
      '3',
      '--v2-port',
      '4',
      '--secondary',
      '--secondary-port',
      '5',
      '--collector-port',
      '0',
    ];
    expect(parseDemoFlags(argv)).toEqual({
      kind: 'run',
      options: {
        ports: { edge: 1, admin: 2, v1: 3, v2: 4, secondary: 5, collector: 0 },
        requests: 50,
        seed: 3,
        concurrency: 2,
        once: true,
        secondary: true,
      },
    });
    expect(parseDemoFlags(['-h'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['--onse'], "Unknown option '--onse'"],
    [['--edge-port', '70000'], '--edge-port must be an integer from 0 to 65535, not "70000"'],
    [['--secondary-port', '8o83'], '--secondary-port must be an integer from 0 to 65535, not "8o83"'],
    [['--requests', '3'], '--requests must be an integer from 7 to 1000000, not "3"'],
    [['--concurrency', 'many'], '--concurrency must be an integer from 1 to 256, not "many"'],
    [['extra'], "Unexpected argument 'extra'"],
  ])('refuses %j', (argv, message) => {
    expect(() => parseDemoFlags(argv)).toThrow(message);
  });
});

describe('portsInUse', () => {
  it("leaves the secondary's port out unless the run has a secondary, so only --secondary needs it free", () => {
    const { secondary: _secondary, ...withoutSecondary } = DEFAULT_PORTS;
    expect(portsInUse({ ports: DEFAULT_PORTS, secondary: false })).toEqual(withoutSecondary);
    expect(portsInUse({ ports: DEFAULT_PORTS, secondary: true })).toEqual(DEFAULT_PORTS);
  });
});

describe('scripts/demo/main.ts', () => {
  it('exits 2 on an unknown flag, naming it, before starting anything', async () => {
    const result = await runDemoScript('main.ts', ['--once', '--colector-port', '1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("demo: Unknown option '--colector-port'");
    expect(result.stderr).toContain('usage: npm run demo');
  });
});

describe('scripts/demo/sendTraffic.ts', () => {
  it.each([
    [[], 'sendTraffic: --url is required'],
    [['--url', 'http://127.0.0.1:1', '--requests', 'lots'], 'sendTraffic: --requests must be an integer from 7 to 1000000, not "lots"'],
    [['--url', 'http://127.0.0.1:1', '--wait'], "sendTraffic: Unknown option '--wait'"],
  ])('exits 2 on %j, naming the problem, before sending anything', async (argv, message) => {
    const result = await runDemoScript('sendTraffic.ts', argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('usage: sendTraffic.ts --url EDGE_URL');
  });
});

function runDemoScript(file: string, argv: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(PROJECT_ROOT, 'scripts', 'demo', file), ...argv],
      { cwd: PROJECT_ROOT },
      (error, _stdout, stderr) => resolve({ code: error === null ? 0 : (error.code as number), stderr }),
    );
  });
}
