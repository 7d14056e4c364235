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
import { fold32, mix64 } from "../lib/fnv";
import { KIND_ARRAY, KIND_OBJECT } from "./containerFrames";
import { memberKeyHash } from "./memberKeyHash";


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

// The open containers, innermost last, as fixed-size records in one buffer (like
// containerFrames.ts): every value reads its parent's, so no object (and no reference count)
// per frame. Frames exist only down to maxDepth (deeper containers are leaves), so the buffer
// stays small: 592 bytes a level.
const F_KIND: usize = 0; // u32
const F_NAMED: usize = 4; // u32: 1 when the container's path could be written in full
const F_SERIAL: usize = 8; // u32: tells siblings' parents apart
const F_PATH_LENGTH: usize = 12; // i32
const F_MARK: usize = 16; // i32: entries when it opened
const F_LEAVES: usize = 20; // u32
const F_POSITION: usize = 24; // u32: children so far
const F_SCALARS: usize = 28; // u32: an object's scalar members
const F_HASH: usize = 32; // u64
const F_KEY_HASH: usize = 40; // u64: the member whose value comes next
const F_BUCKET_MASK: usize = 48; // u64: the buckets in use
const F_RANGE_COUNT: usize = 56; // u32: an array's pending range
const F_RANGE_FIRST: usize = 60; // u32
const F_RANGE_LAST: usize = 64; // u32
const F_RANGE_LEAVES: usize = 68; // u32
const F_RANGE_HASH: usize = 72; // u64
const F_BUCKETS: usize = 80; // BUCKETS u64: an object's scalar members, summed per key-hash bucket
const FRAME_BYTES: usize = F_BUCKETS + <usize>BUCKETS * 8;

// The entries, in document (post-) order, as fixed-size records in one buffer: appending one
// is a few stores, and dropping a finished small container's entries is one assignment.
const E_NAME_START: usize = 0; // i32: in `names`
const E_NAME_LENGTH: usize = 4; // i32
const E_PARENT_LENGTH: usize = 8; // i32: the bytes of the name that are the parent's path
const E_SERIAL: usize = 12; // u32: the parent's frame serial (0 for a node)
const E_HASH: usize = 16; // u64
const E_FIRST: usize = 24; // u32
const E_LAST: usize = 28; // u32
const E_KIND: usize = 32; // u8: ENTRY_*
const E_PARENT_KIND: usize = 33; // u8
const ENTRY_BYTES: usize = 40;

export class SubtreeDigest {
  /** Set when entries had to be dropped (the bound was reached and merging freed too little). */
  truncated: bool = false;

  private frames: ArrayBuffer = new ArrayBuffer(<i32>(4 * FRAME_BYTES));
  private depth: i32 = 0;
  private serials: u32 = 0;

  // the entries, as fixed-size records in one buffer (E_*); names are raw path text in `names`
  private entries: ArrayBuffer = new ArrayBuffer(<i32>(16 * ENTRY_BYTES));
  private names: ByteWriter = new ByteWriter(1024);
  private entryCount: i32 = 0;

  /** `path` is the structural digest's current path: read, never written. */
  constructor(private path: ByteWriter, private budget: u32, private maxEntries: i32) {}

  get count(): i32 {
    return this.entryCount;
  }

  /** The address of entry `index`; valid until the next append(). */
  // @ts-ignore: decorator
  @inline
  private entryAt(index: i32): usize {
    return changetype<usize>(this.entries) + <usize>index * ENTRY_BYTES;
  }

  /**
   * Starts over for the next document, as a new digest of the same bounds would: a pooled
   * structural digest reuses it (jsonStructuralDigest.ts `reset`). The entry names' buffer keeps
   * at most `keepBytes`; the rest is bounded by maxEntries and maxDepth.
   */
  reset(keepBytes: i32): void {
    this.truncated = false;
    this.depth = 0;
    this.serials = 0;
    this.names.recycle(keepBytes);
    this.entryCount = 0;
  }

