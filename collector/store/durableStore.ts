// The collector's durable store, main-thread side. SQLite (better-sqlite3, WAL) runs in a worker
// (storeWorker.ts), so the event loop only serialises rows and awaits replies. A batch is logged
// (append) and committed before it is applied and answered; what the pipeline derived is written
// incrementally (checkpoint); a restart reads both back, checks them against their schema, and
// answers a snapshot plus the batches to replay.

import { closeSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ConfigError } from '../config.js';
import { THREAD_ENTRY } from '../threadEntryUrl.js';
import type { IngestedRecord } from '../ingest/ingestedRecord.js';
import type { CollectorMetrics, StoreOp } from '../metrics/collectorMetrics.js';
import { pendingLegBytes } from '../budget/sizeEstimates.js';
import type { LoggedBatch, Pipeline, PipelineCheckpoint, RestoredState } from '../pipeline.js';
import type { KeptAs } from './pairStore.js';
import type { PairView } from '../report/reportSchema.js';
import type { RouteTallySnapshot } from '../score/scoreboard.js';
import { PIPELINE_SNAPSHOT_VERSION } from './snapshotSchema.js';
import { inSlices as inTimeSlices, type Sliced } from '../timeSlices.js';
import { decodeCheckpoint, decodeLoggedBatch, decodePendingLegs } from './storedState.js';
import { LegReader } from './storedLegs.js';
import type { CheckpointRequest, CheckpointRowsRequest, LoadChunk, WorkerReply, WorkerRequest, WorkerSettings } from './storeProtocol.js';
import type { RememberedId, WholeJoinItem } from '../join/joinWindow.js';

/** What loading found: nothing yet, a state to restore (and batches to replay), or a store that is not one (set aside). */
export type LoadResult =
  | { kind: 'empty' }
  | { kind: 'restored'; snapshot: RestoredState | null; replay: LoggedBatch[] }
  | { kind: 'unreadable'; reason: string; movedTo: string };

/** A batch logged: its sequence number, and the pending byte estimate of each record, made for its row (the join takes it rather than estimating again). */
export interface AppendedBatch {
  seq: number;
  legBytes: number[];
}

/** A write the store could not make; the batch it carried must not be acknowledged. */
export class StoreWriteError extends Error {
  override readonly name = 'StoreWriteError';
}

export type Synchronous = WorkerSettings['synchronous'];

// The worker is TypeScript like the rest; the threads' JavaScript entry registers tsx's loader first.
const WORKER_URL = new URL('./storeWorker.ts', import.meta.url);

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;
type Request = Distribute<WorkerRequest>;

