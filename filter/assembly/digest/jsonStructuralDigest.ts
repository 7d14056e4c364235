// A streaming structural digest of a JSON document: one short hash per leaf field path
// ("$.items[0].price" -> "1a2b3c4d"), computed as chunks arrive, so the result never depends
// on where chunks split and the body is never buffered. The scanner moves in runs: string
// bytes up to the next quote/backslash/control byte, whitespace and digits eight bytes per
// step. A string, number or literal that ends in the chunk it starts in (no escape, no
// exponent) is hashed in one pass over the chunk (StreamingHash#prefixed); anything else
// goes byte by byte into the leaf's streaming hash, with the same result. Once the field
// list is full (maxFields, or a path too long) nothing more can be recorded, so from there
// on it only validates: no hashing, no paths, no key bytes.
//
// What a leaf's hash covers (so that equal JSON compares equal however it is spelled):
// - strings: the decoded UTF-8 value ("\u00e9" == "é", "\/" == "/"; lone surrogates as WTF-8)
// - numbers: canonical decimal text (1.50 == 1.5, 1E+2 == 1e2, -0 == 0; 100 != 1e2);
//   big integers keep every digit
// - true / false / null, and empty {} / []
// - a container nested deeper than maxDepth: one leaf hashing its whole canonical subtree
// A leaf's hash is the chosen family's 64-bit hash of those canonical bytes, type tag first,
// folded to 32 bits (lib/fnv.ts fold32). Invalid JSON sets `failed`; the caller then falls
// back to the whole-body hash.
//
// With `maxSubtrees` > 0 it also feeds a SubtreeDigest (subtreeDigest.ts), which hashes every
// container bottom-up; then a full field list stops the leaves only, not the hashing and paths,
// so a document beyond the leaf budget is still localised to its subtrees. Past the leaf
// budget only containers need a path (they name the entries), so a scalar's is not built.
import { ByteWriter, decimalDigits } from "../lib/byteWriter";
import { fold32 } from "../lib/fnv";
import { firstJsonSpecial } from "../lib/jsonBytes";
import { HashAlgorithm, StreamingHash } from "../lib/streamingHash";
import { ContainerFrames, KIND_ARRAY, KIND_OBJECT } from "./containerFrames";
import { SubtreeDigest } from "./subtreeDigest";
import { ValueCapture } from "./valueCapture";

// Parser states.
const S_VALUE: u8 = 0; // a value must come next
const S_OBJ_FIRST: u8 = 1; // after '{': a key or '}'
const S_OBJ_KEY: u8 = 2; // after ',' in an object: a key
const S_COLON: u8 = 3;
const S_AFTER_VALUE: u8 = 4; // inside a container after a value: ',' or its closer
const S_ARR_FIRST: u8 = 5; // after '[': a value or ']'
const S_STRING: u8 = 6;
const S_ESCAPE: u8 = 7;
const S_UNICODE: u8 = 8;
const S_NUMBER: u8 = 9;
const S_LITERAL: u8 = 10;
const S_DONE: u8 = 11;
const S_FAILED: u8 = 12;


// Number grammar states; terminal ones may end the number.
const N_MINUS: u8 = 0;
const N_ZERO: u8 = 1;
const N_INT: u8 = 2;
const N_DOT: u8 = 3;
const N_FRAC: u8 = 4;
const N_EXP_MARK: u8 = 5;
const N_EXP_SIGN: u8 = 6;
const N_EXP: u8 = 7;

// Leaf type tags, hashed first so that "1" (string) != 1 (number).
const TAG_STRING: u32 = 0x73; // s
const TAG_NUMBER: u32 = 0x6e; // n
const TAG_TRUE: u32 = 0x74; // t
const TAG_FALSE: u32 = 0x66; // f
const TAG_NULL: u32 = 0x7a; // z
const TAG_COLLAPSED: u32 = 0x63; // c

/** Nesting beyond this is refused as malformed: it bounds the parser's memory. */
const MAX_NESTING: i32 = 4096;
/** Longest path kept; a field whose path would be longer ends the field list (truncated). */
export const MAX_PATH_BYTES: i32 = 1024;
/** What a reused digest's growable buffers keep (leaf paths, subtree names); more is given back. */
const KEPT_BUFFER_BYTES: i32 = 16384;
/** Keys longer than this are named by their hash: `["#1a2b3c4d"]`. */
const MAX_KEY_BYTES: i32 = 256;
/** Numbers longer than this are hashed as written, without canonicalisation. */
const MAX_NUMBER_BYTES: i32 = 64;

/** Each literal's bytes as a little-endian load sees them. */
const LITERAL_TRUE: u64 = 0x65757274; // "true"
const LITERAL_FALSE: u64 = 0x65736c6166; // "false"
const LITERAL_NULL: u64 = 0x6c6c756e; // "null"

const SPACES: u64 = 0x2020202020202020;
const HIGH_NIBBLES: u64 = 0xf0f0f0f0f0f0f0f0;
const DIGIT_NIBBLES: u64 = 0x3030303030303030;
const SIXES: u64 = 0x0606060606060606;

// @ts-ignore: decorator
@inline
function isWhitespace(c: u32): bool {
  return c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09;
}

// @ts-ignore: decorator
@inline
function isDigit(c: u32): bool {
  return c - 0x30 < 10;
}

