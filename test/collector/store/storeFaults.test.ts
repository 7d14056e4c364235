// A store on a file system that fills up or turns read-only. Faults are real: a tmpfs mounted
// for the test (1 MiB, so a few batches fill it), then remounted larger or read-only. The tests
// run as root, where chmod stops nothing, hence the mounts; they need CAP_SYS_ADMIN.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../collector/http/server.js';
import { waitUntil } from '../../../devkit/waitUntil.js';
import type { Report } from '../../../collector/types.js';
import { batch, config, legs } from '../fixtures.js';

let mountPoint = '';
const servers: RunningServer[] = [];

function mount(options: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mountPoint]);
}

function remount(options: string): void {
  execFileSync('mount', ['-o', `remount,${options}`, mountPoint]);
}

beforeEach(() => {
  mountPoint = mkdtempSync(join(tmpdir(), 'shadowdiff-fs-'));
  mount('size=1m');
});

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close().catch(() => undefined);
  execFileSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

async function start(): Promise<RunningServer> {
  const server = await startServer(
    config((c) => {
      c.listen.port = 0;
      c.logLevel = 'silent';
      c.store.path = join(mountPoint, 'collector.sqlite');
      c.store.snapshotIntervalMs = 100;
    }),
  );
  servers.push(server);
  return server;
}

/** A batch of 16 pairs, each leg carrying 200 fields: about 200 KB of JSON. */
function bigBatch(n: number) {
  const fields = Object.fromEntries(
    Array.from({ length: 200 }, (_, i) => [`$.items[${i}].sku`, (i * 7919 + n).toString(16).padStart(8, '0').slice(-8)]),
  );
  return batch(Array.from({ length: 16 }, (_, i) => legs(`b${n}-${i}`, {}, { fields })).flat());
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(`${url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

function sample(metrics: string, series: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

describe('a store that cannot be written', () => {
  it('when the disk is full, answers 503 instead of acknowledging, turns unready, says so in /metrics, and recovers once there is room', async () => {
    const server = await start();
    let acknowledgedRecords = 0;
    let refused: Response | undefined;
    for (let n = 0; n < 40 && refused === undefined; n++) {
      const answer = await post(server.url, bigBatch(n));
      if (answer.status === 200) acknowledgedRecords += ((await answer.json()) as { accepted: number }).accepted;
      else refused = answer;
    }
    expect(refused?.status).toBe(503);
    expect(((await refused!.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringMatching(/full/),
    });
    expect(acknowledgedRecords).toBeGreaterThan(0);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { error: { code: string } }).error.code).toBe('STORE_UNAVAILABLE');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(sample(metrics, 'shadowdiff_collector_store_healthy')).toBe(0);
    expect(sample(metrics, 'shadowdiff_collector_store_write_errors_total{op="append"}')).toBeGreaterThan(0);
    // Nothing of a refused batch was applied: the report holds exactly what was acknowledged.
    const report = (await (await fetch(`${server.url}/v1/report`)).json()) as Report;
    expect(report.totals.records.primary + report.totals.records.shadow).toBe(acknowledgedRecords);
    // Only SQLite's own files: no temporary file of ours is left behind.
    expect(readdirSync(mountPoint).every((name) => /^collector\.sqlite(-wal|-shm)?$/.test(name))).toBe(true);

    remount('size=64m');
    const after = await post(server.url, bigBatch(100));
    expect(after.status).toBe(200);
    // Ready again once the next checkpoint (every 100 ms here) has been written too.
    await waitUntil('the store to be ready again', async () => ((await fetch(`${server.url}/readyz`)).status === 200 ? true : undefined));
    expect(sample(await (await fetch(`${server.url}/metrics`)).text(), 'shadowdiff_collector_store_healthy')).toBe(1);

    // What was acknowledged survives a restart.
    await server.close();
    const second = await start();
    const restored = (await (await fetch(`${second.url}/v1/report`)).json()) as Report;
    expect(restored.totals.records.primary + restored.totals.records.shadow).toBe(acknowledgedRecords + 32);
  });

  it('refuses a store on a read-only file system at start-up, naming store.path, rather than acknowledging batches it cannot keep', async () => {
    const server = await start();
    expect((await post(server.url, bigBatch(0))).status).toBe(200);
    await server.close();
    // (A file system with the store open for writing cannot be remounted read-only: EBUSY.)
    remount('ro');
    await expect(start()).rejects.toThrow(/^store\.path: cannot use ".*collector\.sqlite" as the store: .*(readonly|read-only)/i);
    // An empty read-only directory: the store cannot even be created.
    remount('rw');
    rmSync(join(mountPoint, 'collector.sqlite'));
    remount('ro');
    await expect(start()).rejects.toThrow(/^store\.path: cannot use ".*collector\.sqlite" as the store: /);
  });
});
