// Subtree hashes of a JSON document, for documents with more leaves than the leaf budget
// (digest.maxFields): a bounded Merkle-style digest that lets the collector name the deepest
// differing subtree instead of "body differs".
//
// Every container is hashed bottom-up while the document streams, from its children's hashes:
// an object as the sum of one mixed (key hash, value hash) term per member, so key order does
// not change it; an array in order. A scalar's hash is its leaf hash (jsonStructuralDigest.ts:
// canonical bytes, so whitespace, escapes and number spelling do not change it either).
//
// The entries a record carries (at most `maxEntries`, the root always among them):
// - node     `P`        a container with more leaves than the budget (its hash covers it all)
// - subtree  `P`        a container of at most `budget` leaves that is a member of a node object
// - range    `P[a..b]`  consecutive items a..b of a node array (`P[a]` for one), packed
//                       greedily while their leaves stay within the budget
// - scalars  `P{r/g}`   the scalar members of a node object whose key hash falls in share r of
//                       g (g a power of two, at most 64, so that a share holds about half the
//                       budget): chosen by key, not by position, so key order changes nothing
// So a document of N leaves needs about N / budget entries, and each leaf is covered by exactly
// one non-node entry of at most `budget` leaves. When the entries would pass the bound, adjacent
// sibling entries are merged pairwise (`P[a..d]` from `P[a..b]` and `P[c..d]`; members of an
// object into `P{a..d}`, by position): localisation gets coarser, never wrong, since the nodes
// above decide equality whatever the grouping below. If merging frees too little, later entries
// are dropped (`truncated`); the nodes above them still cover them.
//
// Entries are kept in document (post-) order. Each open container remembers how many entries
// existed when it opened (`mark`): a container that ends within the budget drops its
// descendants' entries and is itself folded into its parent's pending range, so memory holds at
// most the bounded entry list plus one frame per open container.
import { ByteWriter } from "../lib/byteWriter";
import { FNV_OFFSET, fnvBytes, fold32, mix64 } from "../lib/fnv";

export const KIND_OBJECT: u8 = 1;
export const KIND_ARRAY: u8 = 2;

const ENTRY_NODE: u8 = 0;
const ENTRY_SUBTREE: u8 = 1;
const ENTRY_GROUP: u8 = 2;
const ENTRY_SHARE: u8 = 3;

const PRIME: u64 = 0x9e3779b97f4a7c15;
const OBJECT_SEED: u64 = 0x6f626a6563747b7d; // "object{}"
const ARRAY_SEED: u64 = 0x61727261795b5d00; // "array[]"

/** Key-hash buckets of an object's scalar members; a share is a union of buckets. */
const BUCKETS: i32 = 64;
const BUCKET_SHIFT: u64 = 58;

/** A merge pass that frees less than this share of the bound stops further entries instead. */
const MIN_FREED_DIVISOR: i32 = 4;

class Frame {
  kind: u8 = 0;
  named: bool = true;
  serial: u32 = 0;
  pathLength: i32 = 0;
  mark: i32 = 0;
  hash: u64 = 0;
  leaves: u32 = 0;
  position: u32 = 0;
  keyHash: u64 = 0;
  // an object's scalar members, summed per key-hash bucket (`bucketMask`: the buckets in use)
  buckets: StaticArray<u64> = new StaticArray<u64>(BUCKETS);
  bucketMask: u64 = 0;
  scalars: u32 = 0;
  // an array's pending range
  groupCount: u32 = 0;
  groupFirst: u32 = 0;
  groupLast: u32 = 0;
  groupLeaves: u32 = 0;
  groupHash: u64 = 0;
}

export class SubtreeDigest {
  /** Set when entries had to be dropped (the bound was reached and merging freed too little). */
  truncated: bool = false;

  private frames: Array<Frame> = new Array<Frame>();
  private depth: i32 = 0;
  private serials: u32 = 0;

  // the entries, in parallel arrays; names are raw path text in `names`
  private names: ByteWriter = new ByteWriter(1024);
  private nameStart: Array<i32> = new Array<i32>();
  private nameLength: Array<i32> = new Array<i32>();
  private parentLength: Array<i32> = new Array<i32>();
  private hashes: Array<u64> = new Array<u64>();
  private parentSerial: Array<u32> = new Array<u32>();
  private parentKind: Array<u8> = new Array<u8>();
  private kinds: Array<u8> = new Array<u8>();
  private firsts: Array<u32> = new Array<u32>();
  private lasts: Array<u32> = new Array<u32>();

