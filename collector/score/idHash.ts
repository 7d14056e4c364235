// A correlation id's sampling key: a well-mixed 52-bit hash of the id, so that which pairs a
// bounded sample keeps (bottomK.ts) depends on the ids it was offered, never on the order they
// came in. Two report instances reading the verdicts partitions interleaved differently, or an
// embedded collector and a report instance, keep the same pairs. Not cryptographic: a client
// choosing ids can choose which of its pairs are sampled, as it can choose the pairs themselves.

/** Keys are integers in [0, KEY_RANGE): exact in a double. */
export const KEY_RANGE = 2 ** 52;

export function idHash(id: string): number {
  // Two FNV-1a passes with different offsets and primes, each finished by the murmur3 mixer.
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return mix32(a) * 2 ** 20 + (mix32(b) >>> 12);
}

/** The murmur3 finaliser: a 32-bit integer whose every bit depends on every bit of `value`. */
export function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
