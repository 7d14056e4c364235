// The hash an object member's key contributes to its subtree hash: mix64 of the key's FNV-1a 64.
// FNV-1a is one multiply per byte, each waiting for the one before, and a document repeats the
// same few keys in every item of its arrays: so keys of up to 24 bytes are remembered in a small
// direct-mapped table, shared by every digest of the worker (the value depends on the key's
// bytes alone), and a repeated key costs a few loads and compares instead of a multiply per byte.
import { FNV_OFFSET, fnvBytes, mix64 } from "../lib/fnv";

/** Keys up to this long are remembered: three words, the last one overlapping when shorter. */
const CACHED_KEY_BYTES: i32 = 24;
const SLOT_BITS: i32 = 8;
// a slot: the key's length, its three words, the hash
const SLOT_BYTES: usize = 40;
const S_LENGTH: usize = 0;
const S_WORD0: usize = 8;
const S_WORD1: usize = 16;
const S_WORD2: usize = 24;
const S_HASH: usize = 32;

// A slot never written holds length 0, and the empty key is never looked up: it cannot match.
const SLOTS = new ArrayBuffer(<i32>((<usize>1 << SLOT_BITS) * SLOT_BYTES));

/**
 * mix64(FNV-1a 64 of the `length` bytes at `ptr`). `ptr` must have 24 addressable bytes
 * whatever `length` is (the key buffer always has): a short key's words are loaded whole and
 * masked.
 */
export function memberKeyHash(ptr: usize, length: i32): u64 {
  if (length == 0 || length > CACHED_KEY_BYTES) return mix64(fnvBytes(FNV_OFFSET, ptr, length));
  let word0: u64 = 0;
  let word1: u64 = 0;
  let word2: u64 = 0;
  if (length < 8) {
    word0 = load<u64>(ptr) & (<u64>-1 >> (<u64>(64 - (length << 3))));
  } else {
    word0 = load<u64>(ptr);
    if (length <= 16) {
      // (length, first word, last word) tell every key of 8 to 16 bytes apart
      word1 = load<u64>(ptr + <usize>length - 8);
    } else {
      word1 = load<u64>(ptr, 8);
      word2 = load<u64>(ptr + <usize>length - 8);
    }
  }
  const index = (((word0 ^ rotl<u64>(word1, 21) ^ rotl<u64>(word2, 42)) + <u64>length) * 0x9e3779b97f4a7c15) >> <u64>(64 - SLOT_BITS);
  const slot = changetype<usize>(SLOTS) + <usize>index * SLOT_BYTES;
  if (
    load<u64>(slot, S_LENGTH) == <u64>length &&
    load<u64>(slot, S_WORD0) == word0 &&
    load<u64>(slot, S_WORD1) == word1 &&
    load<u64>(slot, S_WORD2) == word2
  ) {
    return load<u64>(slot, S_HASH);
  }
  const hash = mix64(fnvBytes(FNV_OFFSET, ptr, length));
  store<u64>(slot, <u64>length, S_LENGTH);
  store<u64>(slot, word0, S_WORD0);
  store<u64>(slot, word1, S_WORD1);
  store<u64>(slot, word2, S_WORD2);
  store<u64>(slot, hash, S_HASH);
  return hash;
}
