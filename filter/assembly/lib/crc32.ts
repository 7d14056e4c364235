// CRC-32 (ISO-HDLC, reflected polynomial 0xedb88320), the check value of a gzip member
// (RFC 1952 section 8). Computed incrementally, four bytes per step with four tables
// ("slicing by four"): the decoder checks every byte it inflates.

const POLYNOMIAL: u32 = 0xedb88320;

// 4 × 256 entries: table k maps a byte to its CRC shifted through k further zero bytes.
const TABLES = buildTables();

function buildTables(): StaticArray<u32> {
  const tables = new StaticArray<u32>(1024);
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? POLYNOMIAL ^ (c >>> 1) : c >>> 1;
    unchecked((tables[n] = c));
  }
  for (let n = 0; n < 256; n++) {
    let c = unchecked(tables[n]);
    for (let k = 1; k < 4; k++) {
      c = unchecked(tables[c & 0xff]) ^ (c >>> 8);
      unchecked((tables[k * 256 + n] = c));
    }
  }
  return tables;
}

/** The CRC-32 of the bytes so far, given `crc` (0 for none) and `length` more bytes at `ptr`. */
export function crc32Update(crc: u32, ptr: usize, length: usize): u32 {
  const t = changetype<usize>(TABLES);
  let c = ~crc;
  const end = ptr + length;
  while (ptr + 4 <= end) {
    c ^= load<u32>(ptr);
    c =
      load<u32>(t + ((<usize>(c >>> 24)) << 2)) ^
      load<u32>(t + 1024 + ((<usize>((c >>> 16) & 0xff)) << 2)) ^
      load<u32>(t + 2048 + ((<usize>((c >>> 8) & 0xff)) << 2)) ^
      load<u32>(t + 3072 + ((<usize>(c & 0xff)) << 2));
    ptr += 4;
  }
  while (ptr < end) {
    c = load<u32>(t + ((<usize>((c ^ load<u8>(ptr)) & 0xff)) << 2)) ^ (c >>> 8);
    ptr++;
  }
  return ~c;
}

/** One byte more: `crc32Update` of a single byte. */
export function crc32Byte(crc: u32, value: u32): u32 {
  const t = changetype<usize>(TABLES);
  const c = ~crc;
  return ~(load<u32>(t + ((<usize>((c ^ value) & 0xff)) << 2)) ^ (c >>> 8));
}
