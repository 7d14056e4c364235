// The ABI's serialized header map: u32 count, then (u32 keyLength, u32 valueLength)
// per pair, then each key and value followed by a NUL byte.

export class HeaderEntry {
  constructor(public name: string, public value: string) {}
}

export function decodeHeaderPairs(ptr: usize, length: usize): Array<HeaderEntry> {
  const headers = new Array<HeaderEntry>();
  if (length < 4) return headers;
  const count = load<u32>(ptr);
  let sizes = ptr + 4;
  let data = sizes + <usize>count * 8;
  const end = ptr + length;
  for (let i: u32 = 0; i < count; i++) {
    const keyLength = <usize>load<u32>(sizes);
    const valueLength = <usize>load<u32>(sizes + 4);
    sizes += 8;
    if (data + keyLength + valueLength + 2 > end) break;
    const name = String.UTF8.decodeUnsafe(data, keyLength);
    data += keyLength + 1;
    const value = String.UTF8.decodeUnsafe(data, valueLength);
    data += valueLength + 1;
    headers.push(new HeaderEntry(name, value));
  }
  return headers;
}

export function encodeHeaderPairs(headers: Array<HeaderEntry>): ArrayBuffer {
  const count = headers.length;
  const names = new Array<ArrayBuffer>(count);
  const values = new Array<ArrayBuffer>(count);
  let size = 4 + count * 8;
  for (let i = 0; i < count; i++) {
    const name = String.UTF8.encode(unchecked(headers[i]).name);
    const value = String.UTF8.encode(unchecked(headers[i]).value);
    names[i] = name;
    values[i] = value;
    size += name.byteLength + value.byteLength + 2;
  }
  const out = new ArrayBuffer(size);
  const base = changetype<usize>(out);
  store<u32>(base, count);
  let data = base + 4 + <usize>count * 8;
  for (let i = 0; i < count; i++) {
    const name = unchecked(names[i]);
    const value = unchecked(values[i]);
    store<u32>(base + 4 + <usize>i * 8, name.byteLength);
    store<u32>(base + 8 + <usize>i * 8, value.byteLength);
    memory.copy(data, changetype<usize>(name), name.byteLength);
    data += name.byteLength;
    store<u8>(data, 0);
    data += 1;
    memory.copy(data, changetype<usize>(value), value.byteLength);
    data += value.byteLength;
    store<u8>(data, 0);
    data += 1;
  }
  return out;
}