/** Past the whitespace run starting at `p`: spaces (indentation) eight at a time. */
// @ts-ignore: decorator
@inline
function skipWhitespace(p: usize, end: usize): usize {
  while (p < end) {
    if (p + 8 <= end) {
      const notSpace = load<u64>(p) ^ SPACES;
      if (notSpace == 0) {
        p += 8;
        continue;
      }
      p += <usize>(ctz<u64>(notSpace) >> 3);
    }
    if (!isWhitespace(<u32>load<u8>(p))) return p;
    p++;
  }
  return end;
}

/** The end of the run of ASCII digits starting at `p`: eight bytes per step. */
function digitRunEnd(p: usize, end: usize): usize {
  while (p + 8 <= end) {
    const word = load<u64>(p);
    // a digit is 0x3_ and stays 0x3_ plus 6; a carry out of a byte starts at a non-digit below it
    const notDigit = ((word & HIGH_NIBBLES) ^ DIGIT_NIBBLES) | (((word + SIXES) & HIGH_NIBBLES) ^ DIGIT_NIBBLES);
    if (notDigit != 0) return p + <usize>(ctz<u64>(notDigit) >> 3);
    p += 8;
  }
  while (p < end && isDigit(<u32>load<u8>(p))) p++;
  return p;
}

function hexValue(c: u32): i32 {
  if (c - 0x30 < 10) return <i32>(c - 0x30);
  const lower = c | 0x20;
  if (lower - 0x61 < 6) return <i32>(lower - 0x61 + 10);
  return -1;
}

export class JsonStructuralDigest {
  /** The leaf paths in document order, each a JSON string literal followed by `,`. */
  readonly paths: ByteWriter = new ByteWriter(1024);
  /** The leaves' 32-bit hashes in the same order, 8 lower-case hex digits each. */
  readonly hashes: ByteWriter = new ByteWriter(512);
  fieldCount: i32 = 0;
  truncated: bool = false;

  private state: u8 = S_VALUE;
  private containers: ContainerFrames = new ContainerFrames();
  private path: ByteWriter = new ByteWriter(128);

  private leaf: StreamingHash;
  private inKey: bool = false;
  /** The key's first MAX_KEY_BYTES + 1 decoded bytes: enough to know it is too long (capacity ≥ 24: see memberKeyHash). */
  private key: ByteWriter = new ByteWriter(64);
  /** Hashes a too-long key's bytes; started only when the key outgrows `key`. */
  private keyHash: StreamingHash;
  private keyHashing: bool = false;
  /** The key just read is still to be appended to the path: past the leaf budget only a container needs it. */
  private keySegmentPending: bool = false;
  private unicodeValue: u32 = 0;
  private unicodeDigits: i32 = 0;
  private pendingHigh: u32 = 0;
  /** A string value has begun and none of its bytes is read yet (scanFreshString). */
  private freshString: bool = false;
  private numberState: u8 = N_MINUS;
  private number: ByteWriter = new ByteWriter(MAX_NUMBER_BYTES);
  private numberOverflow: bool = false;
  /** Where numberDigits stopped. */
  private numberEnd: usize = 0;
  /** The literal being matched: its bytes as one little-endian word, its length, its leaf tag. */
  private literal: u64 = 0;
  private literalLength: i32 = 0;
  private literalIndex: i32 = 0;
  private literalTag: u32 = 0;
  /** Four bytes for a decoded escape, handed on as a run (see `scratch`). */
  private scratchWord: u32 = 0;
  /** Depth at which a too-deep container started; 0 when not inside one. */
  private collapsedAt: i32 = 0;
  /** The subtree hashes beyond the leaf budget; null when `maxSubtrees` is 0. */
  subtrees: SubtreeDigest | null = null;
  /** `subtrees !== null`, as a flag: reading the reference would cost a retain and a release per value. */
  private hasSubtrees: bool = false;
  /** Value capture (valueCapture.ts), when `digest.capture` selects paths; `captureOn` says so. */
  private capture: ValueCapture | null = null;
  private captureOn: bool = false;
  /** The scalar being read is one to capture. */
  private capturingValue: bool = false;

  constructor(private maxFields: i32, private maxDepth: i32, algorithm: HashAlgorithm = HashAlgorithm.XxHash64, maxSubtrees: i32 = 0) {
    this.leaf = new StreamingHash(algorithm);
    this.keyHash = new StreamingHash(algorithm);
    this.path.byte(0x24); // $
    if (maxSubtrees > 0) {
      this.subtrees = new SubtreeDigest(this.path, <u32>max(maxFields, 1), maxSubtrees);
      this.hasSubtrees = true;
    }
  }

