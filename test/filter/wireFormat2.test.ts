// Wire format 2 as the built filter sends it: the default, a path table shared by the records of
// a batch, the same records as version 1 once decoded (but hashed with XXH64, named in `hash`),
// and a path table that stays bounded.
import { describe, expect, it } from 'vitest';
import type { DigestBatchV2 } from '../../collector/ingest/wireSchemaV2.js';
import type { IngestedRecord } from '../../collector/types.js';
import { observeJsonResponse } from '../../devkit/observedResponse.js';
import { hashesBlanked, wireFormatErrors } from '../../devkit/wireFormat.js';
import { COLLECTOR, drainBatches, loadHost, type Plugin } from './harness.js';

function observe(plugin: Plugin, id: string, body: string): void {
  observeJsonResponse(plugin, { id, requestId: `r-${id}`, path: '/orders', authority: 'orders.local', body });
}

function observer(collector: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ role: 'primary', collector: { ...COLLECTOR, ...collector }, export: { batchSize: 4 }, ...extra });
}

const BODIES = [
  '{"id":1,"items":[{"sku":"a","n":1},{"sku":"b","n":2}],"total":3}',
  '{"id":2,"items":[{"sku":"c","n":5}],"total":5}',
  '{"id":3,"items":[{"sku":"a","n":1},{"sku":"b","n":2}],"total":3}',
  'not json',
];

describe('wire format 2', () => {
  it('is what the filter sends by default: one path table per batch, each path once', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(observer({}));
    BODIES.forEach((body, i) => observe(plugin, `id-${i}`, body));
    const calls = host.pendingHttpCalls();
    expect(calls).toHaveLength(1);
    const wire = JSON.parse(calls[0]!.bodyText()) as DigestBatchV2;
    expect(wireFormatErrors(wire)).toBeNull();
    expect(wire).toMatchObject({ v: 2, hash: 'xxh64', source: 'primary' });
    expect(wire.paths).toEqual(['$.id', '$.items[0].sku', '$.items[0].n', '$.items[1].sku', '$.items[1].n', '$.total']);
    expect(wire.records.map((record) => record.pathRuns ?? null)).toEqual([
      [[0, 6]],
      [
        [0, 3],
        [5, 1],
      ],
      [[0, 6]],
      null,
    ]);
    expect(wire.records.map((record) => record.hashes?.length ?? 0)).toEqual([48, 32, 48, 0]);
    expect(wire.records[3]).toMatchObject({ json: 'malformed' });
    expect(wire.records[3]).not.toHaveProperty('hashes');
  });

  it('carries the same records as wire format 1 (which collector.wireVersion 1 still sends), hashed with XXH64 instead of FNV-1a', async () => {
    const sent = await Promise.all(
      [1, 2].map(async (wireVersion) => {
        const host = await loadHost();
        const plugin = host.startPlugin(observer({ wireVersion }));
        BODIES.forEach((body, i) => observe(plugin, `id-${i}`, body));
        const [batch] = drainBatches(host);
        const blank = { startUnixMs: 0, firstByteUs: 0, lastByteUs: 0 };
        return { v: batch!.v, hash: batch!.hash, records: batch!.records.map((record) => ({ ...record, ...blank })) };
      }),
    );
    expect(sent.map((batch) => [batch.v, batch.hash])).toEqual([
      [1, 'fnv1a'],
      [2, 'xxh64'],
    ]);
    const [v1, v2] = sent.map((batch) => batch.records.map(hashesBlanked));
    expect(v2).toEqual(v1!.map((record) => ({ ...record, hash: 'xxh64' })));
    expect(sent[0]!.records[0]!.fields).toEqual(expect.objectContaining({ '$.items[1].sku': expect.stringMatching(/^[0-9a-f]{8}$/) }));
    // Not one hash in common: the families differ, so the collector must never compare them.
    const hashesOf = (record: IngestedRecord): string[] => [
      record.bodyHash,
      ...Object.values(record.headers),
      ...Object.values(record.fields),
    ];
    const v1Hashes = new Set(sent[0]!.records.flatMap(hashesOf));
    expect(sent[1]!.records.flatMap(hashesOf).filter((hash) => v1Hashes.has(hash))).toEqual([]);
  });

  it('ends a batch early rather than let its path table grow past 65536 paths', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(
      observer({}, { digest: { maxFields: 4096 }, export: { batchSize: 32, maxQueue: 64, flushIntervalMs: 60000 } }),
    );
    // 17 documents of 4096 distinct leaves each: 69,632 paths for one batch of 17.
    for (let i = 0; i < 17; i++) {
      const leaves = Array.from({ length: 4096 }, (_, k) => `"d${i}k${k}":${k}`).join(',');
      observe(plugin, `big-${i}`, `{${leaves}}`);
    }
    plugin.tick();
    const calls = host.pendingHttpCalls();
    const wires = calls.map((call) => JSON.parse(call.bodyText()) as DigestBatchV2);
    for (const wire of wires) expect(wireFormatErrors(wire)).toBeNull();
    expect(wires.map((wire) => wire.records.length)).toEqual([16, 1]);
    expect(wires.map((wire) => wire.paths.length)).toEqual([65536, 4096]);
    const batches = drainBatches(host);
    expect(batches.flatMap((batch) => batch.records.map((record) => Object.keys(record.fields).length))).toEqual(Array(17).fill(4096));
    expect(host.metric('shadowdiff.primary.exported_records')?.value).toBe(17n);
  }, 120_000);

  it('keeps records that share their paths in one batch, however many leaves they have', async () => {
    const host = await loadHost();
    const plugin = host.startPlugin(
      observer({}, { digest: { maxFields: 4096 }, export: { batchSize: 32, maxQueue: 64, flushIntervalMs: 60000 } }),
    );
    const leaves = Array.from({ length: 4096 }, (_, k) => `"k${k}":${k}`).join(',');
    for (let i = 0; i < 32; i++) observe(plugin, `same-${i}`, `{${leaves}}`);
    const wires = host.pendingHttpCalls().map((call) => JSON.parse(call.bodyText()) as DigestBatchV2);
    expect(wires.map((wire) => [wire.records.length, wire.paths.length])).toEqual([[32, 4096]]);
    expect(wires[0]!.records.every((record) => JSON.stringify(record.pathRuns) === '[[0,4096]]')).toBe(true);
  }, 120_000);
});
