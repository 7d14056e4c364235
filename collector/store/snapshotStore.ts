// The collector's embedded store: a SQLite file (sql.js, SQLite compiled to wasm, so nothing
// native to build) holding the last snapshot of what the engine learned — totals, per-route
// tallies with their field rankings and examples, the retained pairs, and the ids that were
// still pending. sql.js works on an in-memory database, so every save writes a whole new file
// beside the old one, syncs it and renames it over: a crash mid-save leaves the previous
// snapshot intact, never a torn file.

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Ajv } from 'ajv';
import initSqlJs, { type Database, type SqlJsStatic } from 'sql.js';
import { formatFieldPath, locateSchemaError } from '../schema/schemaErrors.js';
import { PipelineSnapshotSchema } from './snapshotSchema.js';
import { PIPELINE_SNAPSHOT_VERSION, type PipelineSnapshot } from '../pipeline.js';

const SCHEMA = `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE routes (route TEXT PRIMARY KEY, tally TEXT NOT NULL);
  CREATE TABLE pairs (kept TEXT NOT NULL CHECK (kept IN ('diverged', 'other')), seq INTEGER NOT NULL, id TEXT NOT NULL, view TEXT NOT NULL, PRIMARY KEY (kept, seq));
  CREATE TABLE pending (id TEXT PRIMARY KEY, legs INTEGER NOT NULL);
`;

let sqlJs: Promise<SqlJsStatic> | undefined;

/** What loading found: nothing yet, a snapshot, or a file that is not one (set aside, not deleted). */
export type LoadResult =
  | { kind: 'empty' }
  | { kind: 'restored'; snapshot: PipelineSnapshot }
  | { kind: 'unreadable'; reason: string; movedTo: string };

export class SnapshotStore {
  readonly path: string;

  private constructor(
    private readonly sql: SqlJsStatic,
    path: string,
  ) {
    this.path = resolve(path);
  }

  static async open(path: string): Promise<SnapshotStore> {
    sqlJs ??= initSqlJs();
    const store = new SnapshotStore(await sqlJs, path);
    mkdirSync(dirname(store.path), { recursive: true });
    // A directory that cannot be written should stop start-up, not fail every snapshot later.
    const probe = temporaryPath(store.path);
    closeSync(openSync(probe, 'w', 0o600));
    unlinkSync(probe);
    return store;
  }

  /**
   * Reads the snapshot. A file that is not a snapshot of this version is renamed aside (so the
   * next save cannot overwrite what an operator may want to inspect) and reported, and the
   * collector starts empty rather than not at all.
   */
  load(): LoadResult {
    if (!existsSync(this.path)) return { kind: 'empty' };
    let db: Database | undefined;
    try {
      db = new this.sql.Database(readFileSync(this.path));
      return { kind: 'restored', snapshot: readSnapshot(db) };
    } catch (error) {
      const movedTo = `${this.path}.unreadable-${Date.now()}`;
      renameSync(this.path, movedTo);
      return { kind: 'unreadable', reason: error instanceof Error ? error.message : String(error), movedTo };
    } finally {
      db?.close();
    }
  }

  /** Writes the snapshot as a new database file and atomically replaces the old one. */
  save(snapshot: PipelineSnapshot): void {
    const db = new this.sql.Database();
    let bytes: Uint8Array;
    try {
      db.run(SCHEMA);
      db.run('BEGIN');
      const meta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      for (const [key, value] of Object.entries({
        version: snapshot.version,
        savedAtUnixMs: snapshot.savedAtUnixMs,
        pairSeq: snapshot.scoreboard.pairSeq,
        totals: snapshot.scoreboard.totals,
        otherRoute: snapshot.scoreboard.other,
        routeEvictions: snapshot.scoreboard.routeEvictions,
      })) {
        meta.run([key, JSON.stringify(value)]);
      }
      meta.free();
      const route = db.prepare('INSERT INTO routes (route, tally) VALUES (?, ?)');
      for (const tally of snapshot.scoreboard.routes) route.run([tally.route, JSON.stringify(tally)]);
      route.free();
      const pair = db.prepare('INSERT INTO pairs (kept, seq, id, view) VALUES (?, ?, ?, ?)');
      for (const kept of ['diverged', 'other'] as const) {
        snapshot.pairs[kept].forEach((view, seq) => pair.run([kept, seq, view.id, JSON.stringify(view)]));
      }
      pair.free();
      const pending = db.prepare('INSERT OR REPLACE INTO pending (id, legs) VALUES (?, ?)');
      for (const [id, legs] of snapshot.pending) pending.run([id, legs]);
      pending.free();
      db.run('COMMIT');
      bytes = db.export();
    } finally {
      db.close();
    }
    writeAtomically(this.path, bytes);
  }
}

function temporaryPath(path: string): string {
  return `${path}.${process.pid}.tmp`;
}

function writeAtomically(path: string, bytes: Uint8Array): void {
  const temporary = temporaryPath(path);
  const fd = openSync(temporary, 'w', 0o600);
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  // The rename itself must reach the disk too, or a power loss can bring the old name back.
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

function readSnapshot(db: Database): PipelineSnapshot {
  const meta = new Map<string, unknown>();
  for (const [key, value] of rows(db, 'SELECT key, value FROM meta')) meta.set(String(key), JSON.parse(String(value)));
  const version = meta.get('version');
  if (version !== PIPELINE_SNAPSHOT_VERSION)
    throw new Error(`snapshot version ${JSON.stringify(version)}, expected ${PIPELINE_SNAPSHOT_VERSION}`);
  const pairs: { diverged: unknown[]; other: unknown[] } = { diverged: [], other: [] };
  for (const [kept, view] of rows(db, 'SELECT kept, view FROM pairs ORDER BY kept, seq')) {
    pairs[kept === 'diverged' ? 'diverged' : 'other'].push(JSON.parse(String(view)));
  }
  const snapshot: unknown = {
    version: PIPELINE_SNAPSHOT_VERSION,
    savedAtUnixMs: required(meta, 'savedAtUnixMs'),
    scoreboard: {
      pairSeq: required(meta, 'pairSeq'),
      totals: required(meta, 'totals'),
      routes: rows(db, 'SELECT tally FROM routes ORDER BY rowid').map(([tally]): unknown => JSON.parse(String(tally))),
      other: required(meta, 'otherRoute'),
      routeEvictions: required(meta, 'routeEvictions'),
    },
    pairs,
    pending: rows(db, 'SELECT id, legs FROM pending ORDER BY rowid').map(([id, legs]): [string, number] => [String(id), Number(legs)]),
  };
  if (!isSnapshot(snapshot)) throw new Error(`snapshot does not match its schema: ${schemaProblem()}`);
  return snapshot;
}

const snapshotAjv = new Ajv({ strict: true });
const isSnapshot = snapshotAjv.compile<PipelineSnapshot>(PipelineSnapshotSchema);

function schemaProblem(): string {
  const error = isSnapshot.errors?.[0];
  const located = error === undefined ? null : locateSchemaError(error);
  return located === null
    ? snapshotAjv.errorsText(isSnapshot.errors)
    : `${formatFieldPath(located.path) || '(snapshot)'}: ${located.message}`;
}

function required(meta: Map<string, unknown>, key: string): unknown {
  if (!meta.has(key)) throw new Error(`snapshot has no ${key}`);
  return meta.get(key);
}

function rows(db: Database, query: string): unknown[][] {
  return db.exec(query)[0]?.values ?? [];
}
