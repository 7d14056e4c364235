import { describe, expect, it, vi } from 'vitest';
import { CollectorMetrics } from '../../../collector/metrics/collectorMetrics.js';
import { Pipeline } from '../../../collector/pipeline.js';
import { config, FakeClock, legs } from '../fixtures.js';

const loaded = vi.hoisted(() => ({ server: false }));
vi.mock('../../../collector/http/server.js', () => {
  loaded.server = true;
  return {
    startServer: async () => {
      throw new Error('startServer is not run in this test');
    },
  };
});

const { runCli } = await import('../../../collector/cli/cli.js');

function io(answer: unknown) {
  const out: string[] = [];
  return {
    out,
    io: {
      stdout: (text: string) => out.push(text),
      stderr: (text: string) => out.push(text),
      env: {},
      fetch: (async () => new Response(JSON.stringify(answer), { status: 200 })) as typeof fetch,
    },
  };
}

describe('the CLI client commands', () => {
  it('report and pair do not load the server module; the collector command does', async () => {
    const pipeline = new Pipeline(config(), new FakeClock(), new CollectorMetrics({ defaultMetrics: false }));
    pipeline.ingest(legs('a', { status: 500 }));
    const report = io(pipeline.report());
    expect(await runCli(['report'], report.io)).toBe(0);
    const pair = io(pipeline.pair('a'));
    expect(await runCli(['pair', 'a'], pair.io)).toBe(0);
    expect(pair.out.join('')).toContain('pair a  paired');
    expect(loaded.server).toBe(false);
    await expect(runCli(['collector', '--port', '0'], io(null).io)).rejects.toThrow('startServer is not run in this test');
    expect(loaded.server).toBe(true);
  });

  it('names an answer that does not match the report schema', async () => {
    const { io: client, out } = io({ routes: [], totals: {}, generatedAtUnixMs: 1 });
    expect(await runCli(['report'], client)).toBe(1);
    expect(out.join('')).toMatch(/did not answer with a shadowdiff report \(windowMs: .*\(and \d+ more\)\)/);
  });
});
