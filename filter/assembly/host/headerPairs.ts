// The ABI's serialized header map: u32 count, then (u32 keyLength, u32 valueLength)
// per pair, then each key and value followed by a NUL byte.
import { HeaderPairsBuilder } from "./headerPairsBuilder";

export class HeaderEntry {
  constructor(public name: string, public value: string) {}
}

/** Serializes decoded headers (the export call's: not on the request path). */
export function encodeHeaderPairs(headers: Array<HeaderEntry>): ArrayBuffer {
  const count = headers.length;
  // The builder refers to the bytes: they stay referenced here until encode() copied them.
  const encoded = new Array<ArrayBuffer>(count * 2);
  const builder = new HeaderPairsBuilder();
  for (let i = 0; i < count; i++) {
    const name = String.UTF8.encode(unchecked(headers[i]).name);
    const value = String.UTF8.encode(unchecked(headers[i]).value);
    encoded[2 * i] = name;
    encoded[2 * i + 1] = value;
    builder.addBytes(name, value);
  }
  builder.encode();
  const out = new ArrayBuffer(builder.length);
  memory.copy(changetype<usize>(out), builder.dataStart, builder.length);
  return out;
}