  /**
   * Starts over for the next document, as a new digest of the same options would: a pooled
   * response digest reuses it (responseDigest.ts `reset`), so every field of the scanner's state
   * is set back here. The buffers keep their size, up to KEPT_BUFFER_BYTES for those a document
   * can grow without bound by maxFields (its paths, its subtree names).
   */
  reset(): void {
    this.paths.recycle(KEPT_BUFFER_BYTES);
    this.hashes.reset();
    this.fieldCount = 0;
    this.truncated = false;
    this.state = S_VALUE;
    this.containers.clear();
    this.path.reset();
    this.path.byte(0x24); // $
    this.leaf.reset();
    this.inKey = false;
    this.key.reset();
    this.keyHash.reset();
    this.keyHashing = false;
    this.keySegmentPending = false;
    this.unicodeValue = 0;
    this.unicodeDigits = 0;
    this.pendingHigh = 0;
    this.freshString = false;
    this.numberState = N_MINUS;
    this.number.reset();
    this.numberOverflow = false;
    this.numberEnd = 0;
    this.literal = 0;
    this.literalLength = 0;
    this.literalIndex = 0;
    this.literalTag = 0;
    this.scratchWord = 0;
    this.collapsedAt = 0;
    if (this.hasSubtrees) this.subtrees!.reset(KEPT_BUFFER_BYTES);
    if (this.captureOn) changetype<ValueCapture>(this.capture).reset();
    this.capturingValue = false;
  }

  /**
   * False once nothing more can be recorded: no further field, and no subtree hashes to keep, so
   * the rest of the document is only validated.
   */
  // @ts-ignore: decorator
  @inline
  private get recording(): bool {
    return !this.truncated || this.hasSubtrees;
  }

  /** A leaf's hash: into the field list while it has room, and to the subtree hashes. */
  // @ts-ignore: decorator
  @inline
  private leafHash(hash: u64): void {
    // past the leaf budget no call: only the field list's first maxFields + 1 leaves reach emitLeaf
    if (!this.truncated) this.emitLeaf(hash);
    else this.capturingValue = false;
    if (this.hasSubtrees) this.subtrees!.leaf(hash);
  }

  /** Also record the values of the leaves `capture` selects. */
  captureValues(capture: ValueCapture): void {
    this.capture = capture;
    this.captureOn = true;
  }

  /** The values captured, or null without capture. */
  get values(): ValueCapture | null {
    return this.capture;
  }

  get failed(): bool {
    return this.state == S_FAILED;
  }

  /** True once the input is a complete JSON value (whitespace may follow). */
  finish(): bool {
    if (this.state == S_NUMBER && this.containers.depth == 0) {
      if (!this.endNumber()) return false;
    }
    if (this.state != S_DONE) {
      this.fail();
      return false;
    }
    return true;
  }

  update(ptr: usize, length: usize): void {
    let p = ptr;
    const end = ptr + length;
    while (p < end) {
      const state = this.state;
      if (state == S_STRING) {
        p = this.scanString(p, end);
        continue;
      }
      const c = <u32>load<u8>(p);
      if (state == S_NUMBER) {
        if (isDigit(c) && this.numberDigits(p, end)) {
          p = this.numberEnd;
          continue;
        }
        if (this.numberByte(c)) {
          p++;
        } else if (!this.endNumber()) {
          return;
        }
        // the byte that ended the number is read again in the next state
        continue;
      }
      p++;
      // (one compare for the common case: no whitespace byte is above 0x20)
      if (c <= 0x20 && isWhitespace(c) && (state <= S_ARR_FIRST || state == S_DONE)) {
        // every state that allows whitespace ignores it: skip the whole run
        p = skipWhitespace(p, end);
        continue;
      }
      switch (state) {
        case S_VALUE:
        case S_ARR_FIRST: {
          if (state == S_ARR_FIRST && c == 0x5d) {
            this.closeContainer(KIND_ARRAY);
            break;
          }
          this.beginValue(c);
          if (this.state == S_LITERAL) p = this.literalInChunk(p, end);
          else if (this.state == S_NUMBER) p = this.numberInChunk(p, end);
          break;
        }
        case S_OBJ_FIRST:
        case S_OBJ_KEY: {
          if (c == 0x22) {
            this.beginKey();
            p = this.keyInChunk(p, end);
          } else if (state == S_OBJ_FIRST && c == 0x7d) {
            this.closeContainer(KIND_OBJECT);
          } else {
            this.fail();
          }
          break;
        }
        case S_COLON: {
          if (c != 0x3a) {
            this.fail();
            break;
          }
          if (this.collapsedAt > 0) this.leaf.byte(c);
          this.state = S_VALUE;
          break;
        }
        case S_AFTER_VALUE: {
          const kind = this.containers.kind;
          if (c == 0x2c) {
            if (this.collapsedAt > 0) this.leaf.byte(c);
            if (kind != KIND_OBJECT) {
              this.state = S_VALUE;
            } else {
              // the common `,"key"` (or with whitespace between): on to the key in this step
              if (p < end && load<u8>(p) <= 0x20) p = skipWhitespace(p, end);
              if (p < end && load<u8>(p) == 0x22) {
                this.beginKey();
                p = this.keyInChunk(p + 1, end);
              } else {
                this.state = S_OBJ_KEY;
              }
            }
          } else if (c == 0x7d) {
            this.closeContainer(KIND_OBJECT);
          } else if (c == 0x5d) {
            this.closeContainer(KIND_ARRAY);
          } else {
            this.fail();
          }
          break;
        }
        case S_ESCAPE:
          this.escapeByte(c);
          break;
        case S_UNICODE:
          this.unicodeByte(c);
          break;
        case S_LITERAL: {
          if (c == <u32>((this.literal >> (<u64>this.literalIndex << 3)) & 0xff)) {
            this.literalIndex++;
            if (this.literalIndex == this.literalLength) this.endLiteral();
          } else {
            this.fail();
          }
          break;
        }
        case S_DONE: {
          if (!isWhitespace(c)) this.fail();
          break;
        }
        default:
          // S_FAILED: nothing more to learn from this body
          return;
      }
    }
  }

