// XXH64 (Yann Collet's xxHash, 64-bit variant), written from the published specification
// (xxhash_spec.md, "XXH64 Algorithm Description"), computed incrementally: four 64-bit lanes
// consume the input in 32-byte stripes, and the partial stripe left at the end of one
// update() waits in `stripe` for the next. So the hash of a body is the same however its
// chunks split. Not a security hash: it detects change, at several bytes per cycle.

const PRIME64_1: u64 = 0x9e3779b185ebca87;
const PRIME64_2: u64 = 0xc2b2ae3d27d4eb4f;
const PRIME64_3: u64 = 0x165667b19e3779f9;
const PRIME64_4: u64 = 0x85ebca77c2b2ae63;
const PRIME64_5: u64 = 0x27d4eb2f165667c5;

const STRIPE_BYTES: usize = 32;

// @ts-ignore: decorator
@inline
function round(accumulator: u64, lane: u64): u64 {
  return rotl<u64>(accumulator + lane * PRIME64_2, 31) * PRIME64_1;
}

// @ts-ignore: decorator
@inline
function mergeAccumulator(accumulator: u64, lane: u64): u64 {
  return (accumulator ^ round(0, lane)) * PRIME64_1 + PRIME64_4;
}

/** The four lanes of a hash that saw at least one 32-byte stripe, folded into one. */
// @ts-ignore: decorator
@inline
function convergeLanes(lane1: u64, lane2: u64, lane3: u64, lane4: u64): u64 {
  let hash = rotl<u64>(lane1, 1) + rotl<u64>(lane2, 7) + rotl<u64>(lane3, 12) + rotl<u64>(lane4, 18);
  hash = mergeAccumulator(hash, lane1);
  hash = mergeAccumulator(hash, lane2);
  hash = mergeAccumulator(hash, lane3);
  return mergeAccumulator(hash, lane4);
}

export class XxHash64 {
  private lane1: u64 = 0;
  private lane2: u64 = 0;
  private lane3: u64 = 0;
  private lane4: u64 = 0;
  private totalBytes: u64 = 0;
  private buffered: usize = 0;
  // The bytes of a stripe not yet complete (fewer than 32), kept in the object itself (at
  // `stripe`) rather than in a buffer of its own: one allocation per hash, not two.
  private pending0: u64 = 0;
  private pending1: u64 = 0;
  private pending2: u64 = 0;
  private pending3: u64 = 0;

  constructor(private seed: u64 = 0) {
    this.reset();
  }

  // @ts-ignore: decorator
  @inline
  private get stripe(): usize {
    return changetype<usize>(this) + offsetof<XxHash64>("pending0");
  }

  /** Starts a new input, as if freshly constructed with the same seed. */
  reset(): void {
    const seed = this.seed;
    this.lane1 = seed + PRIME64_1 + PRIME64_2;
    this.lane2 = seed + PRIME64_2;
    this.lane3 = seed;
    this.lane4 = seed - PRIME64_1;
    this.totalBytes = 0;
    this.buffered = 0;
  }

  // @ts-ignore: decorator
  @inline
  byte(value: u32): void {
    const stripe = this.stripe;
    store<u8>(stripe + this.buffered, <u8>value);
    this.totalBytes++;
    if (++this.buffered == STRIPE_BYTES) {
      this.stripes(stripe, STRIPE_BYTES);
      this.buffered = 0;
    }
  }

  update(ptr: usize, length: usize): void {
    if (length == 0) return;
    this.totalBytes += length;
    const stripe = this.stripe;
    const buffered = this.buffered;
    if (buffered + length < STRIPE_BYTES) {
      copySmall(stripe + buffered, ptr, length);
      this.buffered = buffered + length;
      return;
    }
    if (buffered > 0) {
      // complete the carried stripe first
      const fill = STRIPE_BYTES - buffered;
      copySmall(stripe + buffered, ptr, fill);
      this.stripes(stripe, STRIPE_BYTES);
      ptr += fill;
      length -= fill;
    }
    const whole = length & ~(STRIPE_BYTES - 1);
    if (whole > 0) this.stripes(ptr, whole);
    const rest = length - whole;
    copySmall(stripe, ptr + whole, rest);
    this.buffered = rest;
  }

  /** The hash of everything given since the last reset (the state is left as it was). */
  digest(): u64 {
    let hash: u64;
    if (this.totalBytes >= STRIPE_BYTES) {
      hash = convergeLanes(this.lane1, this.lane2, this.lane3, this.lane4);
    } else {
      hash = this.seed + PRIME64_5;
    }
    hash += this.totalBytes;
    let p = this.stripe;
    const end = p + this.buffered;
    while (p + 8 <= end) {
      hash = rotl<u64>(hash ^ round(0, load<u64>(p)), 27) * PRIME64_1 + PRIME64_4;
      p += 8;
    }
    if (p + 4 <= end) {
      hash = rotl<u64>(hash ^ (<u64>load<u32>(p) * PRIME64_1), 23) * PRIME64_2 + PRIME64_3;
      p += 4;
    }
    while (p < end) {
      hash = rotl<u64>(hash ^ (<u64>load<u8>(p) * PRIME64_5), 11) * PRIME64_1;
      p++;
    }
    return avalanche(hash);
  }