  /** `path` is the structural digest's current path: read, never written. */
  constructor(private path: ByteWriter, private budget: u32, private maxEntries: i32) {}

  get count(): i32 {
    return this.hashes.length;
  }

  // ---- events from the structural digest ----------------------------------------------

  /** A container (not collapsed by maxDepth) starts; the path names it. */
  open(kind: u8): void {
    if (this.depth == this.frames.length) this.frames.push(new Frame());
    const frame = unchecked(this.frames[this.depth]);
    const length = this.path.length;
    let named = true;
    if (this.depth > 0) {
      const parent = unchecked(this.frames[this.depth - 1]);
      // a segment that did not fit MAX_PATH_BYTES left the path at the parent's length
      named = parent.named && length > parent.pathLength;
    }
    frame.kind = kind;
    frame.named = named;
    frame.serial = ++this.serials;
    frame.pathLength = length;
    frame.mark = this.count;
    frame.hash = 0;
    frame.leaves = 0;
    frame.position = 0;
    frame.groupCount = 0;
    frame.groupLeaves = 0;
    frame.groupHash = 0;
    frame.bucketMask = 0;
    frame.scalars = 0;
    this.depth++;
  }

  /** An object member's key, `length` decoded bytes at `ptr` (or its hash when too long to keep). */
  key(ptr: usize, length: i32, longKeyHash: u64, isLong: bool): void {
    if (this.depth == 0) return;
    let hash = longKeyHash;
    if (!isLong) hash = fnvBytes(FNV_OFFSET, ptr, length);
    unchecked(this.frames[this.depth - 1]).keyHash = mix64(hash);
  }

  /** A leaf value ended (scalar, empty container, or a container collapsed by maxDepth). */
  leaf(hash: u64): void {
    if (this.depth == 0) return;
    this.child(unchecked(this.frames[this.depth - 1]), hash, 1, false, -1);
  }

  /** The innermost container ended empty: it is a leaf after all (`hash`: its leaf hash). */
  closeEmpty(hash: u64): void {
    this.depth--;
    this.leaf(hash);
  }

  /** The innermost non-empty container ended. */
  close(): void {
    const frame = unchecked(this.frames[this.depth - 1]);
    const big = frame.leaves > this.budget;
    let hash: u64 = 0;
    if (frame.kind == KIND_OBJECT) hash = mix64(frame.hash ^ OBJECT_SEED);
    else hash = mix64((frame.hash ^ ARRAY_SEED) + <u64>frame.position * PRIME);
    if (big) {
      if (frame.kind == KIND_OBJECT) this.flushShares(frame);
      else this.flushGroup(frame);
    } else {
      this.dropFrom(frame.mark);
    }
    this.depth--;
    if (this.depth == 0) {
      // the root is always an entry: a node, or (a document cut by path length only) a subtree
      this.append(ENTRY_NODE, frame.pathLength, frame.pathLength, hash, 0, 0, 0, 0, true);
      return;
    }
    if (big && frame.named) this.append(ENTRY_NODE, frame.pathLength, frame.pathLength, hash, 0, 0, 0, 0, false);
    const parent = unchecked(this.frames[this.depth - 1]);
    this.child(parent, hash, frame.leaves, big, frame.named ? frame.pathLength : -1);
  }

  // ---- children ----------------------------------------------------------------------

  /** `nameLength`: the child's path length when it may be named as an entry by itself, else -1. */
  private child(parent: Frame, hash: u64, leaves: u32, big: bool, nameLength: i32): void {
    const position = parent.position;
    parent.position = position + 1;
    parent.leaves += leaves;
    if (parent.kind == KIND_OBJECT) {
      const member = mix64(parent.keyHash ^ (hash * PRIME));
      parent.hash += member;
      if (big) return;
      if (nameLength >= 0) {
        // a small container member: its own entry, named by its key
        this.append(ENTRY_SUBTREE, nameLength, parent.pathLength, hash, parent.serial, KIND_OBJECT, position, position, false);
        return;
      }
      if (leaves == 1) {
        const bucket = <i32>(parent.keyHash >> BUCKET_SHIFT);
        const bit: u64 = (<u64>1) << <u64>bucket;
        if ((parent.bucketMask & bit) == 0) {
          parent.bucketMask |= bit;
          unchecked(parent.buckets[bucket] = member);
        } else {
          unchecked(parent.buckets[bucket] += member);
        }
        parent.scalars++;
        return;
      }
      // a small member whose name did not fit: covered by the object's own hash only
      return;
    }
    parent.hash = (parent.hash ^ hash) * PRIME + <u64>position;
    if (big) {
      this.flushGroup(parent);
      return;
    }
    this.addToRange(parent, hash, leaves, position);
  }

