// Triples survive a crash of the real collector process (SIGKILL): the secondary's tallies, the
// findings and the gate come back from the SQLite store, and the legs of triples still waiting
// for their secondary (one checkpointed, one only in the ingest log) are joined by secondaries
// that arrive after the restart.
import { afterEach, describe, expect, it } from 'vitest';
import type { Report } from '../../collector/types.js';
import { batch, noisyTriple, triple } from '../collector/fixtures.js';
import { waitUntil } from '../../devkit/waitUntil.js';
import { collectorDir, startCollectorProcess, type CollectorProcess } from './collectorProcess.js';

const CONFIG = { join: { windowMs: 600_000, rememberMs: 600_000 } };

async function post(url: string, records: unknown[]): Promise<{ accepted: number; duplicates: number; late: number }> {
  const answer = await fetch(`${url}/v1/batches`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(batch(records as never)),
  });
  expect(answer.status).toBe(200);
  return (await answer.json()) as { accepted: number; duplicates: number; late: number };
}

/** Checkpoints the store committed, from /metrics. */
async function checkpoints(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('shadowdiff_collector_store_commit_seconds_count{op="checkpoint"} '));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

async function report(url: string): Promise<Report> {
  return (await (await fetch(`${url}/v1/report`)).json()) as Report;
}

/** What the collector learned (not this process's memory, not when it was generated). */
function learned(r: Report): Omit<Report, 'generatedAtUnixMs' | 'budget'> {
  const { generatedAtUnixMs: _at, budget: _budget, ...rest } = r;
  return rest;
}

describe('a collector crash with triples', () => {
  let scratch: Awaited<ReturnType<typeof collectorDir>> | undefined;
  const processes: CollectorProcess[] = [];
  afterEach(async () => {
    for (const collector of processes.splice(0)) await collector.stop('SIGKILL');
    await scratch?.remove();
    scratch = undefined;
  });

  async function start(): Promise<CollectorProcess> {
    scratch ??= await collectorDir();
    const collector = await startCollectorProcess(scratch.dir, { store: { path: scratch.storePath, snapshotIntervalMs: 200 }, ...CONFIG });
    processes.push(collector);
    return collector;
  }

  it('brings back the triples, their findings and gate, and the legs waiting for a secondary', async () => {
    const first = await start();
    // 25 triples (ten with a regression in $.total), and w-1's primary and shadow waiting for its secondary.
    const triples = Array.from({ length: 25 }, (_, n) => noisyTriple(n, n < 10 ? '99999999' : '11111111'));
    expect((await post(first.url, [...triples.flat(), ...triple('w-1').slice(0, 2)])).accepted).toBe(77);
    // Checkpointed (every 200 ms) before w-2's legs arrive: those are only in the ingest log at the crash.
    await waitUntil('a checkpoint of the triples', async () => ((await checkpoints(first.url)) > 0 ? true : undefined));
    expect((await post(first.url, triple('w-2').slice(0, 2))).accepted).toBe(2);
    const before = await report(first.url);
    expect(before.totals.pending).toBe(2);
    expect(before.routes[0]!.gate).toMatchObject({ diverged: 10, noiseOnly: 15 });
    expect(await first.stop('SIGKILL')).toBeNull();

    const second = await start();
    expect(learned(await report(second.url))).toEqual(learned(before));
    // The secondaries of both waiting triples arrive after the restart: each joins the legs the store kept.
    expect(await post(second.url, [triple('w-1')[2], triple('w-2')[2]])).toMatchObject({ accepted: 2, duplicates: 0, late: 0 });
    const joined = await report(second.url);
    expect(joined.totals.pending).toBe(0);
    expect(joined.totals.coverage).toMatchObject({ pairs: 27, triples: 27, secondaryMissing: 0, secondaryCoverage: 1 });
    const view = (await (await fetch(`${second.url}/v1/pairs/w-2`)).json()) as { state: string; secondary: { leg: string } };
    expect(view).toMatchObject({ state: 'paired', secondary: { leg: 'secondary' } });

    // Killed again: nothing is counted twice, and a secondary sent again is a duplicate.
    expect(await second.stop('SIGKILL')).toBeNull();
    const third = await start();
    expect(learned(await report(third.url))).toEqual(learned(joined));
    expect(await post(third.url, [triple('w-1')[2]])).toMatchObject({ duplicates: 1 });
  });
});
