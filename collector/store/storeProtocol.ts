// The messages between DurableStore (main thread) and storeWorker (the SQLite connection). Rows
// travel as JSON text: the main thread serialises what changed, the worker only stores it; what a
// load reads back comes in chunks, checked by the main thread (storedState.ts) as they arrive.

/** How the worker opens the database. */
export interface WorkerSettings {
  path: string;
  /** SQLite's `synchronous` in WAL mode: NORMAL survives a crash of the process, FULL also a power loss. */
  synchronous: 'NORMAL' | 'FULL';
}

/** One accepted batch for the ingest log: its valid records (the appendRows sent before it with this number), and how many it rejected. */
export interface AppendRequest {
  op: 'append';
  id: number;
  /** its rows: the appendRows sent before it with this number */
  append: number;
  arrivedUnixMs: number;
  rejected: number;
}

/**
 * Records of the batch being logged (JSON) with their ids, roles and pending byte estimates (what
 * a restart needs to hold a pending leg without reading it), sent as each slice of them is
 * serialised: a batch's rows never wait in the main thread's heap for its last one (a batch at
 * the limits is megabytes, and 8 in flight kept the young generation's collections copying
 * them: bench line 8). The worker keeps them for the append request that names the same
 * `append`; no answer.
 */
export interface AppendRowsRequest {
  op: 'appendRows';
  id: number;
  append: number;
  records: string[];
  ids: string[];
  legs: string[];
  bytes: number[];
}

/**
 * Rows of the checkpoint being made, sent as each slice of them is serialised: no message is the
 * size of a large delta (or of a full checkpoint's ids), and no row waits in the main thread's
 * heap (surviving its young generation's collections) until the last one is made. The worker
 * keeps them for the checkpoint request that names the same `checkpoint`; no answer.
 */
export interface CheckpointRowsRequest {
  op: 'checkpointRows';
  id: number;
  checkpoint: number;
  routes: Array<[string, string]>;
  pairWrites: Array<[string, string, string]>;
  /** full only: ids still pending, whose legs stay */
  pendingIds: string[];
  /** full only: every remembered id */
  remembered: Array<[string, number, number]>;
}

/** What changed since the last checkpoint, or (full) everything, with the log position it covers. */
export interface CheckpointRequest {
  op: 'checkpoint';
  id: number;
  /** its route and pair rows: the checkpointRows sent before it with this number */
  checkpoint: number;
  full: boolean;
  appliedSeq: number;
  nowUnixMs: number;
  meta: Array<[string, string]>;
  /** routes no longer tracked (folded into `other`) */
  routeDeletes: string[];
  pairDeletes: string[];
  /** tombstones written since the last checkpoint (a full one's are all in its rows) */
  remembered: Array<[string, number, number]>;
  forgotten: string[];
  /** ids resolved since the last checkpoint: their logged legs can go */
  settledIds: string[];
  /** [id, batch, idx]: an id still pending was sent again from this log position on; its legs there, up to appliedSeq, are copies */
  copiesOfPending: Array<[string, number, number]>;
  /** [id, batch, idx]: an id still pending whose leg there is of a new request (the earlier one resolved and forgotten since the last checkpoint written); its legs before it, up to appliedSeq, are the earlier one's */
  pendingAnew: Array<[string, number, number]>;
}

export type WorkerRequest =
  | AppendRequest
  | AppendRowsRequest
  | CheckpointRowsRequest
  | CheckpointRequest
  | { op: 'load' | 'setAside' | 'close'; id: number };

/**
 * A logged leg as read back: its JSON text, or for a pending leg logged with its role and byte
 * estimate, [idx, id, leg, bytes] (the record stays in the store until it is needed). Role and
 * bytes are as stored, not yet checked.
 */
export type StoredRow = string | [idx: number, id: string, leg: string | null, bytes: number | null];

/** One logged batch as read back, its legs in log order. */
export interface StoredBatch {
  seq: number;
  arrived: number;
  rejected: number;
  records: StoredRow[];
}

/**
 * Part of what a load reads back, as text: sent as it is read (about 256 KiB of records each), so
 * the main thread parses and checks one part while the worker reads the next.
 */
export interface LoadChunk {
  op: 'loadChunk';
  id: number;
  ok: true;
  /** the checkpoint's log position: batches at or below it hold pending legs, those after it are replayed */
  appliedSeq: number;
  /** in log order */
  batches: StoredBatch[];
}

/** The checkpoint's rows besides the legs, as text; sent once every chunk is. */
export interface StoredCheckpointRows {
  meta: Array<[string, string]>;
  routes: string[];
  pairs: Array<[string, string]>;
  remembered: Array<[string, number, number]>;
  /** legs of batches at or below appliedSeq: some means there is a checkpoint to hold them */
  pendingLegs: number;
}

export type WorkerReply =
  /** setAside: the file was not a database; it was moved aside and a new store started */
  | { op: 'ready'; id: 0; ok: true; setAside: { reason: string; movedTo: string } | undefined }
  | { op: 'append'; id: number; ok: true; seq: number; commitSeconds: number; groupSize: number }
  | { op: 'append'; id: number; ok: false; error: string }
  | { op: 'done'; id: number; ok: true; commitSeconds: number }
  | LoadChunk
  /** after every chunk */
  | { op: 'loaded'; id: number; ok: true; checkpoint: StoredCheckpointRows }
  | { op: 'setAside'; id: number; ok: true; movedTo: string }
  | { op: 'failed'; id: number; ok: false; error: string };
