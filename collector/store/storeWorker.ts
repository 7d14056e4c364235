// The store's SQLite connection, in a worker thread so that no statement ever runs on the
// collector's event loop. It keeps two things:
//   - the ingest log (`batches` + `legs`): every accepted batch, appended and committed before the
//     batch is answered. Appends that arrive while a commit runs are grouped into the next
//     transaction (one commit, one WAL sync, for all of them).
//   - the checkpoint: totals, route tallies, retained pairs and remembered ids, written
//     incrementally (only what changed) together with `appliedSeq`, the last batch whose effects
//     it holds. Requests the checkpoint has resolved are marked settled in the same transaction and
//     their legs deleted after it, a few ids per transaction between appends (a checkpoint's
//     deletes held every append queued behind them for hundreds of ms), and before anything is read
//     back; legs still pending stay, so a restart puts them back into the join window.
// The main thread talks to it with the messages typed in storeProtocol.ts.

import { renameSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type {
  AppendRequest,
  AppendRowsRequest,
  CheckpointRequest,
  CheckpointRowsRequest,
  LoadChunk,
  StoredCheckpointRows,
  StoredRow,
  WorkerReply,
  WorkerRequest,
  WorkerSettings,
} from './storeProtocol.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS batches (seq INTEGER PRIMARY KEY, arrived INTEGER NOT NULL, rejected INTEGER NOT NULL);
  -- A rowid table: legs are ~10 KB, far past the row size WITHOUT ROWID suits; inserts and the
  -- checkpoint's deletes by id measured 20% and 2-3x faster. (Stores made before keep theirs.)
  -- leg and bytes (its pending byte estimate) come before the record, so a restart reads them
  -- without walking the record's overflow pages; NULL in rows written before they existed.
  CREATE TABLE IF NOT EXISTS legs (
    batch INTEGER NOT NULL, idx INTEGER NOT NULL, id TEXT NOT NULL, leg TEXT, bytes INTEGER, record TEXT NOT NULL,
    PRIMARY KEY (batch, idx)
  );
  CREATE INDEX IF NOT EXISTS legs_by_id ON legs (id);
  CREATE TABLE IF NOT EXISTS routes (route TEXT PRIMARY KEY, tally TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS pairs (id TEXT PRIMARY KEY, kept TEXT NOT NULL CHECK (kept IN ('diverged', 'other')), view TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS remembered (id TEXT PRIMARY KEY, legs INTEGER NOT NULL, forget_at INTEGER NOT NULL);
  -- Ids a checkpoint resolved whose legs, at batches up to upto, are still to be deleted.
  CREATE TABLE IF NOT EXISTS settled (id TEXT PRIMARY KEY, upto INTEGER NOT NULL);
`;

const settings = workerData as WorkerSettings;
const port = parentPort;
if (port === null) throw new Error('storeWorker runs in a worker thread');

/** A file that is not a database (or a damaged one) is set aside at open, and a new store started. */
let setAsideAtOpen: { reason: string; movedTo: string } | undefined;
let db = openOrSetAside();
let statements = prepare(db);

function openOrSetAside(): Database.Database {
  try {
    return openDatabase();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'SQLITE_NOTADB' && code !== 'SQLITE_CORRUPT') throw error;
    setAsideAtOpen = { reason: failure(error), movedTo: moveAside() };
    return openDatabase();
  }
}

function openDatabase(): Database.Database {
  const opened = new Database(settings.path);
  try {
    opened.pragma('journal_mode = WAL');
    opened.pragma(`synchronous = ${settings.synchronous}`);
    // Checkpoints of the WAL into the main file run in this thread, never on the event loop.
    opened.pragma('wal_autocheckpoint = 1000');
    opened.exec(SCHEMA);
    addLegColumns(opened);
    // A real write, so that a read-only file or file system is found now, not at the first batch.
    opened.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('openedAtUnixMs', String(Date.now()));
    return opened;
  } catch (error) {
    opened.close();
    throw error;
  }
}

/** A store made before legs had their role and byte estimate beside the record gains the columns (NULL in its rows). */
function addLegColumns(on: Database.Database): void {
  const columns = new Set((on.prepare('PRAGMA table_info(legs)').all() as Array<{ name: string }>).map(({ name }) => name));
  if (!columns.has('leg')) on.exec('ALTER TABLE legs ADD COLUMN leg TEXT');
  if (!columns.has('bytes')) on.exec('ALTER TABLE legs ADD COLUMN bytes INTEGER');
}

function prepare(on: Database.Database) {
  return {
    nextSeq: on.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM batches'),
    insertBatch: on.prepare<[number, number, number]>('INSERT INTO batches (seq, arrived, rejected) VALUES (?, ?, ?)'),
    insertLeg: on.prepare<[number, number, string, string, number, string]>(
      'INSERT INTO legs (batch, idx, id, leg, bytes, record) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    setMeta: on.prepare<[string, string]>('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    setRoute: on.prepare<[string, string]>('INSERT OR REPLACE INTO routes (route, tally) VALUES (?, ?)'),
    deleteRoute: on.prepare<[string]>('DELETE FROM routes WHERE route = ?'),
    // REPLACE deletes then inserts: a rewritten pair moves to the end, as it does in memory.
    setPair: on.prepare<[string, string, string]>('INSERT OR REPLACE INTO pairs (id, kept, view) VALUES (?, ?, ?)'),
    deletePair: on.prepare<[string]>('DELETE FROM pairs WHERE id = ?'),
    setRemembered: on.prepare<[string, number, number]>('INSERT OR REPLACE INTO remembered (id, legs, forget_at) VALUES (?, ?, ?)'),
    deleteRemembered: on.prepare<[string]>('DELETE FROM remembered WHERE id = ?'),
    forgetExpired: on.prepare<[number]>('DELETE FROM remembered WHERE forget_at <= ?'),
    deleteLegsOf: on.prepare<[string, number]>('DELETE FROM legs WHERE id = ? AND batch <= ?'),
    // Settled again at a later checkpoint: its legs up to the later appliedSeq go.
    markSettled: on.prepare<[string, number]>(
      'INSERT INTO settled (id, upto) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET upto = max(upto, excluded.upto)',
    ),
    // LIMIT -1: all of them.
    nextSettled: on.prepare<[number], [string, number]>('SELECT id, upto FROM settled LIMIT ?').raw(),
    unmarkSettled: on.prepare<[string]>('DELETE FROM settled WHERE id = ?'),
    deleteCopiesOf: on.prepare<[string, number, number, number]>('DELETE FROM legs WHERE id = ? AND batch <= ? AND (batch, idx) >= (?, ?)'),
    deleteLegsBefore: on.prepare<[string, number, number, number]>(
      'DELETE FROM legs WHERE id = ? AND batch <= ? AND (batch, idx) < (?, ?)',
    ),
    deleteSettledBatches: on.prepare<[number]>(
      'DELETE FROM batches WHERE seq <= ? AND NOT EXISTS (SELECT 1 FROM legs WHERE legs.batch = batches.seq)',
    ),
  };
}

let nextSeq = (statements.nextSeq.get()?.seq ?? 0) + 1;

/** Settled ids per transaction of deferred deletes: ~10 ms of work, what an append may wait behind. */
const SETTLED_PER_TRANSACTION = 128;
/** Whether settled ids may still have legs to delete (a store may be opened with some). */
let settledLeft = true;

/** Deletes the legs of `limit` settled ids (-1: all) in one transaction; answers whether any are left. */
function deleteSettledLegs(limit: number): boolean {
  settledLeft = db.transaction(() => {
    const settled = statements.nextSettled.all(limit);
    let upto = 0;
    for (const [id, settledUpto] of settled) {
      statements.deleteLegsOf.run(id, settledUpto);
      statements.unmarkSettled.run(id);
      upto = Math.max(upto, settledUpto);
    }
    if (settled.length > 0) statements.deleteSettledBatches.run(upto);
    return limit !== -1 && settled.length === limit;
  })();
  return settledLeft;
}

/** Record text per load chunk: the main thread parses one while the worker reads the next. */
const LOAD_CHUNK_CHARS = 1 << 18;
/** What a deferred leg costs a chunk instead of its text: about its id, role and numbers. */
const DEFERRED_ROW_CHARS = 64;

/**
 * Reads the store back: the logged batches in chunks as they are read, then the checkpoint's other
 * rows. A pending leg (batch at or below appliedSeq) with its role and byte estimate beside it
 * comes as those, not its text: the pipeline reads it when it is needed (storedLegs.ts).
 */
function load(id: number): StoredCheckpointRows {
  const meta = db.prepare('SELECT key, value FROM meta').raw().all() as Array<[string, string]>;
  const appliedRow = meta.find(([key]) => key === 'appliedSeq');
  const appliedSeq = appliedRow === undefined ? 0 : Number(JSON.parse(appliedRow[1]));
  const batches = db.prepare('SELECT seq, arrived, rejected FROM batches ORDER BY seq').raw().all() as Array<[number, number, number]>;
  let chunk: LoadChunk = { op: 'loadChunk', id, ok: true, appliedSeq, batches: [] };
  let chars = 0;
  let pendingLegs = 0;
  // Legs in primary-key order (batch, idx), walked beside the batches, which are in seq order too.
  // The record is read only where it is needed: SQLite reads a column's overflow pages only when asked for it.
  // Without the legs of settled ids not yet deleted (deleteSettledLegs): they would come back as pending.
  const legs = db
    .prepare<[number]>(
      'SELECT batch, idx, id, leg, bytes, CASE WHEN batch > ? OR leg IS NULL OR bytes IS NULL THEN record END FROM legs ' +
        'WHERE NOT EXISTS (SELECT 1 FROM settled WHERE settled.id = legs.id AND legs.batch <= settled.upto) ORDER BY batch, idx',
    )
    .raw()
    .iterate(appliedSeq) as IterableIterator<[number, number, string, string | null, number | null, string | null]>;
  const unknownBatch = (seq: number): Error => new Error(`store has a leg of batch ${seq}, which it does not have`);
  try {
    let leg = legs.next();
    for (const [seq, arrived, rejected] of batches) {
      if (!leg.done && leg.value[0] < seq) throw unknownBatch(leg.value[0]);
      const records: StoredRow[] = [];
      for (; !leg.done && leg.value[0] === seq; leg = legs.next()) {
        const [, idx, legId, role, bytes, record] = leg.value;
        if (record === null) {
          records.push([idx, legId, role, bytes]);
          chars += DEFERRED_ROW_CHARS;
        } else {
          records.push(record);
          chars += record.length;
        }
      }
      if (seq <= appliedSeq) pendingLegs += records.length;
      chunk.batches.push({ seq, arrived, rejected, records });
      if (chars >= LOAD_CHUNK_CHARS) {
        reply(chunk);
        chunk = { op: 'loadChunk', id, ok: true, appliedSeq, batches: [] };
        chars = 0;
      }
    }
    if (!leg.done) throw unknownBatch(leg.value[0]);
  } finally {
    // An open iterator keeps the connection busy: close it, also after an error.
    legs.return?.();
  }
  if (chunk.batches.length > 0) reply(chunk);
  return {
    meta,
    routes: db.prepare('SELECT tally FROM routes ORDER BY rowid').pluck().all() as string[],
    pairs: db.prepare('SELECT kept, view FROM pairs ORDER BY rowid').raw().all() as Array<[string, string]>,
    remembered: db.prepare('SELECT id, legs, forget_at FROM remembered ORDER BY forget_at, rowid').raw().all() as Array<
      [string, number, number]
    >,
    pendingLegs,
  };
}

/** Moves an unreadable store (and its WAL) aside and starts a new one; answers the new name. */
function setAside(): string {
  db.close();
  const movedTo = moveAside();
  db = openDatabase();
  statements = prepare(db);
  nextSeq = 1;
  return movedTo;
}

function moveAside(): string {
  const movedTo = `${settings.path}.unreadable-${Date.now()}`;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      renameSync(`${settings.path}${suffix}`, `${movedTo}${suffix}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return movedTo;
}

/** Each append's rows as they arrive (appendRows), by its number, until its request is written. */
const appendRows = new Map<number, Omit<AppendRowsRequest, 'op' | 'id' | 'append'>>();

function stageAppend(rows: AppendRowsRequest): void {
  const staged = appendRows.get(rows.append);
  if (staged === undefined) {
    appendRows.set(rows.append, { records: rows.records, ids: rows.ids, legs: rows.legs, bytes: rows.bytes });
    return;
  }
  for (const record of rows.records) staged.records.push(record);
  for (const id of rows.ids) staged.ids.push(id);
  for (const leg of rows.legs) staged.legs.push(leg);
  for (const estimate of rows.bytes) staged.bytes.push(estimate);
}

/** The rows of `append`: the main thread posts an append's rows, then its request, in append order. */
function takeAppendRows(append: number): Omit<AppendRowsRequest, 'op' | 'id' | 'append'> {
  // Rows of an earlier number belong to an append whose maker failed before its request.
  for (const earlier of appendRows.keys()) if (earlier < append) appendRows.delete(earlier);
  const rows = appendRows.get(append) ?? { records: [], ids: [], legs: [], bytes: [] };
  appendRows.delete(append);
  return rows;
}

const appendAll = (group: AppendRequest[]): number[] =>
  db.transaction(() =>
    group.map((append) => {
      const seq = nextSeq++;
      const { records, ids, legs, bytes } = takeAppendRows(append.append);
      statements.insertBatch.run(seq, append.arrivedUnixMs, append.rejected);
      records.forEach((record, index) =>
        statements.insertLeg.run(seq, index, ids[index] ?? '', legs[index] ?? '', bytes[index] ?? 0, record),
      );
      return seq;
    }),
  )();

type CheckpointRows = Omit<CheckpointRowsRequest, 'op' | 'id' | 'checkpoint'>;
const noRows = (): CheckpointRows => ({ routes: [], pairWrites: [], pendingIds: [], remembered: [] });

/** The rows received for the checkpoint being made (checkpointRows), until its request comes. */
let staged: (CheckpointRows & { checkpoint: number }) | null = null;

function stage(rows: CheckpointRowsRequest): void {
  if (staged?.checkpoint !== rows.checkpoint) staged = { checkpoint: rows.checkpoint, ...noRows() };
  for (const route of rows.routes) staged.routes.push(route);
  for (const pair of rows.pairWrites) staged.pairWrites.push(pair);
  for (const id of rows.pendingIds) staged.pendingIds.push(id);
  for (const remembered of rows.remembered) staged.remembered.push(remembered);
}

function checkpoint(request: CheckpointRequest): void {
  // Rows staged for another checkpoint belong to one whose request never came (its maker failed).
  const rows = staged?.checkpoint === request.checkpoint ? staged : noRows();
  staged = null;
  db.transaction(() => {
    if (request.full) db.exec('DELETE FROM routes; DELETE FROM pairs; DELETE FROM remembered;');
    for (const [key, value] of request.meta) statements.setMeta.run(key, value);
    for (const route of request.routeDeletes) statements.deleteRoute.run(route);
    for (const [route, tally] of rows.routes) statements.setRoute.run(route, tally);
    for (const id of request.pairDeletes) statements.deletePair.run(id);
    for (const [id, kept, view] of rows.pairWrites) statements.setPair.run(id, kept, view);
    for (const id of request.forgotten) statements.deleteRemembered.run(id);
    for (const remembered of [request.remembered, rows.remembered])
      for (const [id, legs, forgetAt] of remembered) statements.setRemembered.run(id, legs, forgetAt);
    statements.forgetExpired.run(request.nowUnixMs);
    if (request.full) {
      // After a failed checkpoint the resolved ids since are unknown: keep only the pending legs.
      db.exec('CREATE TEMP TABLE IF NOT EXISTS keep (id TEXT PRIMARY KEY); DELETE FROM keep;');
      const keep = db.prepare<[string]>('INSERT OR IGNORE INTO keep (id) VALUES (?)');
      for (const id of rows.pendingIds) keep.run(id);
      db.prepare<[number]>('DELETE FROM legs WHERE batch <= ? AND id NOT IN (SELECT id FROM keep)').run(request.appliedSeq);
    } else {
      // Their legs are deleted after this commit (deleteSettledLegs), so no append waits behind it.
      for (const id of request.settledIds) statements.markSettled.run(id, request.appliedSeq);
      settledLeft ||= request.settledIds.length > 0;
    }
    // The first leg of a pending id stays (its partner may come); the copies the join dropped go.
    for (const [id, batch, idx] of request.copiesOfPending) statements.deleteCopiesOf.run(id, request.appliedSeq, batch, idx);
    // An id pending anew keeps its new leg, not those of its request resolved before (a few rows: rare).
    for (const [id, batch, idx] of request.pendingAnew) statements.deleteLegsBefore.run(id, request.appliedSeq, batch, idx);
    statements.deleteSettledBatches.run(request.appliedSeq);
  })();
}

// Group commit: requests queue up while a transaction runs; the next turn writes all queued
// appends in one transaction, then the other requests in their order. A turn with nothing queued
// deletes the legs of a few settled ids; requests that come meanwhile are taken at the next turn.
let queue: WorkerRequest[] = [];
let scheduled = false;

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(drain);
}

function reply(message: WorkerReply): void {
  port!.postMessage(message);
}

function failure(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

function drain(): void {
  scheduled = false;
  const work = queue;
  queue = [];
  if (work.length === 0) {
    try {
      if (settledLeft && deleteSettledLegs(SETTLED_PER_TRANSACTION)) schedule();
    } catch {
      // Left marked: tried again after the next request, and before any load.
      settledLeft = true;
    }
    return;
  }
  // Every append queued goes first, in one transaction, even those that came after a checkpoint:
  // a batch is applied only once committed, so none of them is covered by a queued checkpoint's
  // appliedSeq, whose deletes touch only batches at or below it. A batch never waits behind a
  // checkpoint it has nothing to do with.
  const group = work.filter((request): request is AppendRequest => request.op === 'append');
  if (group.length > 0) {
    const started = performance.now();
    try {
      const seqs = appendAll(group);
      const seconds = (performance.now() - started) / 1000;
      group.forEach((append, index) =>
        reply({ op: 'append', id: append.id, ok: true, seq: seqs[index]!, commitSeconds: seconds, groupSize: group.length }),
      );
    } catch (error) {
      const reason = failure(error);
      for (const append of group) reply({ op: 'append', id: append.id, ok: false, error: reason });
    }
  }
  for (const request of work) {
    if (request.op === 'append') continue;
    const started = performance.now();
    try {
      switch (request.op) {
        case 'checkpoint':
          checkpoint(request);
          reply({ op: 'done', id: request.id, ok: true, commitSeconds: (performance.now() - started) / 1000 });
          break;
        case 'load':
          reply({ op: 'loaded', id: request.id, ok: true, checkpoint: load(request.id) });
          break;
        case 'setAside':
          reply({ op: 'setAside', id: request.id, ok: true, movedTo: setAside() });
          break;
        case 'close':
          try {
            // Deletes are done, as a build before deferred deletes expects of a closed store.
            deleteSettledLegs(-1);
          } catch {
            // Left marked: a load leaves those legs out, and they are deleted after it.
          }
          db.close();
          reply({ op: 'done', id: request.id, ok: true, commitSeconds: 0 });
          port!.close();
          return;
      }
    } catch (error) {
      reply({ op: 'failed', id: request.id, ok: false, error: failure(error) });
    }
  }
  if (settledLeft) schedule();
}

port.on('message', (request: WorkerRequest) => {
  // Kept at once, not queued: the request they belong to comes after them, and is queued.
  if (request.op === 'appendRows') {
    stageAppend(request);
    return;
  }
  if (request.op === 'checkpointRows') {
    stage(request);
    return;
  }
  queue.push(request);
  schedule();
});
reply({ op: 'ready', id: 0, ok: true, setAside: setAsideAtOpen });