  private fail(): void {
    this.state = S_FAILED;
    this.paths.reset();
    this.hashes.reset();
    this.fieldCount = 0;
    this.capturingValue = false;
    if (this.captureOn) changetype<ValueCapture>(this.capture).reset();
  }

  // ---- values ------------------------------------------------------------------------

  // (inlined into update, its one caller)
  // @ts-ignore: decorator
  @inline
  private beginValue(c: u32): void {
    if (this.collapsedAt == 0 && this.recording) {
      // Past the leaf budget a scalar's path is never read (only containers name entries).
      const named = !this.truncated || c == 0x7b || c == 0x5b;
      if (this.containers.kind == KIND_ARRAY) {
        const index = this.containers.nextIndex();
        if (named) this.appendIndexSegment(index);
      } else if (this.keySegmentPending) {
        this.keySegmentPending = false;
        if (named) this.appendKeySegment();
      }
      // Past the leaf budget (still read for the subtree hashes) no value is committed.
      if (this.captureOn && !this.truncated) this.beginCapture(c);
    }
    if (c == 0x22) {
      // A leaf's hash starts when its first bytes show how it is read (scanFreshString); inside
      // a collapsed container every byte goes on into the container's one hash.
      if (this.collapsedAt == 0) this.freshString = true;
      else this.leaf.byte(TAG_STRING);
      this.inKey = false;
      this.state = S_STRING;
    } else if (c == 0x7b) {
      this.openContainer(KIND_OBJECT, c);
    } else if (c == 0x5b) {
      this.openContainer(KIND_ARRAY, c);
    } else if (c == 0x2d || isDigit(c)) {
      this.number.reset();
      this.numberOverflow = false;
      this.numberState = c == 0x2d ? N_MINUS : (c == 0x30 ? N_ZERO : N_INT);
      this.number.byte(c);
      this.state = S_NUMBER;
    } else if (c == 0x74) {
      this.beginLiteral(LITERAL_TRUE, 4, TAG_TRUE);
    } else if (c == 0x66) {
      this.beginLiteral(LITERAL_FALSE, 5, TAG_FALSE);
    } else if (c == 0x6e) {
      this.beginLiteral(LITERAL_NULL, 4, TAG_NULL);
    } else {
      this.fail();
    }
  }

  /** Starts capturing the scalar that `c` begins when its path is selected. */
  private beginCapture(c: u32): void {
    this.capturingValue = false;
    let tag: u32 = 0;
    if (c == 0x22) tag = TAG_STRING;
    else if (c == 0x2d || isDigit(c)) tag = TAG_NUMBER;
    else if (c == 0x74) tag = TAG_TRUE;
    else if (c == 0x66) tag = TAG_FALSE;
    else if (c == 0x6e) tag = TAG_NULL;
    if (tag == 0) return;
    const capture = changetype<ValueCapture>(this.capture);
    if (!capture.selects(this.path.dataStart, this.path.length)) return;
    capture.begin(tag);
    this.capturingValue = true;
  }

  /** A value just completed: back to the enclosing container (or done at the top). */
  // @ts-ignore: decorator
  @inline
  private endValue(): void {
    if (this.containers.depth == 0) {
      this.state = S_DONE;
      return;
    }
    this.state = S_AFTER_VALUE;
    if (this.collapsedAt == 0) this.path.length = this.containers.pathLength;
  }

  private emitLeaf(hash: u64): void {
    const captured = this.capturingValue;
    this.capturingValue = false;
    if (this.fieldCount >= this.maxFields || this.truncated) {
      this.truncated = true;
      return;
    }
    this.paths.jsonStringBytes(this.path.dataStart, this.path.length);
    this.paths.byte(0x2c);
    this.hashes.hex(fold32(hash), 8);
    if (captured) changetype<ValueCapture>(this.capture).commit(this.fieldCount);
    this.fieldCount++;
  }

  // @ts-ignore: decorator
  @inline
  private finishScalar(): void {
    if (this.collapsedAt == 0 && this.recording) this.leafHash(this.leaf.value());
    this.endValue();
  }

  // ---- containers --------------------------------------------------------------------

  private openContainer(kind: u8, opener: u32): void {
    const depth = this.containers.depth;
    if (depth >= MAX_NESTING) {
      this.fail();
      return;
    }
    this.containers.push(kind, this.path.length);
    if (this.collapsedAt == 0 && depth + 1 > this.maxDepth) {
      // Children would sit deeper than maxDepth: this container becomes one leaf.
      this.collapsedAt = depth + 1;
      this.leaf.reset();
      this.leaf.byte(TAG_COLLAPSED);
    }
    if (this.collapsedAt > 0) {
      this.leaf.byte(opener);
    } else {
      if (this.hasSubtrees) this.subtrees!.open(kind);
    }
    this.state = kind == KIND_OBJECT ? S_OBJ_FIRST : S_ARR_FIRST;
  }

