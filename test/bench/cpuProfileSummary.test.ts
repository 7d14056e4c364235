// The profile summary quoted in BENCHMARKS.md: self time by area and function, inclusive time, idle apart.
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { summarizeCpuProfile, wasmFunctionNames } from '../../bench/cpuProfileSummary.js';
import { useTempDir } from './tempDir.js';

const REPO = resolve(import.meta.dirname, '../..');
const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });

describe('summarizeCpuProfile', () => {
  const dir = useTempDir('shadowdiff-profile-summary-');

  it('splits busy time by area and function, counts a function once per sample, and leaves idle out', async () => {
    const route = pathToFileURL(join(REPO, 'collector/http/ingestRoute.ts')).href;
    const ajv = pathToFileURL(join(REPO, 'node_modules/ajv/dist/compile/validate/index.js')).href;
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 5, 6] },
        { id: 2, callFrame: frame('ingest', route, 9), children: [3] },
        { id: 3, callFrame: frame('validate', ajv), children: [4] },
        // ingest again below validate: still counted once per sample for inclusive time.
        { id: 4, callFrame: frame('ingest', route, 9) },
        { id: 5, callFrame: frame('(garbage collector)', '') },
        { id: 6, callFrame: frame('(idle)', '') },
      ],
      // Each sample lasts until the next: 2 ms, 3 ms, 1 ms, 4 ms, 5 ms; the last lasts 0.
      samples: [2, 3, 4, 5, 6, 2],
      timeDeltas: [0, 2000, 3000, 1000, 4000, 5000],
    };
    const path = join(dir(), 'synthetic.cpuprofile');
    await writeFile(path, JSON.stringify(profile));

    const summary = await summarizeCpuProfile(path);

    expect(summary.idleMs).toBe(5);
    expect(summary.busyMs).toBe(10);
    expect(Object.fromEntries(summary.selfByArea.map((entry) => [entry.name, entry.ms]))).toEqual({
      'collector/http/ingestRoute.ts': 3,
      'npm ajv': 3,
      '(garbage collector)': 4,
    });
    const inclusive = Object.fromEntries(summary.inclusiveByFunction.map((entry) => [entry.name, entry.ms]));
    expect(inclusive['ingest — collector/http/ingestRoute.ts:10']).toBe(6);
    expect(inclusive['validate — npm ajv:1']).toBe(4);
    expect(summary.selfByArea[0]).toEqual({ name: '(garbage collector)', ms: 4, share: 0.4 });
  });

  it('names wasm functions by their index in the .wat, imports first', async () => {
    const wat = join(dir(), 'filter.wat');
    await writeFile(
      wat,
      [
        '(module',
        ' (import "env" "proxy_log" (func $~lib/proxy/log (param i32)))',
        ' (func $digest/fnv/fnvBytes (param i64) (result i64)',
        ' )',
        ' (func $abi/exports/proxy_on_response_body (param i32) (result i32)',
        ' )',
        ')',
      ].join('\n'),
    );
    const path = join(dir(), 'wasm.cpuprofile');
    await writeFile(
      path,
      JSON.stringify({
        nodes: [
          { id: 1, callFrame: frame('(root)', ''), children: [2] },
          { id: 2, callFrame: frame('wasm-function[2]', 'wasm://wasm/abc') },
        ],
        samples: [2, 2],
        timeDeltas: [0, 3000],
      }),
    );

    const names = await wasmFunctionNames(wat);
    const summary = await summarizeCpuProfile(path, { wasmNames: names });

    expect(names).toEqual(['~lib/proxy/log', 'digest/fnv/fnvBytes', 'abi/exports/proxy_on_response_body']);
    expect(summary.selfByFunction).toEqual([{ name: 'abi/exports/proxy_on_response_body — filter wasm', ms: 3, share: 1 }]);
  });

  it('refuses a file that is not a .cpuprofile, naming it', async () => {
    const path = join(dir(), 'not-a-profile.json');
    await writeFile(path, JSON.stringify({ traceEvents: [] }));
    await expect(summarizeCpuProfile(path)).rejects.toThrow(/not-a-profile\.json is not a V8 \.cpuprofile/);
  });
});
