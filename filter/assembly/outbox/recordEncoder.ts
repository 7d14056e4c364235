// Encodes one leg's digest in the parts every wire format version is assembled from
// (filter/wire-format.schema.json, filter/wire-format-v2.schema.json): the record's scalar
// members, its leaf paths and its leaf hashes. The batch encoder joins them, so a queued record
// can leave as version 1 or 2.
import { LEG_PRIMARY } from "../config/pluginConfig";
import { ResponseDigest } from "../digest/responseDigest";
import { ByteWriter } from "../lib/byteWriter";
import { encodeSubtrees, SubtreeParts } from "./subtreeParts";

const MAX_PATH_CHARS = 2048;
const MAX_AUTHORITY_CHARS = 256;
const MAX_METHOD_CHARS = 16;
const MAX_REQUEST_ID_CHARS = 128;

const EMPTY = new ArrayBuffer(0);

/** What the stream context learned about one observed leg, besides the response digest. */
export class LegInfo {
  id: string = "";
  requestId: string = "";
  leg: string = LEG_PRIMARY;
  segment: string = "default";
  reason: string = "default";
  /** Primary leg only: the edge mirrored this request to the secondary too (`withSecondary`). */
  withSecondary: bool = false;
  method: string = "GET";
  path: string = "/";
  authority: string = "";
  startUnixMs: u64 = 0;
  firstByteUs: u64 = 0;
  lastByteUs: u64 = 0;
  complete: bool = false;
  /**
   * Envoy's `response.backend_latency` in µs: the router's first byte sent to the upstream to its
   * last byte received from it, on whatever hop this leg's upstream is (wire format 2's
   * `upstreamUs`); -1 when Envoy has none (no upstream reached, a local reply).
   */
  upstreamUs: i64 = -1;
  /** The wire format version the leg's digest is hashed for (batchEncoder.ts `wireHash`). */
  wireVersion: i32 = 2;

  /** Forgets what an earlier leg's response set (a reused LegInfo); the request's members are the observer's to set. */
  clearResponse(): void {
    this.firstByteUs = 0;
    this.lastByteUs = 0;
    this.complete = false;
    this.upstreamUs = -1;
  }
}

/**
 * One queued record. Its parts fit either wire format version, but its hashes are of the family
 * of `wireVersion`, the version in effect when its digest started: the record leaves in that
 * version, so a reconfiguration never sends hashes under another algorithm's name.
 */
export class EncodedRecord {
  constructor(
    public wireVersion: i32,
    /** `{"id":...` up to and including the `"json"` member: shared by every version. */
    public head: ArrayBuffer,
    /** The leaf paths, each a JSON string literal followed by `,` (empty unless json is ok). */
    public paths: ArrayBuffer,
    /** The leaf hashes in path order, 8 lower-case hex digits each. */
    public hashes: ArrayBuffer,
    public fieldCount: i32,
    public fieldsTruncated: bool,
    /** LegInfo's `upstreamUs`: version 2 sends it when it is not -1, version 1 has no such member. */
    public upstreamUs: i64,
  ) {}

  /** The subtree hashes of a document beyond the leaf budget (wire format 2 only); null: none. */
  subtrees: SubtreeParts | null = null;

  /** Version 2's `,"values":[…]` member (digest/valueCapture.ts), empty without captured values. */
  values: ArrayBuffer = EMPTY;
}

function clip(text: string, maxChars: i32): string {
  if (text.length <= maxChars) return text;
  return text.substring(0, maxChars);
}

/** `,` then `"name":{...}` from `"k":"v",` entries (the trailing comma is dropped). */
function writeMap(out: ByteWriter, name: string, entries: ByteWriter): void {
  out.raw(",\"");
  out.raw(name);
  out.raw("\":{");
  if (entries.length > 0) out.bytes(entries.dataStart, entries.length - 1);
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

export function boolText(flag: bool): string {
  if (flag) return "true";
  return "false";
}

const writer = new ByteWriter(4096);

export function encodeRecord(info: LegInfo, digest: ResponseDigest): EncodedRecord {
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
  // Only when true: records of requests without a secondary copy stay byte for byte as before.
  if (info.withSecondary) out.raw(",\"withSecondary\":true");
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
  const decoding = digest.decoding;
  if (decoding !== null) {
    // Only digests of wire format 2 decode: version 1's record has no such members.
    writeToken(out, "encoding", digest.encoding);
    writeToken(out, "decoding", digest.decodingName);
    out.raw(",\"decodedBytes\":");
    out.decimal(decoding.decodedBytes);
  }
  const head = out.toArrayBuffer();
  const fields = digest.fields;
  if (fields === null) return new EncodedRecord(info.wireVersion, head, EMPTY, EMPTY, 0, false, info.upstreamUs);
  const record = new EncodedRecord(info.wireVersion, head, fields.paths.toArrayBuffer(), fields.hashes.toArrayBuffer(), fields.fieldCount, digest.fieldsTruncated, info.upstreamUs);
  const subtrees = digest.subtrees;
  if (subtrees !== null) record.subtrees = encodeSubtrees(subtrees);
  const values = fields.values;
  if (values !== null) record.values = values.member();
  return record;
}
