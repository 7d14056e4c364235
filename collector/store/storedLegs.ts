// Pending legs a restart leaves in the store: the join holds each by reference (its id, role and
// byte estimate, read from columns beside the row) and reads the record back when it needs it —
// its partner arrives, its window closes, it is evicted, a pair lookup. Most of a large store is
// such legs, so a restart no longer parses and checks them all before it listens; each one is
// parsed and checked once, when it is read, as the whole store was at start-up before.
//
// The reads are synchronous (the join's calls are), on a read-only connection of the main
// thread: one indexed row of ~10 KB, alongside the worker's connection (WAL: readers never wait
// for the writer). A row that is gone or does not match the wire schema is counted
// (`shadowdiff_collector_store_unreadable_legs_total`) and the join drops the leg.

import Database from 'better-sqlite3';
import type { IngestedRecord } from '../ingest/ingestedRecord.js';
import type { WireLeg } from '../ingest/wireSchema.js';
import type { DeferredLeg } from '../join/joinWindow.js';
import { decodeStoredLeg } from './storedState.js';

/** The main thread's read-only connection to the store, opened at the first read. */
export class LegReader {
  private db: Database.Database | null = null;
  private select: Database.Statement<[number, number], string> | null = null;
  private closed = false;

  constructor(
    private readonly path: string,
    /** a leg that could not be read: counted and remembered by the store */
    private readonly unreadable: (reason: string) => void,
  ) {}

  read(batch: number, idx: number, id: string, leg: WireLeg): IngestedRecord | null {
    try {
      if (this.closed) throw new Error('the store is closed');
      const text = this.statement().get(batch, idx);
      if (text === undefined) throw new Error('its row is gone');
      return decodeStoredLeg(text, id, leg);
    } catch (error) {
      this.unreadable(`pending leg ${id} (${leg}) at batch ${batch}, index ${idx}: ${(error as Error).message}`);
      return null;
    }
  }

  close(): void {
    this.closed = true;
    this.db?.close();
    this.db = null;
    this.select = null;
  }

  private statement(): Database.Statement<[number, number], string> {
    if (this.select === null) {
      // A read runs on the event loop, but in WAL mode a reader waits only in rare cases (recovery of the WAL index); a leg it gave up on would be dropped.
      this.db = new Database(this.path, { readonly: true, fileMustExist: true, timeout: 1000 });
      this.select = this.db.prepare<[number, number], string>('SELECT record FROM legs WHERE batch = ? AND idx = ?').pluck();
    }
    return this.select;
  }
}

/** A pending leg left in the store, read back (checked) when the join needs its record. */
export class StoredLeg implements DeferredLeg {
  readonly deferred = true;

  constructor(
    private readonly reader: LegReader,
    private readonly batch: number,
    private readonly idx: number,
    readonly id: string,
    readonly leg: WireLeg,
    readonly bytes: number,
  ) {}

  read(): IngestedRecord | null {
    return this.reader.read(this.batch, this.idx, this.id, this.leg);
  }
}