  private closeContainer(kind: u8): void {
    const depth = this.containers.depth;
    if (depth == 0 || this.containers.kind != kind) {
      this.fail();
      return;
    }
    const wasEmpty = this.state == S_OBJ_FIRST || this.state == S_ARR_FIRST;
    this.containers.pop();
    if (this.collapsedAt > 0) {
      this.leaf.byte(kind == KIND_OBJECT ? 0x7d : 0x5d);
      if (depth == this.collapsedAt) {
        this.collapsedAt = 0;
        if (this.recording) this.leafHash(this.leaf.value());
      }
    } else if (wasEmpty && this.recording) {
      // {} and [] are leaves, so "emptied" is told apart from "missing".
      const opener: u32 = kind == KIND_OBJECT ? 0x7b : 0x5b;
      const scratch = this.scratch;
      store<u8>(scratch, <u8>(opener + 2));
      const hash = this.leaf.prefixed(opener, scratch, 1);
      this.emitLeaf(hash);
      if (this.hasSubtrees) this.subtrees!.closeEmpty(hash);
    } else {
      if (this.hasSubtrees) this.subtrees!.close();
    }
    this.endValue();
  }

  // ---- paths -------------------------------------------------------------------------

  private fitsPath(extra: i32): bool {
    if (this.path.length + extra <= MAX_PATH_BYTES) return true;
    this.truncated = true;
    return false;
  }

  private appendIndexSegment(index: u32): void {
    if (!this.fitsPath(decimalDigits(index) + 2)) return;
    this.path.byte(0x5b);
    this.path.decimal(index);
    this.path.byte(0x5d);
  }

  private appendKeySegment(): void {
    // (this.key throughout, not a local: a local reference costs a retain and a release)
    if (this.key.length > MAX_KEY_BYTES) {
      if (!this.fitsPath(13)) return;
      if (!this.keyHashing) {
        // exactly MAX_KEY_BYTES + 1 bytes: they all fitted in `key`
        this.keyHash.reset();
        this.keyHash.bytes(this.key.dataStart, this.key.length);
      }
      this.path.raw("[\"#");
      this.path.hex(fold32(this.keyHash.value()), 8);
      this.path.raw("\"]");
      return;
    }
    if (this.isIdentifier(this.key.dataStart, this.key.length)) {
      if (!this.fitsPath(this.key.length + 1)) return;
      this.path.byte(0x2e);
      this.path.bytes(this.key.dataStart, this.key.length);
      return;
    }
    const before = this.path.length;
    this.path.byte(0x5b);
    this.path.jsonStringBytes(this.key.dataStart, this.key.length);
    this.path.byte(0x5d);
    if (this.path.length > MAX_PATH_BYTES) {
      this.path.length = before;
      this.truncated = true;
    }
  }

  private isIdentifier(ptr: usize, length: i32): bool {
    if (length == 0) return false;
    for (let i = 0; i < length; i++) {
      const c = <u32>load<u8>(ptr + i);
      const letter = (c | 0x20) - 0x61 < 26 || c == 0x5f;
      if (!(letter || (i > 0 && isDigit(c)))) return false;
    }
    return true;
  }

  // ---- strings -----------------------------------------------------------------------

  // @ts-ignore: decorator
  @inline
  private beginKey(): void {
    this.inKey = true;
    if (this.collapsedAt > 0) {
      this.leaf.byte(TAG_STRING);
    } else {
      this.key.reset();
      this.keyHashing = false;
    }
    this.state = S_STRING;
  }

  private get keyCollects(): bool {
    return this.inKey && this.collapsedAt == 0;
  }

  /** Emits decoded bytes of the current string to its destination: the key or the leaf's hash. */
  // @ts-ignore: decorator
  @inline
  private stringBytes(ptr: usize, length: usize): void {
    if (length == 0 || !this.recording) return;
    if (this.keyCollects) {
      this.keyBytes(ptr, <i32>length);
    } else {
      this.leaf.bytes(ptr, length);
      if (this.capturingValue) changetype<ValueCapture>(this.capture).stringBytes(ptr, length);
    }
  }

  private stringByte(c: u32): void {
    if (!this.recording) return;
    if (this.keyCollects) {
      const scratch = this.scratch;
      store<u8>(scratch, <u8>c);
      this.keyBytes(scratch, 1);
    } else {
      this.leaf.byte(c);
      if (this.capturingValue) {
        const scratch = this.scratch;
        store<u8>(scratch, <u8>c);
        changetype<ValueCapture>(this.capture).stringBytes(scratch, 1);
      }
    }
  }

  /**
   * The key keeps its first MAX_KEY_BYTES + 1 bytes; a key that outgrows them is named by its
   * hash, so only then are its bytes hashed: those kept first, then the rest as it comes.
   */
  private keyBytes(ptr: usize, length: i32): void {
    const room = MAX_KEY_BYTES + 1 - this.key.length;
    if (length <= room) {
      this.key.bytes(ptr, length);
      return;
    }
    if (!this.keyHashing) {
      this.key.bytes(ptr, room);
      ptr += room;
      length -= room;
      this.keyHash.reset();
      this.keyHash.bytes(this.key.dataStart, this.key.length);
      this.keyHashing = true;
    }
    this.keyHash.bytes(ptr, length);
  }

  /** The hot loop: a run of plain string bytes, found eight bytes at a time, goes out in one piece. */
  // @ts-ignore: decorator
  @inline
  private scanString(p: usize, end: usize): usize {
    if (this.freshString) return this.scanFreshString(p, end);
    if (this.pendingHigh != 0 && load<u8>(p) != 0x5c) this.flushPendingHigh();
    const start = p;
    p = firstJsonSpecial(p, end);
    this.stringBytes(start, p - start);
    if (p == end) return p;
    const c = <u32>load<u8>(p);
    p++;
    if (c == 0x22) {
      this.endString();
    } else if (c == 0x5c) {
      this.state = S_ESCAPE;
    } else {
      this.fail();
    }
    return p;
  }