  /** Consumes `length` bytes (a multiple of 32) at `ptr` into the four lanes. */
  private stripes(ptr: usize, length: usize): void {
    let lane1 = this.lane1;
    let lane2 = this.lane2;
    let lane3 = this.lane3;
    let lane4 = this.lane4;
    const end = ptr + length;
    while (ptr < end) {
      lane1 = round(lane1, load<u64>(ptr));
      lane2 = round(lane2, load<u64>(ptr, 8));
      lane3 = round(lane3, load<u64>(ptr, 16));
      lane4 = round(lane4, load<u64>(ptr, 24));
      ptr += STRIPE_BYTES;
    }
    this.lane1 = lane1;
    this.lane2 = lane2;
    this.lane3 = lane3;
    this.lane4 = lane4;
  }
}

/**
 * XXH64 of the byte `first` followed by the `length` bytes at `ptr`, in one pass over memory and
 * without a stripe buffer: equal to reset(), byte(first), update(ptr, length), digest(). The
 * input is read from `ptr - 1` on, with that byte's value replaced by `first`, so `ptr - 1` must
 * be addressable (what it holds does not matter). A leaf's hash is its tag then its bytes, and
 * those bytes usually sit in the chunk already, after the quote that began them.
 */
export function xxh64Prefixed(first: u32, ptr: usize, length: usize, seed: u64 = 0): u64 {
  const base = ptr - 1;
  const end = ptr + length;
  // (read only where the input has 8 bytes from `base`: loads never pass its end)
  const firstByte = <u64>(first & 0xff);
  let p = base;
  let hash: u64;
  if (length + 1 >= STRIPE_BYTES) {
    let lane1 = seed + PRIME64_1 + PRIME64_2;
    let lane2 = seed + PRIME64_2;
    let lane3 = seed;
    let lane4 = seed - PRIME64_1;
    lane1 = round(lane1, (load<u64>(p) & 0xffffffffffffff00) | firstByte);
    lane2 = round(lane2, load<u64>(p, 8));
    lane3 = round(lane3, load<u64>(p, 16));
    lane4 = round(lane4, load<u64>(p, 24));
    p += STRIPE_BYTES;
    while (p + STRIPE_BYTES <= end) {
      lane1 = round(lane1, load<u64>(p));
      lane2 = round(lane2, load<u64>(p, 8));
      lane3 = round(lane3, load<u64>(p, 16));
      lane4 = round(lane4, load<u64>(p, 24));
      p += STRIPE_BYTES;
    }
    hash = convergeLanes(lane1, lane2, lane3, lane4);
  } else {
    hash = seed + PRIME64_5;
  }
  hash += <u64>length + 1;
  // the tail; only a short input's tail begins at the replaced byte
  if (p == base && p + 8 <= end) {
    hash = rotl<u64>(hash ^ round(0, (load<u64>(p) & 0xffffffffffffff00) | firstByte), 27) * PRIME64_1 + PRIME64_4;
    p += 8;
  }
  while (p + 8 <= end) {
    hash = rotl<u64>(hash ^ round(0, load<u64>(p)), 27) * PRIME64_1 + PRIME64_4;
    p += 8;
  }
  if (p + 4 <= end) {
    let word = <u64>load<u32>(p);
    if (p == base) word = (word & 0xffffff00) | firstByte;
    hash = rotl<u64>(hash ^ (word * PRIME64_1), 23) * PRIME64_2 + PRIME64_3;
    p += 4;
  }
  if (p == base && p < end) {
    hash = rotl<u64>(hash ^ (firstByte * PRIME64_5), 11) * PRIME64_1;
    p++;
  }
  while (p < end) {
    hash = rotl<u64>(hash ^ (<u64>load<u8>(p) * PRIME64_5), 11) * PRIME64_1;
    p++;
  }
  return avalanche(hash);
}

// @ts-ignore: decorator
@inline
function avalanche(hash: u64): u64 {
  hash ^= hash >> 33;
  hash *= PRIME64_2;
  hash ^= hash >> 29;
  hash *= PRIME64_3;
  hash ^= hash >> 32;
  return hash;
}

/** Fewer than 32 bytes: a word-and-byte loop, cheaper than memory.copy's set-up for these sizes. */
// @ts-ignore: decorator
@inline
function copySmall(target: usize, source: usize, length: usize): void {
  let i: usize = 0;
  for (; i + 8 <= length; i += 8) store<u64>(target + i, load<u64>(source + i));
  for (; i < length; i++) store<u8>(target + i, load<u8>(source + i));
}
