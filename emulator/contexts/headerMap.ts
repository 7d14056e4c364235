// An HTTP header map with Envoy's semantics, which the module observes through
// the header-map host functions:
// - keys are stored lower-case (Envoy's LowerCaseString; the codec lower-cases
//   incoming headers too), so lookups are case-insensitive;
// - a key may repeat; pairs keep every value in order;
// - `get` returns the FIRST value of a key (what Envoy's getHeaderMapValue does;
//   it does not join repeated values);
// - `replace` overwrites the first value of a key and leaves later duplicates
//   alone, or appends when absent (Envoy's HeaderMap::setCopy);
// - pseudo-headers (":path", ...) stay in front of regular headers, as Envoy's
//   HeaderMapImpl keeps them;
// - `byteSize` is what proxy_get_header_map_size reports: Envoy returns the
//   map's byteSize() (sum of key and value lengths), not the entry count.

import { Buffer } from 'node:buffer';

/** How a test passes headers: ordered pairs (repeats allowed) or a record. */
export type HeaderInput = ReadonlyArray<readonly [string, string]> | Readonly<Record<string, string>>;

/** Lower-cases ASCII letters only, like Envoy's LowerCaseString. */
export function lowerCaseHeaderName(name: string): string {
  return /[A-Z]/.test(name) ? name.replace(/[A-Z]+/g, (letters) => letters.toLowerCase()) : name;
}

export class HeaderMap {
  private readonly keys: string[] = [];
  private readonly values: string[] = [];

  static from(input: HeaderInput): HeaderMap {
    const map = new HeaderMap();
    const pairs = Array.isArray(input) ? input : Object.entries(input);
    for (const [key, value] of pairs) {
      map.add(key, value);
    }
    return map;
  }

  get size(): number {
    return this.keys.length;
  }

  keyAt(index: number): string {
    return this.keys[index] ?? '';
  }

  valueAt(index: number): string {
    return this.values[index] ?? '';
  }

  get(key: string): string | undefined {
    const index = this.keys.indexOf(lowerCaseHeaderName(key));
    return index < 0 ? undefined : this.values[index];
  }

  add(key: string, value: string): void {
    const lower = lowerCaseHeaderName(key);
    if (lower.startsWith(':')) {
      const firstRegular = this.keys.findIndex((existing) => !existing.startsWith(':'));
      if (firstRegular >= 0) {
        this.keys.splice(firstRegular, 0, lower);
        this.values.splice(firstRegular, 0, value);
        return;
      }
    }
    this.keys.push(lower);
    this.values.push(value);
  }

  replace(key: string, value: string): void {
    const index = this.keys.indexOf(lowerCaseHeaderName(key));
    if (index < 0) {
      this.add(key, value);
    } else {
      this.values[index] = value;
    }
  }

  remove(key: string): void {
    const lower = lowerCaseHeaderName(key);
    for (let index = this.keys.length - 1; index >= 0; index--) {
      if (this.keys[index] === lower) {
        this.keys.splice(index, 1);
        this.values.splice(index, 1);
      }
    }
  }

  /** proxy_set_header_map_pairs: drop everything, then add each pair. */
  setPairs(pairs: ReadonlyArray<readonly [string, string]>): void {
    this.keys.length = 0;
    this.values.length = 0;
    for (const [key, value] of pairs) {
      this.add(key, value);
    }
  }

  pairs(): Array<[string, string]> {
    return this.keys.map((key, index): [string, string] => [key, this.values[index] ?? '']);
  }

  byteSize(): number {
    let size = 0;
    for (let index = 0; index < this.keys.length; index++) {
      size += Buffer.byteLength(this.keyAt(index)) + Buffer.byteLength(this.valueAt(index));
    }
    return size;
  }
}
