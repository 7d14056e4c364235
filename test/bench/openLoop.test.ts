// The in-process open-loop pacer's accounting (bench/openLoop.ts, line 8's fixed-rate ingest): tasks
// start when due, not when earlier ones finish, and latency runs from when a task was due. Counts and
// bounds the schedule itself implies, never how fast anything is.
import { describe, expect, it } from 'vitest';
import { runOpenLoop } from '../../bench/openLoop.js';

describe('runOpenLoop', () => {
  it('starts every task when due while none has finished, and times each from when it was due', { timeout: 30_000 }, async () => {
    const ratePerSecond = 100;
    const total = 20;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const started: number[] = [];
    const result = await runOpenLoop({
      ratePerSecond,
      seconds: total / ratePerSecond,
      task: async (i) => {
        started.push(i);
        // No task ends before the last has started: a closed loop would never get past the first.
        if (i === total - 1) release();
        await gate;
      },
    });

    expect(started).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(result.maxInFlight).toBe(total);
    expect(result.latencyMs).toHaveLength(total);
    // The first ended after the last started, which was due (total - 1) intervals after it.
    expect(result.latencyMs[0]).toBeGreaterThanOrEqual(((total - 1) * 1000) / ratePerSecond);
    for (const lag of result.startLagMs) expect(lag).toBeGreaterThanOrEqual(0);
  });

  it('fails when a task fails, once the others have settled', { timeout: 30_000 }, async () => {
    let settled = 0;
    const run = runOpenLoop({
      ratePerSecond: 200,
      seconds: 0.05,
      task: async (i) => {
        await new Promise(setImmediate);
        settled++;
        if (i === 3) throw new Error('task 3 failed');
      },
    });

    await expect(run).rejects.toThrow('task 3 failed');
    expect(settled).toBe(10);
  });
});
