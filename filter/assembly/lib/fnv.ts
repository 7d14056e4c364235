// FNV-1a 64: byte-at-a-time, so a digest computed over chunks equals the digest of the
// whole, wherever the chunk boundaries fall. Not a security hash: it detects change.

export const FNV_OFFSET: u64 = 0xcbf29ce484222325;
const FNV_PRIME: u64 = 0x100000001b3;

// @ts-ignore: decorator
@inline
export function fnvByte(hash: u64, byte: u32): u64 {
  return (hash ^ <u64>byte) * FNV_PRIME;
}

export function fnvBytes(hash: u64, ptr: usize, length: usize): u64 {
  const end = ptr + length;
  // Eight bytes per load and loop step; the same byte-wise hash, with less loop overhead.
  while (ptr + 8 <= end) {
    const word = load<u64>(ptr);
    hash = (hash ^ (word & 0xff)) * FNV_PRIME;
    hash = (hash ^ ((word >> 8) & 0xff)) * FNV_PRIME;
    hash = (hash ^ ((word >> 16) & 0xff)) * FNV_PRIME;
    hash = (hash ^ ((word >> 24) & 0xff)) * FNV_PRIME;
    hash = (hash ^ ((word >> 32) & 0xff)) * FNV_PRIME;
    hash = (hash ^ ((word >> 40) & 0xff)) * FNV_PRIME;
    hash = (hash ^ ((word >> 48) & 0xff)) * FNV_PRIME;
    hash = (hash ^ (word >> 56)) * FNV_PRIME;
    ptr += 8;
  }
  while (ptr < end) {
    hash = (hash ^ <u64>load<u8>(ptr)) * FNV_PRIME;
    ptr++;
  }
  return hash;
}

export function fnvString(hash: u64, text: string): u64 {
  const bytes = String.UTF8.encode(text);
  return fnvBytes(hash, changetype<usize>(bytes), bytes.byteLength);
}

/** Murmur3's 64-bit finalizer: spreads FNV's weak low bits before they pick a bucket. */
export function mix64(value: u64): u64 {
  value ^= value >> 33;
  value *= 0xff51afd7ed558ccd;
  value ^= value >> 33;
  value *= 0xc4ceb9fe1a85ec53;
  value ^= value >> 33;
  return value;
}

/** The 32-bit short hash used for fields and headers. */
// @ts-ignore: decorator
@inline
export function fold32(hash: u64): u32 {
  return <u32>(hash ^ (hash >> 32));
}
