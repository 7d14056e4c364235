// The messages between DurableStore (main thread) and storeWorker (the SQLite connection). Rows
// to write travel as JSON text: the main thread serialises what changed, the worker only stores
// it. What a load reads back travels decoded and checked, in chunks.

import type { LoggedBatch, PendingLeg } from '../pipeline.js';
import type { StoredCheckpoint } from './storedState.js';

/** How the worker opens the database. */
export interface WorkerSettings {
  path: string;
  /** SQLite's `synchronous` in WAL mode: NORMAL survives a crash of the process, FULL also a power loss. */
  synchronous: 'NORMAL' | 'FULL';
}

/** One accepted batch for the ingest log: its valid records (JSON) with their ids, and how many it rejected. */
export interface AppendRequest {
  op: 'append';
  id: number;
  arrivedUnixMs: number;
  rejected: number;
  records: string[];
  ids: string[];
}

/** What changed since the last checkpoint, or (full) everything, with the log position it covers. */
export interface CheckpointRequest {
  op: 'checkpoint';
  id: number;
  full: boolean;
  appliedSeq: number;
  nowUnixMs: number;
  meta: Array<[string, string]>;
  routes: Array<[string, string]>;
  /** routes no longer tracked (folded into `other`) */
  routeDeletes: string[];
  pairWrites: Array<[string, string, string]>;
  pairDeletes: string[];
  remembered: Array<[string, number, number]>;
  forgotten: string[];
  /** ids resolved since the last checkpoint: their logged legs can go */
  settledIds: string[];
  /** full only: the ids still pending, whose legs stay */
  pendingIds: string[];
}

export type WorkerRequest = AppendRequest | CheckpointRequest | { op: 'load' | 'setAside' | 'close'; id: number };

/**
 * Part of what a load reads back, already parsed and checked against its schema in the worker
 * (storedState.ts): sent as it is read, so the main thread takes one part in while the worker
 * decodes the next, and no message is the size of the store.
 */
export interface LoadChunk {
  op: 'loadChunk';
  id: number;
  ok: true;
  /** legs of batches the checkpoint covers, still waiting for a partner, in log order */
  pending: PendingLeg[];
  /** batches after the checkpoint, in log order: replayed through the pipeline */
  replay: LoggedBatch[];
}

export type WorkerReply =
  /** setAside: the file was not a database; it was moved aside and a new store started */
  | { op: 'ready'; id: 0; ok: true; setAside: { reason: string; movedTo: string } | undefined }
  | { op: 'append'; id: number; ok: true; seq: number; commitSeconds: number; groupSize: number }
  | { op: 'append'; id: number; ok: false; error: string }
  | { op: 'done'; id: number; ok: true; commitSeconds: number }
  | LoadChunk
  /** after every chunk: the checkpoint (without its pending legs, sent in the chunks), null when none was written yet */
  | { op: 'loaded'; id: number; ok: true; checkpoint: StoredCheckpoint | null }
  | { op: 'setAside'; id: number; ok: true; movedTo: string }
  | { op: 'failed'; id: number; ok: false; error: string };
