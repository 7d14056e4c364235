// Text <-> bytes at the test boundary: strings the test passes (bodies,
// configurations, property values) are UTF-8, as on the wire.

import { Buffer } from 'node:buffer';

/** A fresh copy the caller may keep: strings as UTF-8, byte arrays copied. */
export function toBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === 'string' ? new TextEncoder().encode(value) : value.slice();
}

export function bytesToText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
