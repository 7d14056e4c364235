import { describe, expect, it } from 'vitest';
import { startServer } from '../../collector/server.js';
import { batch, config, legs } from './fixtures.js';

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('startServer', () => {
  it('listens on loopback, serves batches over real HTTP, and closes without leaving timers', async () => {
    const before = timers();
    const server = await startServer(
      config((c) => {
        c.listen.port = 0;
        c.logLevel = 'silent';
      }),
    );
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${server.url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch(legs('s-1'))) });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ accepted: 2 });
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: 'ready' });
    await server.close();
    await server.close();
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it('installs signal handlers only when asked, and removes them on close', async () => {
    const before = process.listenerCount('SIGTERM');
    const server = await startServer(
      config((c) => {
        c.listen.port = 0;
        c.logLevel = 'silent';
      }),
      { handleSignals: true },
    );
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    expect(process.listenerCount('SIGHUP')).toBeGreaterThan(0);
    await server.close();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});
