// The launcher: starts one version on the port it is given and says where it listens.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SERVER = fileURLToPath(new URL('../../examples/orders/server.ts', import.meta.url));

function launch(args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, ['--import', 'tsx', SERVER, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('examples/orders/server.ts', () => {
  it('listens on the port given (0: any free one), prints the address, and stops on SIGTERM', async () => {
    const child = launch(['--version', 'v2', '--port', '0']);
    try {
      const [firstLine] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const address = /^orders v2 listening on (http:\/\/127\.0\.0\.1:[0-9]+)$/.exec(firstLine)?.[1];
      expect(address, firstLine).toBeDefined();
      const response = await fetch(`${address}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });

  it('takes the version from ORDERS_VERSION when no flag is given', async () => {
    const child = launch(['--port', '0'], { ORDERS_VERSION: 'v1' });
    try {
      const [firstLine] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      expect(firstLine).toMatch(/^orders v1 listening on /);
    } finally {
      child.kill('SIGTERM');
    }
    await once(child, 'exit');
  });

  it('refuses an unknown version with a usage line and exit code 1', async () => {
    const child = launch(['--version', 'v3', '--port', '0'], { ORDERS_VERSION: '' });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(stderr).toContain('version must be v1 or v2, not "v3"');
    expect(stderr).toContain('usage:');
  });
});
