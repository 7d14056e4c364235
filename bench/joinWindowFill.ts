// The collector's join window as its tombstone Map fills up, and the Map eviction that explains it
// (BENCHMARKS.md, line 6):
//
//   taskset -c 0 npx tsx bench/joinWindowFill.ts
//
// Part 1 offers both legs of fresh ids to collector/join/joinWindow.ts with the collector's default
// limits and prints µs per pair per block of pairs. Part 2 times the bounded-FIFO pattern alone: a
// plain Map evicting its oldest key through a fresh keys() iterator (what the collector did before),
// against collector/join/insertionOrderedMap.ts (what it does now).
import { parseConfig } from '../collector/config.js';
import { InsertionOrderedMap } from '../collector/join/insertionOrderedMap.js';
import { ByteBudget } from '../collector/budget/byteBudget.js';
import { JoinWindow } from '../collector/join/joinWindow.js';
import type { DigestRecord } from '../collector/types.js';

const BLOCK = 50_000;
const BLOCKS = 8;

function joinWindowFill(): void {
  const { join, budget } = parseConfig({});
  const window = new JoinWindow(join, new ByteBudget(budget.pendingBytes));
  // Only id and leg matter to the window (and what the byte estimate reads); what offer() returns is dropped.
  const leg = (id: string, which: 'primary' | 'shadow'): DigestRecord => ({ id, leg: which, path: '/', authority: '', fields: {}, headers: {} }) as unknown as DigestRecord;
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

/** ns per insert-and-evict-oldest at `cap` keys: a plain Map through a fresh keys() iterator, or the collector's map. */
function fifo(cap: number, evict: 'keys() iterator' | 'InsertionOrderedMap'): number {
  const plain = new Map<string, number>();
  const ordered = new InsertionOrderedMap<number>();
  const insert = evict === 'InsertionOrderedMap' ? (key: string, n: number) => ordered.set(key, n) : (key: string, n: number) => plain.set(key, n);
  for (let n = 0; n < cap; n++) insert(`bench-${n}`, n);
  const operations = 200_000;
  const started = process.hrtime.bigint();
  for (let n = cap; n < cap + operations; n++) {
    insert(`bench-${n}`, n);
    if (evict === 'InsertionOrderedMap') {
      ordered.shift();
    } else {
      for (const oldest of plain.keys()) {
        plain.delete(oldest);
        break;
      }
    }
  }
  return Number(process.hrtime.bigint() - started) / operations;
}

joinWindowFill();
process.stdout.write('Bounded FIFO on a Map, ns per insert + evict oldest:\n');
for (const cap of [1_000, 10_000, 100_000, 200_000]) {
  process.stdout.write(`  ${cap} keys: keys() iterator ${fifo(cap, 'keys() iterator').toFixed(0)} ns, InsertionOrderedMap ${fifo(cap, 'InsertionOrderedMap').toFixed(0)} ns\n`);
}
