// The hash family a digest uses, chosen when the digest is created: wire format v1 carries
// FNV-1a 64 hashes, v2 carries XXH64 hashes. Both are computed incrementally, so a hash
// never depends on where the input was split.
import { FNV_OFFSET, fnvByte, fnvBytes } from "./fnv";
import { XxHash64, xxh64Prefixed } from "./xxHash64";

export enum HashAlgorithm {
  /** FNV-1a 64, one byte at a time: the hashes of wire format v1. */
  Fnv1a64 = 1,
  /** XXH64 with seed 0, 32-byte stripes: the hashes of wire format v2. */
  XxHash64 = 2,
}

/** One running hash of the selected family; reset() starts the next input. */
export class StreamingHash {
  private fnv: u64 = FNV_OFFSET;
  private xx: XxHash64 | null = null;
  private readonly isXx: bool;

  // The methods reach `xx` as `this.xx!`, never through a local: a local reference would
  // cost a retain and a release on every call.
  constructor(readonly algorithm: HashAlgorithm) {
    this.isXx = algorithm == HashAlgorithm.XxHash64;
    if (this.isXx) this.xx = new XxHash64(0);
  }

  reset(): void {
    if (this.isXx) this.xx!.reset();
    else this.fnv = FNV_OFFSET;
  }

  // @ts-ignore: decorator
  @inline
  byte(value: u32): void {
    if (this.isXx) this.xx!.byte(value);
    else this.fnv = fnvByte(this.fnv, value);
  }

  bytes(ptr: usize, length: usize): void {
    if (this.isXx) this.xx!.update(ptr, length);
    else this.fnv = fnvBytes(this.fnv, ptr, length);
  }

  /**
   * The hash of the byte `first` then the `length` bytes at `ptr`, as reset(), byte(first),
   * bytes(ptr, length), value() would give, leaving this hash's state as it was. `ptr - 1` must
   * be addressable (see xxh64Prefixed).
   */
  prefixed(first: u32, ptr: usize, length: usize): u64 {
    if (this.isXx) return xxh64Prefixed(first, ptr, length);
    return fnvBytes(fnvByte(FNV_OFFSET, first), ptr, length);
  }

  /** The hash of everything given since the last reset. */
  value(): u64 {
    if (this.isXx) return this.xx!.digest();
    return this.fnv;
  }
}