export class DurableStore {
  readonly path: string;
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: WorkerReply) => void>();
  private readonly failing = new Set<StoreOp>();
  /** After a failed checkpoint the store's derived state is behind by an unknown delta: write it whole. */
  private needsFullCheckpoint = false;
  private checkpointing: Promise<void> | null = null;
  /** The appends being made into rows, each posted after the one before it. */
  private appending: Promise<unknown> = Promise.resolve();
  /** Names each append's rows, which reach the worker ahead of its request. */
  private nextAppendRows = 1;
  /** Names each checkpoint's rows, which reach the worker ahead of its request. */
  private nextCheckpointRows = 1;
  /** the checkpoint that follows the running one, for the calls made while it runs */
  private nextCheckpoint: Promise<void> | null = null;
  private closed = false;
  private lastFailure = '';
  /** While a load runs: takes in the chunks the worker sends before its answer. */
  private receiving: ((chunk: LoadChunk) => void) | null = null;
  /** Reads back the pending legs a load left in the store (storedLegs.ts). */
  private readonly legs: LegReader;

  private constructor(
    path: string,
    private readonly worker: Worker,
    private readonly metrics: CollectorMetrics,
    /** what the worker found at open: reported by the first load() */
    private setAsideAtOpen: { reason: string; movedTo: string } | undefined,
  ) {
    this.path = path;
    this.legs = new LegReader(path, (reason) => {
      this.lastFailure = reason;
      metrics.storedLegUnreadable();
    });
    worker.on('message', (reply: WorkerReply) => {
      if (reply.op === 'loadChunk') {
        this.receiving?.(reply);
        return;
      }
      const resolveReply = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      resolveReply?.(reply);
    });
    worker.on('error', (error) => this.failAll(error.message));
    worker.on('exit', () => this.failAll('the store thread exited'));
  }

  /**
   * Opens (or creates) the store. A path that is a directory, or where the store cannot be
   * created or written, is a configuration error naming `store.path`: refused at start-up rather
   * than found out at the first batch.
   */
  static async open(path: string, options: { synchronous: Synchronous; metrics: CollectorMetrics }): Promise<DurableStore> {
    const absolute = resolve(path);
    // `cause`: the system error behind the refusal, when there is one (start-up names it).
    const refuse = (message: string, cause?: unknown): never => {
      throw Object.assign(new ConfigError(`invalid configuration: store.path: ${message}`, [{ field: 'store.path', message }]), { cause });
    };
    try {
      mkdirSync(dirname(absolute), { recursive: true });
      if (statSync(absolute, { throwIfNoEntry: false })?.isDirectory() === true)
        refuse(`${absolute} is a directory; give the path of the store file in it`);
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      refuse(`cannot create the directory ${dirname(absolute)}: ${(error as Error).message}`, error);
    }
    // A directory that cannot be written (SQLite needs the WAL beside the file) stops start-up now,
    // with the system's reason, rather than failing every batch later.
    const probe = `${absolute}.${process.pid}.probe`;
    try {
      closeSync(openSync(probe, 'wx', 0o600));
      unlinkSync(probe);
    } catch (error) {
      refuse(`cannot open ${absolute} for writing: ${(error as Error).message}`, error);
    }
    const settings: WorkerSettings = { path: absolute, synchronous: options.synchronous };
    const worker = new Worker(THREAD_ENTRY, { argv: [WORKER_URL.href], workerData: settings });
    // A failure to open arrives as the worker's error (an error thrown in a thread may come across as a plain object).
    const ready = await new Promise<{ reply: WorkerReply } | { error: string }>((done) => {
      worker.once('message', (reply: WorkerReply) => done({ reply }));
      worker.once('error', (error: unknown) => done({ error: describe(error) }));
    });
    if ('error' in ready || ready.reply.op !== 'ready') {
      await worker.terminate();
      return refuse(`cannot open ${absolute} for writing: ${'error' in ready ? ready.error : 'unexpected answer'}`);
    }
    return new DurableStore(absolute, worker, options.metrics, ready.reply.setAside);
  }

  get healthy(): boolean {
    return this.failing.size === 0;
  }

  /** Why the last failed write failed. */
  get lastError(): string {
    return this.lastFailure;
  }

  /**
   * Reads everything back. A store that does not match its schema is set aside, never restored.
   * Pending legs logged with their role and byte estimate stay in the store: the snapshot holds
   * them by reference, read (and checked) when the join needs them, while the store is open.
   */
  async load(): Promise<LoadResult> {
    const found = this.setAsideAtOpen;
    this.setAsideAtOpen = undefined;
    if (found !== undefined) return { kind: 'unreadable', ...found };
    // Each chunk is parsed and checked as it arrives, while the worker reads the next. This runs
    // before the collector listens, so the event loop has no one else to serve; parsing in the
    // worker instead would add a structured clone of every record (measured slower).
    const pending: RestoredState['pending'] = [];
    const replay: LoggedBatch[] = [];
    let problem: string | undefined;
    this.receiving = (chunk) => {
      if (problem !== undefined) return;
      try {
        for (const { seq, arrived, rejected, records } of chunk.batches) {
          if (seq > chunk.appliedSeq) replay.push(decodeLoggedBatch(seq, arrived, rejected, records));
          else for (const leg of decodePendingLegs(arrived, seq, records, pending.length, this.legs)) pending.push(leg);
        }
      } catch (error) {
        problem = (error as Error).message;
      }
    };
    const reply = await this.call({ op: 'load' }).finally(() => {
      this.receiving = null;
    });
    if (reply.op === 'loaded' && problem === undefined) {
      try {
        const checkpoint = decodeCheckpoint(reply.checkpoint);
        if (checkpoint !== null) return { kind: 'restored', snapshot: { ...checkpoint, pending }, replay };
        return replay.length === 0 ? { kind: 'empty' } : { kind: 'restored', snapshot: null, replay };
      } catch (error) {
        problem = (error as Error).message;
      }
    }
    problem ??= reply.op === 'loaded' || reply.ok ? 'unexpected answer' : reply.error;
    // Nothing of this load is restored; a connection of an earlier one would read the file moved aside.
    this.legs.close();
    const aside = await this.call({ op: 'setAside' });
    if (aside.op !== 'setAside')
      throw new Error(`store ${this.path} could not be set aside: ${aside.ok ? 'unexpected answer' : aside.error}`);
    return { kind: 'unreadable', reason: problem, movedTo: aside.movedTo };
  }

  /**
   * Logs one batch and waits for its commit; answers its sequence number and its records' byte
   * estimates. Throws StoreWriteError.
   * Its rows are made in slices (a batch at the limits is megabytes of JSON), each slice's posted
   * at once, after those of every append asked for before it, so the log's order is the order of the calls
   * (the order the pipeline admitted the batches in).
   */
  async append(arrivedUnixMs: number, records: readonly IngestedRecord[], rejected: number): Promise<AppendedBatch> {
    let replied: Promise<WorkerReply> | undefined;
    const legBytes: number[] = [];
    const posted = this.appending.then(async () => {
      const append = this.nextAppendRows++;
      // With each row its role and pending byte estimate: what a restart needs to hold the leg without reading it.
      await inSlices(
        records,
        (record) => {
          const estimate = pendingLegBytes(record);
          legBytes.push(estimate);
          return [record.id, record.leg, estimate, JSON.stringify(record)] as const;
        },
        (made) =>
          this.post({
            op: 'appendRows',
            append,
            ids: made.map(([id]) => id),
            legs: made.map(([, leg]) => leg),
            bytes: made.map(([, , estimate]) => estimate),
            records: made.map(([, , , row]) => row),
          }),
      );
      replied = this.call({ op: 'append', append, arrivedUnixMs, rejected });
    });
    this.appending = posted.catch(() => undefined);
    await posted;
    const reply = await replied!;
    if (reply.op === 'append' && reply.ok) {
      this.succeeded('append', reply.commitSeconds);
      return { seq: reply.seq, legBytes };
    }
    this.failed('append', reply.ok ? 'unexpected answer' : reply.error);
    throw new StoreWriteError(`store ${this.path}: batch not kept: ${reply.ok ? 'unexpected answer' : reply.error}`);
  }

  /**
   * Writes what changed in `pipeline` since the last checkpoint (everything, after a failure).
   * One at a time: a call while one runs waits for it, then writes one more, shared by every call
   * that waited; so when a call's promise resolves, what the pipeline held at the call is written
   * (the running one took its delta before, and its rows take several turns). Throws StoreWriteError.
   */
  checkpoint(pipeline: Pipeline): Promise<void> {
    if (this.checkpointing === null) {
      const running = this.writeCheckpoint(pipeline).finally(() => {
        if (this.checkpointing === running) this.checkpointing = null;
      });
      this.checkpointing = running;
      return running;
    }
    this.nextCheckpoint ??= this.checkpointing
      .catch(() => undefined)
      .then(() => {
        this.nextCheckpoint = null;
        this.checkpointing = null;
        return this.checkpoint(pipeline);
      });
    return this.nextCheckpoint;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await (this.nextCheckpoint ?? this.checkpointing)?.catch(() => undefined);
    // Posted before the store counts as closed (call() refuses then): the worker finishes its
    // deferred deletes and closes the connection, rather than being terminated in the middle.
    const closing = this.call({ op: 'close' });
    this.closed = true;
    this.legs.close();
    await closing;
    await this.worker.terminate();
  }

  private async writeCheckpoint(pipeline: Pipeline): Promise<void> {
    const full = this.needsFullCheckpoint;
    const delta = await pipeline.checkpoint({ whole: full });
    let written = false;
    try {
      await this.writeDelta(full, delta);
      written = true;
    } finally {
      // Not written (refused, or failed while its rows were made): the next one is full, and the pipeline keeps what it took.
      this.needsFullCheckpoint = !written;
      pipeline.checkpointWritten(delta, written);
    }
  }

  /** Resolves once the worker committed it; throws StoreWriteError when it refused (the failure counted). */
  private async writeDelta(full: boolean, delta: PipelineCheckpoint): Promise<void> {
    const meta: Array<[string, string]> = Object.entries({
      version: PIPELINE_SNAPSHOT_VERSION,
      savedAtUnixMs: delta.savedAtUnixMs,
      appliedSeq: delta.appliedSeq,
      pairSeq: delta.pairSeq,
      totals: delta.totals,
      otherRoute: delta.other,
      routeEvictions: delta.routeEvictions,
      // The report role's verdicts offsets, in the transaction of the state they account for.
      ...(delta.verdictOffsets.length > 0 ? { verdictOffsets: delta.verdictOffsets } : {}),
    }).map(([key, value]) => [key, JSON.stringify(value)]);
    const common = {
      op: 'checkpoint',
      full,
      appliedSeq: delta.appliedSeq,
      nowUnixMs: delta.savedAtUnixMs,
      meta,
      copiesOfPending: delta.copiesOfPending,
      pendingAnew: delta.pendingAnew,
    } as const;
    const pairRow = (kept: KeptAs, view: PairView): [string, string, string] => [view.id, kept, JSON.stringify(view)];
    const tallyRow = (tally: RouteTallySnapshot): [string, string] => [tally.route, JSON.stringify(tally)];
    const rows = this.nextCheckpointRows++;
    const postRows = (part: Partial<Omit<CheckpointRowsRequest, 'op' | 'id' | 'checkpoint'>>): void =>
      this.post({ op: 'checkpointRows', checkpoint: rows, routes: [], pairWrites: [], pendingIds: [], remembered: [], ...part });
    const postRoutes = (routes: Array<[string, string]>): void => postRows({ routes });
    const postPairs = (pairWrites: Array<[string, string, string]>): void => postRows({ pairWrites });
    let request: Omit<CheckpointRequest, 'id'>;
    // What is serialised here are copies (or immutable pair views, or ids copied before they
    // change), so the rows can be made over several turns of the event loop (inSlices) while
    // batches keep being applied and join windows closing.
    await inSlices(delta.routes.written, tallyRow, postRoutes);
    if (delta.whole !== null) {
      const { pairs, ids } = delta.whole;
      for (const kept of ['diverged', 'other'] as const) await inSlices(pairs[kept], (view) => pairRow(kept, view), postPairs);
      await inSlices(
        ids,
        (item) => item,
        (items) => postRows(idRows(items)),
      );
      request = { ...common, checkpoint: rows, routeDeletes: [], pairDeletes: [], remembered: [], forgotten: [], settledIds: [] };
    } else {
      await inSlices(delta.pairs.writes, ({ kept, view }) => pairRow(kept, view), postPairs);
      request = {
        ...common,
        checkpoint: rows,
        routeDeletes: delta.routes.dropped,
        pairDeletes: delta.pairs.deletes,
        remembered: delta.join.remembered,
        forgotten: delta.join.forgotten,
        settledIds: delta.join.settled,
      };
    }
    const reply = await this.call(request);
    if (reply.op === 'done' && reply.ok) {
      this.succeeded('checkpoint', reply.commitSeconds);
      return;
    }
    this.failed('checkpoint', reply.ok ? 'unexpected answer' : reply.error);
    throw new StoreWriteError(`store ${this.path}: checkpoint not written: ${reply.ok ? 'unexpected answer' : reply.error}`);
  }

  private succeeded(op: StoreOp, seconds: number): void {
    this.metrics.storeCommitted(op, seconds);
    if (this.failing.delete(op)) this.metrics.storeHealth(this.healthy);
  }

  private failed(op: StoreOp, reason: string): void {
    this.lastFailure = reason;
    this.metrics.storeFailed(op);
    this.failing.add(op);
    this.metrics.storeHealth(false);
  }

  /** A message the worker does not answer (appendRows, checkpointRows); a worker that has gone fails the request that follows it. */
  private post(request: Request): void {
    if (!this.closed) this.worker.postMessage({ ...request, id: 0 });
  }

  private call(request: Request): Promise<WorkerReply> {
    if (this.closed) return Promise.resolve({ op: 'failed', id: 0, ok: false, error: 'the store is closed' });
    const id = this.nextId++;
    return new Promise((done) => {
      this.waiting.set(id, done);
      this.worker.postMessage({ ...request, id });
    });
  }

  private failAll(error: string): void {
    this.closed = true;
    for (const [id, done] of this.waiting) done({ op: 'failed', id, ok: false, error });
    this.waiting.clear();
  }
}