  /** The address of the frame at `depth` (0: the root's); valid until the next open(). */
  // @ts-ignore: decorator
  @inline
  private frameAt(depth: i32): usize {
    return changetype<usize>(this.frames) + <usize>depth * FRAME_BYTES;
  }

  // ---- events from the structural digest ----------------------------------------------

  /** A container (not collapsed by maxDepth) starts; the path names it. */
  open(kind: u8): void {
    const needed = <i32>((<usize>this.depth + 1) * FRAME_BYTES);
    if (needed > this.frames.byteLength) this.growFrames(needed);
    const frame = this.frameAt(this.depth);
    const length = this.path.length;
    let named: u32 = 1;
    if (this.depth > 0) {
      const parent = this.frameAt(this.depth - 1);
      // a segment that did not fit MAX_PATH_BYTES left the path at the parent's length
      if (load<u32>(parent, F_NAMED) == 0 || length <= load<i32>(parent, F_PATH_LENGTH)) named = 0;
    }
    memory.fill(frame, 0, F_BUCKETS);
    store<u32>(frame, <u32>kind, F_KIND);
    store<u32>(frame, named, F_NAMED);
    store<u32>(frame, ++this.serials, F_SERIAL);
    store<i32>(frame, length, F_PATH_LENGTH);
    store<i32>(frame, this.entryCount, F_MARK);
    this.depth++;
  }

  /**
   * An object member's key, `length` decoded bytes at `ptr` (or its hash when too long to keep);
   * `ptr` has at least 24 addressable bytes (see memberKeyHash).
   */
  key(ptr: usize, length: i32, longKeyHash: u64, isLong: bool): void {
    if (this.depth == 0) return;
    const hash = isLong ? mix64(longKeyHash) : memberKeyHash(ptr, length);
    store<u64>(this.frameAt(this.depth - 1), hash, F_KEY_HASH);
  }

  /** A leaf value ended (scalar, empty container, or a container collapsed by maxDepth). */
  leaf(hash: u64): void {
    if (this.depth == 0) return;
    this.child(this.frameAt(this.depth - 1), hash, 1, false, -1);
  }

  /** The innermost container ended empty: it is a leaf after all (`hash`: its leaf hash). */
  closeEmpty(hash: u64): void {
    this.depth--;
    this.leaf(hash);
  }

  /** The innermost non-empty container ended. */
  close(): void {
    const frame = this.frameAt(this.depth - 1);
    const leaves = load<u32>(frame, F_LEAVES);
    const big = leaves > this.budget;
    const isObject = load<u32>(frame, F_KIND) == <u32>KIND_OBJECT;
    const pathLength = load<i32>(frame, F_PATH_LENGTH);
    const named = load<u32>(frame, F_NAMED) != 0;
    let hash: u64 = 0;
    if (isObject) hash = mix64(load<u64>(frame, F_HASH) ^ OBJECT_SEED);
    else hash = mix64((load<u64>(frame, F_HASH) ^ ARRAY_SEED) + <u64>load<u32>(frame, F_POSITION) * PRIME);
    if (big) {
      if (isObject) this.flushShares(frame);
      else this.flushRange(frame);
    } else {
      this.dropFrom(load<i32>(frame, F_MARK));
    }
    this.depth--;
    if (this.depth == 0) {
      // the root is always an entry: a node, or (a document cut by path length only) a subtree
      this.append(ENTRY_NODE, pathLength, pathLength, hash, 0, 0, 0, 0, true);
      return;
    }
    if (big && named) this.append(ENTRY_NODE, pathLength, pathLength, hash, 0, 0, 0, 0, false);
    this.child(this.frameAt(this.depth - 1), hash, leaves, big, named ? pathLength : -1);
  }

  // ---- children ----------------------------------------------------------------------

