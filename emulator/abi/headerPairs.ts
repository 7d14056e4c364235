// The proxy-wasm wire format of a list of header pairs (get/set_header_map_pairs,
// http_call headers and trailers, send_local_response headers):
//
//   u32 count
//   count × (u32 keyLength, u32 valueLength)
//   count × (key bytes, NUL, value bytes, NUL)
//
// all integers little-endian.

import type { Buffer } from 'node:buffer';
import type { HeaderMap } from '../contexts/headerMap.js';

export function serializedPairsSize(map: HeaderMap): number {
  return 4 + map.size * 10 + map.byteSize();
}

/** Writes `map` at `offset`; `target` must have serializedPairsSize(map) bytes there. */
export function writeSerializedPairs(map: HeaderMap, target: Buffer, offset: number): void {
  target.writeUInt32LE(map.size, offset);
  let lengthAt = offset + 4;
  let dataAt = lengthAt + map.size * 8;
  for (let index = 0; index < map.size; index++) {
    const keyLength = target.write(map.keyAt(index), dataAt, 'utf8');
    target[dataAt + keyLength] = 0;
    dataAt += keyLength + 1;
    const valueLength = target.write(map.valueAt(index), dataAt, 'utf8');
    target[dataAt + valueLength] = 0;
    dataAt += valueLength + 1;
    target.writeUInt32LE(keyLength, lengthAt);
    target.writeUInt32LE(valueLength, lengthAt + 4);
    lengthAt += 8;
  }
}

/**
 * Decodes the pairs in source[offset, offset + size). Like Envoy's toPairs, a
 * buffer too short for its count or length table decodes to no pairs; data
 * running past the end (where Envoy reads out of bounds) is null, which the
 * host functions report as BadArgument.
 */
export function readSerializedPairs(source: Buffer, offset: number, size: number): Array<[string, string]> | null {
  if (size < 4) {
    return [];
  }
  const end = offset + size;
  const count = source.readUInt32LE(offset);
  if (4 + count * 8 > size) {
    return [];
  }
  const pairs: Array<[string, string]> = [];
  let lengthAt = offset + 4;
  let dataAt = lengthAt + count * 8;
  for (let index = 0; index < count; index++) {
    const keyLength = source.readUInt32LE(lengthAt);
    const valueLength = source.readUInt32LE(lengthAt + 4);
    lengthAt += 8;
    const keyEnd = dataAt + keyLength;
    const valueEnd = keyEnd + 1 + valueLength;
    if (valueEnd > end) {
      return null;
    }
    pairs.push([source.toString('utf8', dataAt, keyEnd), source.toString('utf8', keyEnd + 1, valueEnd)]);
    dataAt = valueEnd + 1;
  }
  return pairs;
}
