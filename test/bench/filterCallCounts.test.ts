// The call counter behind `bench/profile.ts calls`: the instrumented module must still run the
// filter's behaviour, and the counts must land in the phase that made them.
import { describe, expect, it } from 'vitest';
import { countFilterCalls } from '../../bench/filterCallCounts.js';
import { requireFilterWasm } from '../../devkit/paths.js';

describe('countFilterCalls', () => {
  it('counts an unsampled request: host calls only while the request headers are decided, nothing mutated', {
    timeout: 60_000,
  }, async () => {
    await requireFilterWasm();
    const counts = await countFilterCalls('unsampled', '1k', { requests: 4 });
    expect(counts.byPhase.requestHeaders['proxy_get_header_map_pairs']).toBe(1);
    expect(counts.byPhase.requestHeaders['proxy_replace_header_map_value']).toBeUndefined();
    for (const phase of ['responseHeaders', 'responseBody', 'streamEnd'] as const) {
      expect(
        Object.keys(counts.byPhase[phase]).filter((name) => name.startsWith('proxy_')),
        phase,
      ).toEqual([]);
    }
    // The runtime counters run (every callback retains), and the request allocates nothing.
    expect(counts.perRequest['rt.retain']).toBeGreaterThan(0);
    expect(counts.perRequest['rt.new'] ?? 0).toBe(0);
  });

  it('counts a sampled request: tagging, both header maps, the body and the runtime calls of the digest', { timeout: 60_000 }, async () => {
    await requireFilterWasm();
    const counts = await countFilterCalls('sampled-digest', '1k', { requests: 4 });
    // The decision's control headers go back in one write of the whole map.
    expect(counts.byPhase.requestHeaders['proxy_set_header_map_pairs']).toBe(1);
    expect(counts.byPhase.requestHeaders['proxy_replace_header_map_value']).toBeUndefined();
    expect(counts.byPhase.responseHeaders['proxy_get_header_map_pairs']).toBe(1);
    expect(counts.byPhase.responseBody['proxy_get_buffer_bytes']).toBe(1);
    expect(counts.perRequest['rt.new']).toBeGreaterThan(
      (await countFilterCalls('unsampled', '1k', { requests: 4 })).perRequest['rt.new'] ?? 0,
    );
    expect(counts.perRequest['rt.retain']).toBeGreaterThan(0);
    expect(counts.perRequest['rt.release']).toBeGreaterThan(0);
  });

  it('pins what reading the headers allocates: nothing, the host writes into reused buffers', { timeout: 60_000 }, async () => {
    await requireFilterWasm();
    // Not sampled: the request map lands in a reused buffer, nothing decoded, no stream object, no map entry.
    const unsampled = await countFilterCalls('unsampled', '1k', { requests: 4 });
    expect(unsampled.perRequest['rt.new'] ?? 0).toBe(0);
    expect(unsampled.perRequest['proxy_get_header_map_pairs']).toBe(1);
    // Sampled without the structural digest: the response map is read and hashed in place, in a
    // reused buffer, so its phase allocates nothing (the structural digest's objects come on top with json on).
    const sampled = await countFilterCalls('sampled-hash', '1k', { requests: 4 });
    expect(sampled.byPhase.responseHeaders['rt.new'] ?? 0).toBe(0);
    expect(sampled.byPhase.responseHeaders['proxy_get_header_map_pairs']).toBe(1);
  });
});