  /** `nameLength`: the child's path length when it may be named as an entry by itself, else -1. */
  // (inlined: leaf(), once per scalar, gets its own copy with the arguments known)
  // @ts-ignore: decorator
  @inline
  private child(parent: usize, hash: u64, leaves: u32, big: bool, nameLength: i32): void {
    const position = load<u32>(parent, F_POSITION);
    store<u32>(parent, position + 1, F_POSITION);
    store<u32>(parent, load<u32>(parent, F_LEAVES) + leaves, F_LEAVES);
    if (load<u32>(parent, F_KIND) == <u32>KIND_OBJECT) {
      const keyHash = load<u64>(parent, F_KEY_HASH);
      const member = mix64(keyHash ^ (hash * PRIME));
      store<u64>(parent, load<u64>(parent, F_HASH) + member, F_HASH);
      if (big) return;
      if (nameLength >= 0) {
        // a small container member: its own entry, named by its key
        this.append(ENTRY_SUBTREE, nameLength, load<i32>(parent, F_PATH_LENGTH), hash, load<u32>(parent, F_SERIAL), KIND_OBJECT, position, position, false);
        return;
      }
      if (leaves == 1) {
        const bucket = <usize>(keyHash >> BUCKET_SHIFT);
        const bit: u64 = (<u64>1) << <u64>bucket;
        const mask = load<u64>(parent, F_BUCKET_MASK);
        const slot = parent + F_BUCKETS + (bucket << 3);
        if ((mask & bit) == 0) {
          store<u64>(parent, mask | bit, F_BUCKET_MASK);
          store<u64>(slot, member);
        } else {
          store<u64>(slot, load<u64>(slot) + member);
        }
        store<u32>(parent, load<u32>(parent, F_SCALARS) + 1, F_SCALARS);
      }
      // (a small member whose name did not fit is covered by the object's own hash only)
      return;
    }
    store<u64>(parent, (load<u64>(parent, F_HASH) ^ hash) * PRIME + <u64>position, F_HASH);
    if (big) {
      this.flushRange(parent);
      return;
    }
    if (load<u32>(parent, F_RANGE_COUNT) > 0 && load<u32>(parent, F_RANGE_LEAVES) + leaves > this.budget) this.flushRange(parent);
    const count = load<u32>(parent, F_RANGE_COUNT);
    let rangeHash: u64 = 0;
    let rangeLeaves: u32 = 0;
    if (count == 0) {
      store<u32>(parent, position, F_RANGE_FIRST);
    } else {
      rangeHash = load<u64>(parent, F_RANGE_HASH);
      rangeLeaves = load<u32>(parent, F_RANGE_LEAVES);
    }
    store<u32>(parent, position, F_RANGE_LAST);
    store<u32>(parent, rangeLeaves + leaves, F_RANGE_LEAVES);
    store<u32>(parent, count + 1, F_RANGE_COUNT);
    store<u64>(parent, (rangeHash ^ hash) * PRIME, F_RANGE_HASH);
  }

  /** A node object's scalar members as `shares` entries: as few as keep about half the budget each. */
  private flushShares(frame: usize): void {
    const scalars = load<u32>(frame, F_SCALARS);
    if (scalars == 0 || load<u32>(frame, F_NAMED) == 0) return;
    let shares: u32 = 1;
    while (shares < <u32>BUCKETS && scalars > shares * max<u32>(this.budget >> 1, 1)) shares <<= 1;
    const mask = load<u64>(frame, F_BUCKET_MASK);
    const pathLength = load<i32>(frame, F_PATH_LENGTH);
    const serial = load<u32>(frame, F_SERIAL);
    for (let share: u32 = 0; share < shares; share++) {
      let sum: u64 = 0;
      let used = false;
      for (let bucket = share; bucket < <u32>BUCKETS; bucket += shares) {
        if ((mask & ((<u64>1) << <u64>bucket)) == 0) continue;
        sum += load<u64>(frame + F_BUCKETS + (<usize>bucket << 3));
        used = true;
      }
      if (used) this.append(ENTRY_SHARE, pathLength, pathLength, mix64(sum ^ <u64>shares), serial, KIND_OBJECT, share, shares, false);
    }
  }