/** A full checkpoint's ids as the worker takes them: the pending ones apart from the remembered ones. */
function idRows(items: readonly WholeJoinItem[]): Pick<CheckpointRowsRequest, 'pendingIds' | 'remembered'> {
  const pendingIds: string[] = [];
  const remembered: RememberedId[] = [];
  for (const item of items) {
    if (typeof item === 'string') pendingIds.push(item);
    else remembered.push(item);
  }
  return { pendingIds, remembered };
}

/**
 * Rows per message at most: a slice of 2 ms makes tens of thousands of small ones (a full
 * checkpoint's ids), and posting them all at once (a structured clone) would take the turn past its slice.
 */
const ROWS_PER_POST = 2048;

/**
 * `items.map(row)` in slices (timeSlices.ts): each slice's rows are handed to `send` (posted to
 * the worker) before the event loop gets its turn, and every ROWS_PER_POST rows within a slice,
 * so they are garbage again at once.
 */
async function inSlices<T, R>(items: Iterable<T>, row: (item: T) => R, send: (rows: R[]) => void): Promise<void> {
  let rows: R[] = [];
  const sendRows = (): void => {
    if (rows.length === 0) return;
    send(rows);
    rows = [];
  };
  function* making(): Sliced<void> {
    for (const item of items) {
      rows.push(row(item));
      if (rows.length >= ROWS_PER_POST) sendRows();
      yield;
    }
  }
  await inTimeSlices(making(), sendRows);
  sendRows();
}

function describe(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
}