  /**
   * A string value's first run. Most values end in the chunk they start in and hold no escape:
   * their hash is taken over the chunk's bytes in one pass, the tag in place of the opening quote
   * (StreamingHash#prefixed). Any other value starts its leaf hash here and goes on as scanString.
   */
  private scanFreshString(p: usize, end: usize): usize {
    this.freshString = false;
    const start = p;
    p = firstJsonSpecial(p, end);
    if (p < end && load<u8>(p) == 0x22) {
      if (this.recording) {
        if (this.capturingValue && p > start) changetype<ValueCapture>(this.capture).stringBytes(start, p - start);
        this.leafHash(this.leaf.prefixed(TAG_STRING, start, p - start));
      }
      this.endValue();
      return p + 1;
    }
    this.leaf.reset();
    this.leaf.byte(TAG_STRING);
    this.stringBytes(start, p - start);
    if (p == end) return p;
    // a backslash, or a control byte (malformed)
    if (load<u8>(p) == 0x5c) this.state = S_ESCAPE;
    else this.fail();
    return p + 1;
  }

  /**
   * A key whose opening quote was just read, when the chunk holds all of it without an escape
   * and it is short enough to keep: taken in one copy, and the colon after it too when it
   * follows at once. Otherwise returns `p` and S_STRING reads the key.
   */
  // @ts-ignore: decorator
  @inline
  private keyInChunk(p: usize, end: usize): usize {
    if (this.collapsedAt > 0 || !this.recording) return p;
    const close = firstJsonSpecial(p, end);
    if (close == end || load<u8>(close) != 0x22 || close - p > <usize>MAX_KEY_BYTES) return p;
    this.key.bytes(p, <i32>(close - p));
    this.endString();
    p = close + 1;
    if (p < end && load<u8>(p) == 0x3a) {
      this.state = S_VALUE;
      p++;
      // `"key": value`, as indented JSON spells it
      if (p < end && load<u8>(p) == 0x20) p++;
    }
    return p;
  }

  private endString(): void {
    if (this.pendingHigh != 0) this.flushPendingHigh();
    if (this.collapsedAt > 0) this.leaf.byte(0x22);
    if (this.inKey) {
      this.inKey = false;
      if (this.collapsedAt == 0 && this.recording) {
        // past the leaf budget, named only if its value turns out to be a container (beginValue)
        if (this.truncated) this.keySegmentPending = true;
        else this.appendKeySegment();
        if (this.hasSubtrees) this.subtrees!.key(this.key.dataStart, this.key.length, this.keyHashing ? this.keyHash.value() : 0, this.keyHashing);
      }
      this.state = S_COLON;
      return;
    }
    this.finishScalar();
  }

  private escapeByte(c: u32): void {
    if (c == 0x75) {
      this.unicodeValue = 0;
      this.unicodeDigits = 0;
      this.state = S_UNICODE;
      return;
    }
    if (this.pendingHigh != 0) this.flushPendingHigh();
    let decoded: u32 = 0;
    if (c == 0x22 || c == 0x5c || c == 0x2f) decoded = c;
    else if (c == 0x62) decoded = 0x08;
    else if (c == 0x66) decoded = 0x0c;
    else if (c == 0x6e) decoded = 0x0a;
    else if (c == 0x72) decoded = 0x0d;
    else if (c == 0x74) decoded = 0x09;
    else {
      this.fail();
      return;
    }
    this.stringByte(decoded);
    this.state = S_STRING;
  }

  private unicodeByte(c: u32): void {
    const digit = hexValue(c);
    if (digit < 0) {
      this.fail();
      return;
    }
    this.unicodeValue = (this.unicodeValue << 4) | <u32>digit;
    this.unicodeDigits++;
    if (this.unicodeDigits < 4) return;
    const unit = this.unicodeValue;
    this.state = S_STRING;
    if (this.pendingHigh != 0) {
      if (unit >= 0xdc00 && unit <= 0xdfff) {
        const codePoint = 0x10000 + ((this.pendingHigh - 0xd800) << 10) + (unit - 0xdc00);
        this.pendingHigh = 0;
        this.codePoint(codePoint);
        return;
      }
      this.flushPendingHigh();
    }
    if (unit >= 0xd800 && unit <= 0xdbff) {
      // wait: the low half of a surrogate pair may follow as another \u escape
      this.pendingHigh = unit;
      return;
    }
    this.codePoint(unit);
  }

  /** A high surrogate with no low half: kept as WTF-8, as JSON.parse keeps it too. */
  private flushPendingHigh(): void {
    const unit = this.pendingHigh;
    this.pendingHigh = 0;
    this.codePoint(unit);
  }