  /** Ends an array's pending range: one entry for its items. */
  private flushRange(frame: usize): void {
    if (load<u32>(frame, F_RANGE_COUNT) == 0) return;
    store<u32>(frame, 0, F_RANGE_COUNT);
    if (load<u32>(frame, F_NAMED) == 0) return;
    const pathLength = load<i32>(frame, F_PATH_LENGTH);
    this.append(ENTRY_GROUP, pathLength, pathLength, mix64(load<u64>(frame, F_RANGE_HASH)), load<u32>(frame, F_SERIAL), KIND_ARRAY, load<u32>(frame, F_RANGE_FIRST), load<u32>(frame, F_RANGE_LAST), false);
  }

  private growFrames(needed: i32): void {
    let capacity = this.frames.byteLength;
    while (capacity < needed) capacity = capacity << 1;
    const grown = new ArrayBuffer(capacity);
    memory.copy(changetype<usize>(grown), changetype<usize>(this.frames), <usize>this.depth * FRAME_BYTES);
    this.frames = grown;
  }

  // ---- the entry list ----------------------------------------------------------------

  /**
   * Adds an entry named by the first `nameLength` bytes of the path (a group adds its range to
   * them); `parentLength`: the bytes of that name that are its parent's path.
   */
  private append(kind: u8, nameLength: i32, parentLength: i32, hash: u64, serial: u32, parentKind: u8, first: u32, last: u32, root: bool): void {
    if (!root && this.entryCount >= this.maxEntries - 1) {
      // keep one place for the root
      if (this.truncated || !this.coarsen() || this.entryCount >= this.maxEntries - 1) {
        this.truncated = true;
        return;
      }
    }
    const needed = <i32>((<usize>this.entryCount + 1) * ENTRY_BYTES);
    if (needed > this.entries.byteLength) this.growEntries(needed);
    const nameStart = this.names.length;
    this.names.bytes(this.path.dataStart, nameLength);
    if (kind == ENTRY_GROUP) writeRange(this.names, parentKind, first, last);
    else if (kind == ENTRY_SHARE) writeShare(this.names, first, last);
    writeEntry(this.entryAt(this.entryCount), nameStart, this.names.length - nameStart, parentLength, serial, hash, first, last, kind, parentKind);
    this.entryCount++;
  }

  private growEntries(needed: i32): void {
    let capacity = this.entries.byteLength;
    while (capacity < needed) capacity = capacity << 1;
    const grown = new ArrayBuffer(capacity);
    memory.copy(changetype<usize>(grown), changetype<usize>(this.entries), <usize>this.entryCount * ENTRY_BYTES);
    this.entries = grown;
  }

  private dropFrom(mark: i32): void {
    if (mark >= this.entryCount) return;
    this.names.length = load<i32>(this.entryAt(mark), E_NAME_START);
    this.entryCount = mark;
  }

