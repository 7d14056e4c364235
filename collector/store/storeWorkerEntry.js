// The store thread's entry: registers tsx's loader (as bin/shadowdiff.js does for the main
// thread; a worker does not inherit it, and `--import` in a worker's execArgv does not cover its
// entry module on Node 20), then runs the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./storeWorker.ts');