  /** The UTF-8 (WTF-8 for a lone surrogate) of an escaped code point, as one run. */
  private codePoint(cp: u32): void {
    const scratch = this.scratch;
    let length: usize = 1;
    if (cp < 0x80) {
      store<u8>(scratch, <u8>cp);
    } else if (cp < 0x800) {
      store<u8>(scratch, <u8>(0xc0 | (cp >> 6)));
      store<u8>(scratch, <u8>(0x80 | (cp & 0x3f)), 1);
      length = 2;
    } else if (cp < 0x10000) {
      store<u8>(scratch, <u8>(0xe0 | (cp >> 12)));
      store<u8>(scratch, <u8>(0x80 | ((cp >> 6) & 0x3f)), 1);
      store<u8>(scratch, <u8>(0x80 | (cp & 0x3f)), 2);
      length = 3;
    } else {
      store<u8>(scratch, <u8>(0xf0 | (cp >> 18)));
      store<u8>(scratch, <u8>(0x80 | ((cp >> 12) & 0x3f)), 1);
      store<u8>(scratch, <u8>(0x80 | ((cp >> 6) & 0x3f)), 2);
      store<u8>(scratch, <u8>(0x80 | (cp & 0x3f)), 3);
      length = 4;
    }
    this.stringBytes(scratch, length);
  }

  /** The address of `scratchWord`: the receivers copy or hash the bytes, never keep the pointer. */
  // @ts-ignore: decorator
  @inline
  private get scratch(): usize {
    return changetype<usize>(this) + offsetof<JsonStructuralDigest>("scratchWord");
  }

  // ---- literals ----------------------------------------------------------------------

  private beginLiteral(literal: u64, length: i32, tag: u32): void {
    this.literal = literal;
    this.literalLength = length;
    this.literalIndex = 1;
    this.literalTag = tag;
    this.state = S_LITERAL;
  }

  /**
   * The rest of a literal whose first byte was just read, matched with one load when the chunk
   * holds all of it; otherwise (or on a mismatch) S_LITERAL goes on byte by byte and decides.
   */
  // @ts-ignore: decorator
  @inline
  private literalInChunk(p: usize, end: usize): usize {
    if (p + 4 > end) return p;
    const rest = <usize>(this.literalLength - 1);
    const mask: u32 = rest == 4 ? 0xffffffff : 0xffffff;
    if ((load<u32>(p) & mask) != <u32>(this.literal >> 8)) return p;
    this.endLiteral();
    return p + rest;
  }

  private endLiteral(): void {
    if (this.collapsedAt > 0) {
      this.leaf.byte(this.literalTag);
    } else if (this.recording) {
      // a literal's canonical bytes are its tag alone
      this.leafHash(this.leaf.prefixed(this.literalTag, this.scratch, 0));
    }
    this.endValue();
  }

  // ---- numbers -----------------------------------------------------------------------

  /**
   * The common case of numberByte in bulk: a run of digits continuing an integer, fraction or
   * exponent that still fits the buffer. False (nothing consumed) when numberByte must decide;
   * otherwise the run ends at `numberEnd`.
   */
  // @ts-ignore: decorator
  @inline
  private numberDigits(p: usize, end: usize): bool {
    const s = this.numberState;
    if (this.numberOverflow || !(s == N_INT || s == N_FRAC || s == N_EXP)) return false;
    if (!this.recording) {
      // only the grammar matters now
      while (p < end && isDigit(<u32>load<u8>(p))) p++;
      this.numberEnd = p;
      return true;
    }
    const room = <usize>(MAX_NUMBER_BYTES - this.number.length);
    if (room == 0) return false;
    const limit = min(end, p + room);
    const start = p;
    while (p < limit && isDigit(<u32>load<u8>(p))) p++;
    this.number.bytes(start, <i32>(p - start));
    this.numberEnd = p;
    return true;
  }

  /**
   * A whole number whose first byte was just read, when the chunk holds all of it and it has no
   * exponent: checked and hashed in place (its canonical text is a prefix of the text, see
   * canonicalNumberHash), and the value ends here. Anything else (an exponent, the chunk ending,
   * a negative zero, malformed input, a captured value, a collapsed container) returns `p` and
   * the number goes on byte by byte in S_NUMBER, which decides.
   */
  // @ts-ignore: decorator
  @inline
  private numberInChunk(p: usize, end: usize): usize {
    if (this.collapsedAt > 0 || this.capturingValue || !this.recording) return p;
    const start = p - 1;
    let q = p;
    let negative = false;
    if (load<u8>(start) == 0x2d) {
      if (q >= end || !isDigit(<u32>load<u8>(q))) return p;
      negative = true;
      q++;
    }
    // the integer part: one zero, or digits not starting with a zero
    const intStart = q - 1;
    if (load<u8>(intStart) != 0x30) q = digitRunEnd(q, end);
    let length = q - start;
    if (q < end && load<u8>(q) == 0x2e) {
      q++;
      const fracStart = q;
      q = digitRunEnd(q, end);
      if (q == fracStart) return p;
      length = q - start;
      while (load<u8>(start + length - 1) == 0x30) length--;
      if (load<u8>(start + length - 1) == 0x2e) length--;
    }
    if (q >= end || q - start > <usize>MAX_NUMBER_BYTES) return p;
    const next = <u32>load<u8>(q);
    if (isDigit(next) || (next | 0x20) == 0x65) return p;
    if (negative && length == 2 && load<u8>(intStart) == 0x30) return p;
    this.leafHash(this.leaf.prefixed(TAG_NUMBER, start, length));
    this.endValue();
    return q;
  }