  /**
   * Merges adjacent entries that are siblings (children of one container, neither a node) in
   * pairs, in place. False when it freed too little to go on. Sibling pairs never straddle an
   * open container's mark (the entries after a mark all descend from that container), so each
   * mark moves down by the merges before it.
   */
  private coarsen(): bool {
    const count = this.entryCount;
    // marks of the open frames, rewritten as entries move
    let out = 0;
    let nameOut = 0;
    let frameIndex = 0;
    let i = 0;
    while (i < count) {
      while (frameIndex < this.depth && load<i32>(this.frameAt(frameIndex), F_MARK) <= i) {
        const frame = this.frameAt(frameIndex);
        if (load<i32>(frame, F_MARK) == i) store<i32>(frame, out, F_MARK);
        frameIndex++;
      }
      const entry = this.entryAt(i);
      const target = this.entryAt(out);
      const start = load<i32>(entry, E_NAME_START);
      const mergeable =
        i + 1 < count &&
        isMergeable(entry) &&
        isMergeable(entry + ENTRY_BYTES) &&
        load<u32>(entry, E_SERIAL) == load<u32>(entry + ENTRY_BYTES, E_SERIAL) &&
        !this.isMarkAt(i + 1, frameIndex);
      if (mergeable) {
        const next = entry + ENTRY_BYTES;
        const parentLength = load<i32>(entry, E_PARENT_LENGTH);
        const first = load<u32>(entry, E_FIRST);
        const last = load<u32>(next, E_LAST);
        const parentKind = load<u8>(entry, E_PARENT_KIND);
        const serial = load<u32>(entry, E_SERIAL);
        const hash = mix64(load<u64>(entry, E_HASH) * PRIME + load<u64>(next, E_HASH));
        memory.copy(this.names.dataStart + nameOut, this.names.dataStart + start, parentLength);
        this.names.length = nameOut + parentLength;
        writeRange(this.names, parentKind, first, last);
        writeEntry(target, nameOut, this.names.length - nameOut, parentLength, serial, hash, first, last, ENTRY_GROUP, parentKind);
        nameOut = this.names.length;
        i += 2;
      } else {
        const length = load<i32>(entry, E_NAME_LENGTH);
        memory.copy(this.names.dataStart + nameOut, this.names.dataStart + start, length);
        if (target != entry) memory.copy(target, entry, ENTRY_BYTES);
        store<i32>(target, nameOut, E_NAME_START);
        nameOut += length;
        this.names.length = nameOut;
        i++;
      }
      out++;
    }
    for (; frameIndex < this.depth; frameIndex++) {
      const frame = this.frameAt(frameIndex);
      if (load<i32>(frame, F_MARK) >= count) store<i32>(frame, out, F_MARK);
    }
    this.entryCount = out;
    this.names.length = nameOut;
    return count - out >= this.maxEntries / MIN_FREED_DIVISOR;
  }

  /** True when an open frame (from `frameIndex` on) has its mark at entry `index`. */
  private isMarkAt(index: i32, frameIndex: i32): bool {
    for (let f = frameIndex; f < this.depth; f++) {
      const mark = load<i32>(this.frameAt(f), F_MARK);
      if (mark == index) return true;
      if (mark > index) return false;
    }
    return false;
  }

  // ---- output ------------------------------------------------------------------------

  /** The entries as the record carries them: names as JSON string literals each followed by `,`, hashes as 8 hex digits each. */
  write(paths: ByteWriter, hashes: ByteWriter): void {
    const names = this.names.dataStart;
    for (let i = 0; i < this.entryCount; i++) {
      const entry = this.entryAt(i);
      paths.jsonStringBytes(names + <usize>load<i32>(entry, E_NAME_START), load<i32>(entry, E_NAME_LENGTH));
      paths.byte(0x2c);
      hashes.hex(fold32(load<u64>(entry, E_HASH)), 8);
    }
  }
}

/** Fills the entry record at `entry` (its name is `nameLength` bytes of `names` from `nameStart`). */
// @ts-ignore: decorator
@inline
function writeEntry(
  entry: usize,
  nameStart: i32,
  nameLength: i32,
  parentLength: i32,
  serial: u32,
  hash: u64,
  first: u32,
  last: u32,
  kind: u8,
  parentKind: u8,
): void {
  store<i32>(entry, nameStart, E_NAME_START);
  store<i32>(entry, nameLength, E_NAME_LENGTH);
  store<i32>(entry, parentLength, E_PARENT_LENGTH);
  store<u32>(entry, serial, E_SERIAL);
  store<u64>(entry, hash, E_HASH);
  store<u32>(entry, first, E_FIRST);
  store<u32>(entry, last, E_LAST);
  store<u8>(entry, kind, E_KIND);
  store<u8>(entry, parentKind, E_PARENT_KIND);
}

/** Nodes stay, and so do an object's key-hash shares (merging them by position would depend on key order). */
// @ts-ignore: decorator
@inline
function isMergeable(entry: usize): bool {
  const kind = load<u8>(entry, E_KIND);
  return kind != ENTRY_NODE && kind != ENTRY_SHARE;
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