  private addToRange(parent: Frame, hash: u64, leaves: u32, position: u32): void {
    if (parent.groupCount > 0 && parent.groupLeaves + leaves > this.budget) this.flushGroup(parent);
    if (parent.groupCount == 0) {
      parent.groupFirst = position;
      parent.groupHash = 0;
      parent.groupLeaves = 0;
    }
    parent.groupLast = position;
    parent.groupLeaves += leaves;
    parent.groupCount++;
    parent.groupHash = (parent.groupHash ^ hash) * PRIME;
  }

  /** A node object's scalar members as `shares` entries: as few as keep about half the budget each. */
  private flushShares(frame: Frame): void {
    if (frame.scalars == 0 || !frame.named) return;
    let shares: u32 = 1;
    while (shares < <u32>BUCKETS && frame.scalars > shares * max<u32>(this.budget >> 1, 1)) shares <<= 1;
    for (let share: u32 = 0; share < shares; share++) {
      let sum: u64 = 0;
      let used = false;
      for (let bucket = share; bucket < <u32>BUCKETS; bucket += shares) {
        if ((frame.bucketMask & ((<u64>1) << <u64>bucket)) == 0) continue;
        sum += unchecked(frame.buckets[bucket]);
        used = true;
      }
      if (used) this.append(ENTRY_SHARE, frame.pathLength, frame.pathLength, mix64(sum ^ <u64>shares), frame.serial, KIND_OBJECT, share, shares, false);
    }
  }

  private flushGroup(frame: Frame): void {
    if (frame.groupCount == 0) return;
    frame.groupCount = 0;
    if (!frame.named) return;
    this.append(ENTRY_GROUP, frame.pathLength, frame.pathLength, mix64(frame.groupHash), frame.serial, frame.kind, frame.groupFirst, frame.groupLast, false);
  }

  // ---- the entry list ----------------------------------------------------------------

  /**
   * Adds an entry named by the first `nameLength` bytes of the path (a group adds its range to
   * them); `parentLength`: the bytes of that name that are its parent's path.
   */
  private append(kind: u8, nameLength: i32, parentLength: i32, hash: u64, serial: u32, parentKind: u8, first: u32, last: u32, root: bool): void {
    if (!root && this.count >= this.maxEntries - 1) {
      // keep one place for the root
      if (this.truncated || !this.coarsen() || this.count >= this.maxEntries - 1) {
        this.truncated = true;
        return;
      }
    }
    const names = this.names;
    this.nameStart.push(names.length);
    names.bytes(this.path.dataStart, nameLength);
    if (kind == ENTRY_GROUP) writeRange(names, parentKind, first, last);
    else if (kind == ENTRY_SHARE) writeShare(names, first, last);
    this.nameLength.push(names.length - unchecked(this.nameStart[this.count]));
    this.parentLength.push(parentLength);
    this.hashes.push(hash);
    this.parentSerial.push(serial);
    this.parentKind.push(parentKind);
    this.kinds.push(kind);
    this.firsts.push(first);
    this.lasts.push(last);
  }

  private dropFrom(mark: i32): void {
    if (mark >= this.count) return;
    this.names.length = unchecked(this.nameStart[mark]);
    this.nameStart.length = mark;
    this.nameLength.length = mark;
    this.parentLength.length = mark;
    this.hashes.length = mark;
    this.parentSerial.length = mark;
    this.parentKind.length = mark;
    this.kinds.length = mark;
    this.firsts.length = mark;
    this.lasts.length = mark;
  }

