// The entry of the collector's worker threads: registers tsx's loader (as bin/shadowdiff.js does
// for the main thread; a worker does not inherit it, and `--import` in a worker's execArgv does
// not cover its entry module on Node 20), then runs the TypeScript module named by its first
// argument (`new Worker(THREAD_ENTRY, { argv: [moduleUrl] })`).
import { register } from 'tsx/esm/api';

register();
await import(process.argv[2]);
