// The in-memory record a version 2 record decodes to is its members in their order (those the
// decoder does not turn into others), then `fields`, `fieldsTruncated` and, for a batch not hashed
// with FNV-1a, `hash`. Copied member by member into an empty object, the record changed its
// shape at every member and grew its property store several times; made by one object literal of
// the members' order, it is allocated once with its final shape (decoding a record 1.0 -> 0.7 µs).
// The records of a filter spell their members in one order, so the functions made for the orders
// seen are few; only member names of the schema go into their source, and past MAX_SHAPES orders
// (a sender that varies its order) the copy is member by member, the same record either way.

import type { IngestedRecord } from './ingestedRecord.js';
import type { HashAlgorithm } from './wireSchemaV2.js';

/** Orders of members a builder is made for, in the whole process. */
const MAX_SHAPES = 32;

type Build = (raw: object, fields: Record<string, string>, fieldsTruncated: boolean, hash: HashAlgorithm | undefined) => IngestedRecord;

interface Shape {
  /** every member of the raw record, in its order (the decoded ones too, so a record is matched by its names alone) */
  names: readonly string[];
  withHash: boolean;
  build: Build;
}

export class RecordBuilders {
  /** most recently used first */
  private readonly shapes: Shape[] = [];

  /**
   * `copied`: the members that go into the record as they are; `decoded`: the members the decoder
   * turns into others (left out). A record with any other member is copied member by member.
   */
  constructor(
    private readonly copied: ReadonlySet<string>,
    private readonly decoded: ReadonlySet<string>,
  ) {}

  /** The record: `raw`'s copied members in its order, then `fields`, `fieldsTruncated`, and `hash` unless undefined. */
  build(raw: object, fields: Record<string, string>, fieldsTruncated: boolean, hash: HashAlgorithm | undefined): IngestedRecord {
    const withHash = hash !== undefined;
    for (let s = 0; s < this.shapes.length; s++) {
      const shape = this.shapes[s]!;
      if (shape.withHash !== withHash || !sameNames(raw, shape.names)) continue;
      if (s > 0) this.shapes.unshift(...this.shapes.splice(s, 1));
      return shape.build(raw, fields, fieldsTruncated, hash);
    }
    const made = this.shapes.length < MAX_SHAPES ? this.shapeOf(raw, withHash) : null;
    if (made === null) return this.copy(raw, fields, fieldsTruncated, hash);
    this.shapes.unshift(made);
    return made.build(raw, fields, fieldsTruncated, hash);
  }

  /** Member by member: what a builder's literal does at once. */
  private copy(raw: object, fields: Record<string, string>, fieldsTruncated: boolean, hash: HashAlgorithm | undefined): IngestedRecord {
    const members: Record<string, unknown> = {};
    for (const name in raw) if (!this.decoded.has(name)) members[name] = (raw as Record<string, unknown>)[name];
    const record = members as IngestedRecord;
    record.fields = fields;
    record.fieldsTruncated = fieldsTruncated;
    if (hash !== undefined) record.hash = hash;
    return record;
  }

  /** A builder for `raw`'s order of members, or null when it has a member the schema does not name. */
  private shapeOf(raw: object, withHash: boolean): Shape | null {
    const names: string[] = [];
    for (const name in raw) {
      if (!this.copied.has(name) && !this.decoded.has(name)) return null;
      names.push(name);
    }
    const members = names.filter((name) => !this.decoded.has(name)).map((name) => `${JSON.stringify(name)}: raw[${JSON.stringify(name)}]`);
    members.push('"fields": fields', '"fieldsTruncated": fieldsTruncated');
    if (withHash) members.push('"hash": hash');
    const build = new Function('raw', 'fields', 'fieldsTruncated', 'hash', `"use strict"; return { ${members.join(', ')} };`) as Build;
    return { names, withHash, build };
  }
}

/** Whether `raw`'s members are `names`, in that order. */
function sameNames(raw: object, names: readonly string[]): boolean {
  let i = 0;
  for (const name in raw) if (names[i++] !== name) return false;
  return i === names.length;
}