  /**
   * Merges adjacent entries that are siblings (children of one container, neither a node) in
   * pairs, in place. False when it freed too little to go on. Sibling pairs never straddle an
   * open container's mark (the entries after a mark all descend from that container), so each
   * mark moves down by the merges before it.
   */
  private coarsen(): bool {
    const count = this.count;
    const names = this.names;
    // marks of the open frames, rewritten as entries move
    let out = 0;
    let nameOut = 0;
    let frameIndex = 0;
    let i = 0;
    while (i < count) {
      while (frameIndex < this.depth && unchecked(this.frames[frameIndex]).mark <= i) {
        const frame = unchecked(this.frames[frameIndex]);
        if (frame.mark == i) frame.mark = out;
        frameIndex++;
      }
      const start = unchecked(this.nameStart[i]);
      const mergeable =
        i + 1 < count &&
        this.mergeable(i) &&
        this.mergeable(i + 1) &&
        unchecked(this.parentSerial[i]) == unchecked(this.parentSerial[i + 1]) &&
        !this.isMarkAt(i + 1, frameIndex);
      if (mergeable) {
        const parentLength = unchecked(this.parentLength[i]);
        const first = unchecked(this.firsts[i]);
        const last = unchecked(this.lasts[i + 1]);
        const parentKind = unchecked(this.parentKind[i]);
        memory.copy(names.dataStart + nameOut, names.dataStart + start, parentLength);
        names.length = nameOut + parentLength;
        writeRange(names, parentKind, first, last);
        unchecked(this.nameStart[out] = nameOut);
        unchecked(this.nameLength[out] = names.length - nameOut);
        unchecked(this.parentLength[out] = parentLength);
        unchecked(this.hashes[out] = mix64(unchecked(this.hashes[i]) * PRIME + unchecked(this.hashes[i + 1])));
        unchecked(this.parentSerial[out] = unchecked(this.parentSerial[i]));
        unchecked(this.parentKind[out] = parentKind);
        unchecked(this.kinds[out] = ENTRY_GROUP);
        unchecked(this.firsts[out] = first);
        unchecked(this.lasts[out] = last);
        nameOut = names.length;
        i += 2;
      } else {
        const length = unchecked(this.nameLength[i]);
        memory.copy(names.dataStart + nameOut, names.dataStart + start, length);
        unchecked(this.nameStart[out] = nameOut);
        unchecked(this.nameLength[out] = length);
        unchecked(this.parentLength[out] = unchecked(this.parentLength[i]));
        unchecked(this.hashes[out] = unchecked(this.hashes[i]));
        unchecked(this.parentSerial[out] = unchecked(this.parentSerial[i]));
        unchecked(this.parentKind[out] = unchecked(this.parentKind[i]));
        unchecked(this.kinds[out] = unchecked(this.kinds[i]));
        unchecked(this.firsts[out] = unchecked(this.firsts[i]));
        unchecked(this.lasts[out] = unchecked(this.lasts[i]));
        nameOut += length;
        names.length = nameOut;
        i++;
      }
      out++;
    }
    for (; frameIndex < this.depth; frameIndex++) {
      const frame = unchecked(this.frames[frameIndex]);
      if (frame.mark >= count) frame.mark = out;
    }
    this.dropFrom(out);
    return count - out >= this.maxEntries / MIN_FREED_DIVISOR;
  }

  /** Nodes stay, and so do an object's key-hash shares (merging them by position would depend on key order). */
  private mergeable(index: i32): bool {
    const kind = unchecked(this.kinds[index]);
    return kind != ENTRY_NODE && kind != ENTRY_SHARE;
  }

  /** True when an open frame (from `frameIndex` on) has its mark at entry `index`. */
  private isMarkAt(index: i32, frameIndex: i32): bool {
    for (let f = frameIndex; f < this.depth; f++) {
      const mark = unchecked(this.frames[f]).mark;
      if (mark == index) return true;
      if (mark > index) return false;
    }
    return false;
  }

  // ---- output ------------------------------------------------------------------------

  /** The entries as the record carries them: names as JSON string literals each followed by `,`, hashes as 8 hex digits each. */
  write(paths: ByteWriter, hashes: ByteWriter): void {
    const names = this.names;
    for (let i = 0; i < this.count; i++) {
      paths.jsonStringBytes(names.dataStart + <usize>unchecked(this.nameStart[i]), unchecked(this.nameLength[i]));
      paths.byte(0x2c);
      hashes.hex(fold32(unchecked(this.hashes[i])), 8);
    }
  }
}

/** `[a..b]` (`[a]` for one item) after an array's path, `{a..b}` after an object's. */
function writeRange(names: ByteWriter, parentKind: u8, first: u32, last: u32): void {
  const array = parentKind == KIND_ARRAY;
  names.byte(array ? 0x5b : 0x7b);
  names.decimal(first);
  if (last != first || !array) {
    names.raw("..");
    names.decimal(last);
  }
  names.byte(array ? 0x5d : 0x7d);
}

/** `{r/g}` after an object's path: its scalar members in key-hash share r of g. */
function writeShare(names: ByteWriter, share: u32, shares: u32): void {
  names.byte(0x7b);
  names.decimal(share);
  names.byte(0x2f);
  names.decimal(shares);
  names.byte(0x7d);
}
