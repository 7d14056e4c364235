// A collector restart keeps what it learned: the ranked report, the example pairs and the legs
// still waiting for a partner come back from the SQLite store. Runs the real CLI in its own
// process, so SIGTERM and SIGKILL are the real thing (collectorCrash.test.ts kills it under load).
// Triples too: the secondary's tallies, findings and gate, and the legs of triples still waiting
// for their secondary (one checkpointed, one only in the ingest log).
import { request } from 'node:http';
import { readdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { IngestedRecord, PairView, Report } from '../../collector/types.js';
import { batch, legs, noisyTriple, record, triple } from '../collector/fixtures.js';
import { waitUntil } from '../../devkit/waitUntil.js';
import { collectorDir, startCollectorProcess, type CollectorProcess } from './collectorProcess.js';

const DIVERGED = 4;
const MATCHED = 6;
const PENDING = 3;

/** Ten paired requests (four with a changed total) and three primaries still waiting for their shadow. */
function seedBatch() {
  const records = [];
  for (let i = 0; i < DIVERGED + MATCHED; i++) {
    records.push(...legs(`seed-${i}`, i < DIVERGED ? { fields: { '$.id': '0000002a', '$.total': '99999999' } } : {}));
  }
  for (let i = 0; i < PENDING; i++) records.push(record('primary', { id: `waiting-${i}` }));
  return batch(records);
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(`${url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function report(url: string): Promise<Report> {
  return (await (await fetch(`${url}/v1/report`)).json()) as Report;
}

/** Checkpoints the store committed, from /metrics. */
async function checkpoints(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('shadowdiff_collector_store_commit_seconds_count{op="checkpoint"} '));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

/** The report without what depends on the moment it was generated. */
/** What the collector learned; `budget` is this process's memory (pending legs are lost by a restart), not something learned. */
function learned(r: Report): Omit<Report, 'generatedAtUnixMs' | 'totals' | 'budget'> {
  const { generatedAtUnixMs: _at, totals: _totals, budget: _budget, ...rest } = r;
  return rest;
}

/** A window no restart on a busy machine outlasts. */
const TRIPLE_WINDOW = { join: { windowMs: 600_000, rememberMs: 600_000 } };

async function postRecords(url: string, records: IngestedRecord[]): Promise<{ accepted: number; duplicates: number; late: number }> {
  const answer = await post(url, batch(records));
  expect(answer.status).toBe(200);
  return (await answer.json()) as { accepted: number; duplicates: number; late: number };
}

/** Everything the collector learned, totals included (not this process's memory). */
function everythingLearned(r: Report): Omit<Report, 'generatedAtUnixMs' | 'budget'> {
  const { generatedAtUnixMs: _at, budget: _budget, ...rest } = r;
  return rest;
}

describe('a collector restart', () => {
  let scratch: Awaited<ReturnType<typeof collectorDir>> | undefined;
  const processes: CollectorProcess[] = [];
  afterEach(async () => {
    for (const collector of processes.splice(0)) await collector.stop('SIGKILL');
    await scratch?.remove();
    scratch = undefined;
  });

  async function start(config: Record<string, unknown> = {}): Promise<CollectorProcess> {
    scratch ??= await collectorDir();
    const collector = await startCollectorProcess(scratch.dir, { store: { path: scratch.storePath, snapshotIntervalMs: 200 }, ...config });
    processes.push(collector);
    return collector;
  }

  it('after SIGTERM, brings back the ranked report, the example pairs and the pending legs', async () => {
    const first = await start();
    expect((await post(first.url, seedBatch())).status).toBe(200);
    const before = await report(first.url);
    expect(before.totals.pending).toBe(PENDING);
    expect(before.routes[0]!.diverged).toBe(DIVERGED);
    const example = before.routes[0]!.fields[0]!.examples[0]!;
    const pairBefore = (await (await fetch(`${first.url}/v1/pairs/${example}`)).json()) as PairView;
    expect(await first.stop('SIGTERM')).toBe(0);

    const second = await start();
    const after = await report(second.url);
    expect(learned(after)).toEqual(learned(before));
    expect(after.totals).toEqual({ ...before.totals, pending: PENDING, lostOnRestart: 0 });
    expect(await (await fetch(`${second.url}/v1/pairs/${example}`)).json()).toEqual(pairBefore);
    expect(second.output()).toContain(`"pending_legs":${PENDING}`);

    // The shadow of a pending leg arrives after the restart: it pairs, as it would have without one.
    const answer = (await (await post(second.url, batch([record('shadow', { id: 'waiting-0' })]))).json()) as {
      late: number;
      duplicates: number;
    };
    expect(answer).toMatchObject({ late: 0, duplicates: 0 });
    expect((await report(second.url)).totals).toMatchObject({ pending: PENDING - 1, matched: before.totals.matched + 1 });
    // A re-delivered leg of a pair judged before the restart is still recognised as a duplicate.
    expect(
      ((await (await post(second.url, batch([record('shadow', { id: 'seed-0' })]))).json()) as { duplicates: number }).duplicates,
    ).toBe(1);

    // A second restart counts nothing twice.
    expect(await second.stop('SIGTERM')).toBe(0);
    const third = await start();
    expect((await report(third.url)).totals).toMatchObject({
      pending: PENDING - 1,
      matched: before.totals.matched + 1,
      duplicates: 1,
      lostOnRestart: 0,
    });
  });

  it('after a crash (SIGKILL) right after a batch was answered, before any checkpoint, keeps everything', async () => {
    // A checkpoint interval of an hour: the batch is only in the ingest log when the crash comes.
    scratch = await collectorDir();
    const first = await start({ store: { path: scratch.storePath, snapshotIntervalMs: 3_600_000 } });
    expect((await post(first.url, seedBatch())).status).toBe(200);
    const before = await report(first.url);
    expect(await first.stop('SIGKILL')).toBeNull();

    const second = await start();
    const after = await report(second.url);
    expect(learned(after)).toEqual(learned(before));
    expect(after.totals).toEqual({ ...before.totals, pending: PENDING, lostOnRestart: 0 });
    // No temporary file of ours: only SQLite's database and its write-ahead log.
    expect((await readdir(dirname(scratch!.storePath))).every((name) => /^collector\.sqlite(-wal|-shm)?$/.test(name))).toBe(true);
  });

  it('drains a batch still being received when SIGTERM arrives, and persists it', async () => {
    const first = await start();
    const body = Buffer.from(JSON.stringify(seedBatch()));
    const { port } = new URL(first.url);
    // `expect: 100-continue` makes the collector say when it has the request: the signal goes
    // after that, and the rest of the body once the collector has logged that it is draining.
    const headers = { 'content-type': 'application/json', 'content-length': body.length, expect: '100-continue' };
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/batches', headers });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
    });
    await new Promise<void>((resolve) => req.once('continue', resolve));
    req.write(body.subarray(0, body.length >> 1));
    const stopped = first.stop('SIGTERM');
    await waitUntil('the collector to start draining', () => (first.output().includes('SIGTERM: draining') ? true : undefined));
    req.end(body.subarray(body.length >> 1));
    const received = await answer;
    expect(received.status).toBe(200);
    expect(JSON.parse(received.body)).toMatchObject({ accepted: 2 * (DIVERGED + MATCHED) + PENDING });
    expect(await stopped).toBe(0);

    const second = await start();
    const after = await report(second.url);
    expect(after.totals.records).toEqual({ primary: DIVERGED + MATCHED + PENDING, shadow: DIVERGED + MATCHED });
    expect(after.routes[0]!.diverged).toBe(DIVERGED);
  });

  it('sets an unreadable store aside, says so, and starts empty instead of not at all', async () => {
    scratch = await collectorDir();
    const first = await start();
    expect(await first.stop('SIGTERM')).toBe(0);
    await writeFile(scratch.storePath, 'this is not a SQLite database');
    const second = await start();
    expect((await report(second.url)).totals.records).toEqual({ primary: 0, shadow: 0 });
    expect(second.output()).toMatch(/is not a readable snapshot .*moved to .*collector\.sqlite\.unreadable-\d+/);
    expect((await readdir(dirname(scratch.storePath))).some((name) => name.startsWith('collector.sqlite.unreadable-'))).toBe(true);
  });

  it('after SIGKILL, brings back triples, their findings and gate, and the legs waiting for a secondary', async () => {
    const first = await start(TRIPLE_WINDOW);
    // 25 triples (ten with a regression in $.total), and w-1's primary and shadow waiting for its secondary.
    const triples = Array.from({ length: 25 }, (_, n) => noisyTriple(n, n < 10 ? '99999999' : '11111111'));
    expect((await postRecords(first.url, [...triples.flat(), ...triple('w-1').slice(0, 2)])).accepted).toBe(77);
    // Checkpointed (every 200 ms) before w-2's legs arrive: those are only in the ingest log at the crash.
    await waitUntil('a checkpoint of the triples', async () => ((await checkpoints(first.url)) > 0 ? true : undefined));
    expect((await postRecords(first.url, triple('w-2').slice(0, 2))).accepted).toBe(2);
    const before = await report(first.url);
    expect(before.totals.pending).toBe(2);
    expect(before.routes[0]!.gate).toMatchObject({ diverged: 10, noiseOnly: 15 });
    expect(await first.stop('SIGKILL')).toBeNull();

    const second = await start(TRIPLE_WINDOW);
    expect(everythingLearned(await report(second.url))).toEqual(everythingLearned(before));
    // The secondaries of both waiting triples arrive after the restart: each joins the legs the store kept.
    expect(await postRecords(second.url, [triple('w-1')[2], triple('w-2')[2]])).toMatchObject({ accepted: 2, duplicates: 0, late: 0 });
    const joined = await report(second.url);
    expect(joined.totals.pending).toBe(0);
    expect(joined.totals.coverage).toMatchObject({ pairs: 27, triples: 27, secondaryMissing: 0, secondaryCoverage: 1 });
    const view = (await (await fetch(`${second.url}/v1/pairs/w-2`)).json()) as { state: string; secondary: { leg: string } };
    expect(view).toMatchObject({ state: 'paired', secondary: { leg: 'secondary' } });

    // Killed again: nothing is counted twice, and a secondary sent again is a duplicate.
    expect(await second.stop('SIGKILL')).toBeNull();
    const third = await start(TRIPLE_WINDOW);
    expect(everythingLearned(await report(third.url))).toEqual(everythingLearned(joined));
    expect(await postRecords(third.url, [triple('w-1')[2]])).toMatchObject({ duplicates: 1 });
  });
});
