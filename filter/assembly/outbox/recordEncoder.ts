// Encodes one leg's digest as a wire-format record (filter/wire-format.schema.json).
import { ResponseDigest } from "../digest/responseDigest";
import { ByteWriter } from "../lib/byteWriter";

export const LEG_PRIMARY = "primary";
export const LEG_SHADOW = "shadow";

const MAX_PATH_CHARS = 2048;
const MAX_AUTHORITY_CHARS = 256;
const MAX_METHOD_CHARS = 16;
const MAX_REQUEST_ID_CHARS = 128;

/** What the stream context learned about one observed leg, besides the response digest. */
export class LegInfo {
  id: string = "";
  requestId: string = "";
  leg: string = LEG_PRIMARY;
  segment: string = "default";
  reason: string = "default";
  method: string = "GET";
  path: string = "/";
  authority: string = "";
  startUnixMs: u64 = 0;
  firstByteUs: u64 = 0;
  lastByteUs: u64 = 0;
  complete: bool = false;
}

function clip(text: string, maxChars: i32): string {
  if (text.length <= maxChars) return text;
  return text.substring(0, maxChars);
}

/** `,` then `"name":{...}` from `"k":"v",` entries (the trailing comma is dropped). */
function writeMap(out: ByteWriter, name: string, entries: ByteWriter | null): void {
  out.raw(",\"");
  out.raw(name);
  out.raw("\":{");
  if (entries !== null && entries.length > 0) out.bytes(entries.dataStart, entries.length - 1);
  out.byte(0x7d);
}

/**
 * `,"name":"token"` for tokens that need no escaping (validated or constant), written in
 * pieces rather than concatenated: no allocation per record.
 */
function writeToken(out: ByteWriter, name: string, token: string): void {
  out.raw(",\"");
  out.raw(name);
  out.raw("\":\"");
  out.raw(token);
  out.byte(0x22);
}

function boolText(flag: bool): string {
  if (flag) return "true";
  return "false";
}

const writer = new ByteWriter(4096);

export function encodeRecord(info: LegInfo, digest: ResponseDigest): ArrayBuffer {
  const out = writer;
  out.reset();
  out.raw("{\"id\":");
  out.jsonString(info.id);
  if (info.requestId.length > 0) {
    out.raw(",\"requestId\":");
    out.jsonString(clip(info.requestId, MAX_REQUEST_ID_CHARS));
  }
  writeToken(out, "leg", info.leg);
  writeToken(out, "segment", info.segment);
  writeToken(out, "reason", info.reason);
  out.raw(",\"method\":");
  out.jsonString(clip(info.method, MAX_METHOD_CHARS));
  out.raw(",\"path\":");
  out.jsonString(clip(info.path, MAX_PATH_CHARS));
  out.raw(",\"authority\":");
  out.jsonString(clip(info.authority, MAX_AUTHORITY_CHARS));
  out.raw(",\"startUnixMs\":");
  out.decimal(info.startUnixMs);
  out.raw(",\"firstByteUs\":");
  out.decimal(info.firstByteUs);
  out.raw(",\"lastByteUs\":");
  out.decimal(info.lastByteUs);
  out.raw(",\"status\":");
  out.decimal(digest.status);
  out.raw(",\"complete\":");
  out.raw(boolText(info.complete));
  out.raw(",\"respBytes\":");
  out.decimal(digest.bodyBytes);
  writeMap(out, "headers", digest.headers);
  out.raw(",\"bodyHash\":");
  out.quotedHex(digest.bodyHash, 16);
  writeToken(out, "json", digest.json);
  writeMap(out, "fields", digest.fields);
  out.raw(",\"fieldsTruncated\":");
  out.raw(boolText(digest.fieldsTruncated));
  out.byte(0x7d);
  return out.toArrayBuffer();
}