  /** Advances the number grammar by one byte; false when the byte is not part of it. */
  private numberByte(c: u32): bool {
    const s = this.numberState;
    let next: u8 = 0xff;
    if (isDigit(c)) {
      if (s == N_MINUS) next = c == 0x30 ? N_ZERO : N_INT;
      else if (s == N_INT) next = N_INT;
      else if (s == N_DOT || s == N_FRAC) next = N_FRAC;
      else if (s == N_EXP_MARK || s == N_EXP_SIGN || s == N_EXP) next = N_EXP;
    } else if (c == 0x2e) {
      if (s == N_ZERO || s == N_INT) next = N_DOT;
    } else if ((c | 0x20) == 0x65) {
      if (s == N_ZERO || s == N_INT || s == N_FRAC) next = N_EXP_MARK;
    } else if (c == 0x2b || c == 0x2d) {
      if (s == N_EXP_MARK) next = N_EXP_SIGN;
    }
    if (next == 0xff) return false;
    this.numberState = next;
    if (!this.recording) return true;
    if (this.numberOverflow) {
      this.leaf.byte(c);
    } else if (this.number.length >= MAX_NUMBER_BYTES) {
      // too long to canonicalise: hash it as written from here on
      this.numberOverflow = true;
      if (this.collapsedAt == 0) this.leaf.reset();
      this.leaf.byte(TAG_NUMBER);
      this.leaf.bytes(this.number.dataStart, this.number.length);
      this.leaf.byte(c);
    } else {
      this.number.byte(c);
    }
    return true;
  }

  private endNumber(): bool {
    const s = this.numberState;
    if (!(s == N_ZERO || s == N_INT || s == N_FRAC || s == N_EXP)) {
      this.fail();
      return false;
    }
    if (!this.numberOverflow && this.recording) {
      if (this.collapsedAt == 0) {
        this.leafHash(this.canonicalNumberHash());
        this.endValue();
        return true;
      }
      this.hashCanonicalNumber();
    } else {
      // a number too long to canonicalise has no canonical value to capture
      this.capturingValue = false;
    }
    this.finishScalar();
    return true;
  }

  /**
   * The leaf hash of the number just read. Without an exponent its canonical text is a prefix
   * of the text as written (trailing fraction zeros, and then a bare `.`, cut off), hashed in
   * one pass; a negative zero, an exponent or a captured value go through hashCanonicalNumber.
   */
  private canonicalNumberHash(): u64 {
    const text = this.number.dataStart;
    let length = this.number.length;
    const s = this.numberState;
    if ((s == N_FRAC || s == N_ZERO || s == N_INT) && !this.capturingValue) {
      if (s == N_FRAC) {
        while (load<u8>(text + length - 1) == 0x30) length--;
        if (load<u8>(text + length - 1) == 0x2e) length--;
      }
      const negativeZero = load<u8>(text) == 0x2d && length == 2 && load<u8>(text, 1) == 0x30;
      if (!negativeZero) return this.leaf.prefixed(TAG_NUMBER, text, length);
    }
    this.leaf.reset();
    this.hashCanonicalNumber();
    return this.leaf.value();
  }

  /** Hashes [-]int[.frac][e[-]exp] with trailing fraction zeros, '+' and exponent zeros dropped. */
  private hashCanonicalNumber(): void {
    const text = this.number.dataStart;
    const length = this.number.length;
    let i = 0;
    let negative = false;
    if (load<u8>(text) == 0x2d) {
      negative = true;
      i = 1;
    }
    const intStart = i;
    while (i < length && isDigit(load<u8>(text + i))) i++;
    const intEnd = i;
    let fracStart = i;
    let fracEnd = i;
    if (i < length && load<u8>(text + i) == 0x2e) {
      i++;
      fracStart = i;
      while (i < length && isDigit(load<u8>(text + i))) i++;
      fracEnd = i;
      while (fracEnd > fracStart && load<u8>(text + fracEnd - 1) == 0x30) fracEnd--;
    }
    let expNegative = false;
    let expStart = length;
    if (i < length) {
      i++; // e or E
      const sign = load<u8>(text + i);
      if (sign == 0x2d || sign == 0x2b) {
        expNegative = sign == 0x2d;
        i++;
      }
      while (i < length - 1 && load<u8>(text + i) == 0x30) i++;
      expStart = i;
      if (expStart == length - 1 && load<u8>(text + expStart) == 0x30) expStart = length;
    }
    const isZero = intEnd - intStart == 1 && load<u8>(text + intStart) == 0x30 && fracEnd == fracStart;
    // (this.leaf throughout, not a local: a local reference costs a retain and a release)
    this.leaf.byte(TAG_NUMBER);
    if (negative && !isZero) this.leaf.byte(0x2d);
    this.leaf.bytes(text + intStart, intEnd - intStart);
    if (fracEnd > fracStart) {
      this.leaf.byte(0x2e);
      this.leaf.bytes(text + fracStart, fracEnd - fracStart);
    }
    if (expStart < length) {
      this.leaf.byte(0x65);
      if (expNegative) this.leaf.byte(0x2d);
      this.leaf.bytes(text + expStart, length - expStart);
    }
    if (this.capturingValue) {
      changetype<ValueCapture>(this.capture).canonicalNumber(
        negative && !isZero, text + intStart, intEnd - intStart, text + fracStart, fracEnd - fracStart, expNegative, text + expStart, length - expStart,
      );
    }
  }
}
