// The collector's join window as its tombstone Map fills up, and the Map eviction that explains it
// (BENCHMARKS.md, line 6):
//
//   taskset -c 0 npx tsx bench/joinWindowFill.ts
//
// Part 1 offers both legs of fresh ids to collector/joinWindow.ts with the collector's default
// limits and prints µs per pair per block of pairs. Part 2 times the bounded-FIFO pattern alone: a
// Map evicting its oldest key through a fresh keys() iterator, against a Map whose eviction order is
// kept in a ring of keys.
import { parseConfig } from '../collector/config.js';
import { JoinWindow } from '../collector/joinWindow.js';
import type { DigestRecord } from '../collector/types.js';

const BLOCK = 50_000;
const BLOCKS = 8;

function joinWindowFill(): void {
  const { join } = parseConfig({});
  const ignore = (): void => {};
  const window = new JoinWindow(join, { paired: ignore, unpaired: ignore, evicted: ignore, duplicate: ignore, late: ignore });
  // Only id and leg matter to the window; the sink ignores the rest.
  const leg = (id: string, which: 'primary' | 'shadow'): DigestRecord => ({ id, leg: which }) as DigestRecord;
  const now = Date.now();
  let n = 0;
  process.stdout.write(`JoinWindow, maxRemembered ${join.maxRemembered}, rememberMs ${join.rememberMs}:\n`);
  for (let block = 0; block < BLOCKS; block++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < BLOCK; i++, n++) {
      const id = `bench-${n}`;
      window.offer(leg(id, 'primary'), now);
      window.offer(leg(id, 'shadow'), now);
    }
    const usPerPair = Number(process.hrtime.bigint() - started) / 1000 / BLOCK;
    process.stdout.write(`  pairs ${n - BLOCK}–${n}: remembered ${window.rememberedCount}, ${usPerPair.toFixed(2)} µs per pair\n`);
  }
}

/** ns per insert-and-evict-oldest on a Map holding `cap` keys, evicting through `evict`. */
function fifo(cap: number, evict: 'keys() iterator' | 'ring of keys'): number {
  const map = new Map<string, number>();
  const ring: string[] = [];
  let head = 0;
  for (let n = 0; n < cap; n++) {
    map.set(`bench-${n}`, n);
    ring.push(`bench-${n}`);
  }
  const operations = 200_000;
  const started = process.hrtime.bigint();
  for (let n = cap; n < cap + operations; n++) {
    const key = `bench-${n}`;
    map.set(key, n);
    if (evict === 'ring of keys') {
      map.delete(ring[head] ?? '');
      ring[head] = key;
      head = (head + 1) % cap;
    } else {
      for (const oldest of map.keys()) {
        map.delete(oldest);
        break;
      }
    }
  }
  return Number(process.hrtime.bigint() - started) / operations;
}

joinWindowFill();
process.stdout.write('Bounded FIFO on a Map, ns per insert + evict oldest:\n');
for (const cap of [1_000, 10_000, 100_000, 200_000]) {
  process.stdout.write(`  ${cap} keys: keys() iterator ${fifo(cap, 'keys() iterator').toFixed(0)} ns, ring of keys ${fifo(cap, 'ring of keys').toFixed(0)} ns\n`);
}
