import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../collector/config.js';
import type { Report } from '../../../collector/types.js';
import { startServer } from '../../../collector/http/server.js';
import { StartupError } from '../../../collector/http/startupError.js';
import { batch, batchV2, config, legs } from '../fixtures.js';

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
    const response = await fetch(`${server.url}/v1/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batch(legs('s-1'))),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ accepted: 2 });
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: 'ready' });
    await server.close();
    await server.close();
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it('a port in use is a StartupError naming listen.port, and the half-started app leaves no timers', async () => {
    const quiet = (port: number) =>
      config((c) => {
        c.listen.port = port;
        c.logLevel = 'silent';
        c.store.path = '';
      });
    const first = await startServer(quiet(0));
    const before = timers();
    const port = Number(new URL(first.url).port);
    const failed = await startServer(quiet(port)).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(StartupError);
    expect(failed).toMatchObject({
      code: 'STARTUP_FAILED',
      setting: 'listen.port',
      message: `listen.port: port ${port} is already in use on 127.0.0.1 (EADDRINUSE)`,
    });
    expect(timers()).toBeLessThanOrEqual(before);
    await first.close();
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

  it('reloads ignore rules from the config file on SIGHUP, and keeps the old ones if the file is bad', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'shadowdiff-hup-')), 'collector.yaml');
    writeFileSync(file, 'listen: { port: 0 }\nlogLevel: silent\nstore: { path: "" }\n');
    const sources = { file };
    const server = await startServer(loadConfig(sources), { sources, handleSignals: true });
    const post = (id: string) =>
      fetch(`${server.url}/v1/batches`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(batch(legs(id, { fields: { '$.id': '0000002a', '$.total': '99999999' } }))),
      });
    const diverged = async () => ((await (await fetch(`${server.url}/v1/report`)).json()) as Report).totals.diverged;
    try {
      await post('hup-1');
      writeFileSync(file, 'listen: { port: 0 }\nlogLevel: silent\nstore: { path: "" }\nignore: { fields: ["$.total"] }\n');
      process.emit('SIGHUP', 'SIGHUP');
      await post('hup-2');
      expect(await diverged()).toBe(1);
      writeFileSync(file, 'ignore: { fields: ["no-dollar"] }\n');
      process.emit('SIGHUP', 'SIGHUP');
      await post('hup-3');
      expect(await diverged()).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('reloads compare.tolerances on SIGHUP too, and keeps both rules when the file is bad, logging the field', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'shadowdiff-hup-')), 'collector.yaml');
    const settings = 'listen: { port: 0 }\nlogLevel: silent\nstore: { path: "" }\n';
    writeFileSync(file, settings);
    const sources = { file };
    const server = await startServer(loadConfig(sources), { sources, handleSignals: true });
    const errors = vi.spyOn(server.app.log, 'error');
    /** A pair whose captured `$.total` (its second leaf) is 12.345 on the primary and 12.3451 on the shadow. */
    const post = (id: string) => {
      const wire = batchV2(legs(id, { fields: { '$.id': '0000002a', '$.total': '22222222' } }));
      wire.records[0]!.values = [[1, 'n12.345']];
      wire.records[1]!.values = [[1, 'n12.3451']];
      return fetch(`${server.url}/v1/batches`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(wire),
      });
    };
    const route = async () => ((await (await fetch(`${server.url}/v1/report`)).json()) as Report).routes[0];
    try {
      expect((await post('tol-1')).status).toBe(200);
      expect(await route()).toMatchObject({ pairs: 1, diverged: 1 });
      writeFileSync(file, `${settings}compare: { tolerances: [{ path: "$.total", abs: 0.0001 }] }\n`);
      process.emit('SIGHUP', 'SIGHUP');
      await post('tol-2');
      expect(await route()).toMatchObject({ pairs: 2, diverged: 1, withinTolerance: 1 });
      expect(errors).not.toHaveBeenCalled();
      // valid ignore rules beside a tolerance with neither abs nor rel: nothing of the file is taken
      writeFileSync(file, `${settings}ignore: { fields: ["$.total"] }\ncompare: { tolerances: [{ path: "$.total" }] }\n`);
      process.emit('SIGHUP', 'SIGHUP');
      await post('tol-3');
      // still within the old tolerance (not ignored by the new rule, not diverged)
      expect(await route()).toMatchObject({ pairs: 3, diverged: 1, withinTolerance: 2 });
      expect(errors).toHaveBeenCalledTimes(1);
      expect(String(errors.mock.calls[0]![0])).toMatch(/^SIGHUP: configuration not reloaded: .*compare\.tolerances\[0\]: needs abs or rel/);
    } finally {
      await server.close();
    }
  });
});
