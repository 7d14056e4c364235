// The digest of one response, built while it streams: status, configured header hashes,
// whole-body hash, byte count and (for JSON) the structural digest. Pure: fed by the
// stream context, it never calls the host.
import { HeaderPairsView, bytesEqual } from "../host/headerPairsView";
import { DigestOptions } from "../config/pluginConfig";
import { ByteWriter } from "../lib/byteWriter";
import { fold32 } from "../lib/fnv";
import { HashAlgorithm, StreamingHash } from "../lib/streamingHash";
import { ContentCoding, ContentDecoder, DecodingOutcome, contentCodingName, decodingOutcomeName, parseContentCoding } from "./contentDecoding";
import { JsonStructuralDigest } from "./jsonStructuralDigest";
import { SubtreeDigest } from "./subtreeDigest";
import { ValueCapture } from "./valueCapture";

export const JSON_NONE = "none";
export const JSON_OK = "ok";
export const JSON_MALFORMED = "malformed";

const STATUS = String.UTF8.encode(":status");
const CONTENT_TYPE = String.UTF8.encode("content-type");
const CONTENT_ENCODING = String.UTF8.encode("content-encoding");
const APPLICATION_JSON = String.UTF8.encode("application/json");
const PLUS_JSON = String.UTF8.encode("+json");

/** `application/json` or any `+json` media type, parameters ignored. */
function isJsonContentType(value: string): bool {
  let media = value;
  const semicolon = media.indexOf(";");
  if (semicolon >= 0) media = media.substring(0, semicolon);
  media = media.trim().toLowerCase();
  return media == "application/json" || media.endsWith("+json");
}

/**
 * isJsonContentType on the header's bytes where the host put them. ASCII (every real
 * content type) is matched in place; anything else takes the string path, whose Unicode
 * trim and case mapping an ASCII reading would not reproduce.
 */
function isJsonContentTypeAt(ptr: usize, length: i32): bool {
  if (!isAscii(ptr, length)) return isJsonContentType(String.UTF8.decodeUnsafe(ptr, length));
  for (let i = 0; i < length; i++) {
    if (load<u8>(ptr + i) == 0x3b) {
      length = i;
      break;
    }
  }
  const start = trimmedStart(ptr, length);
  const media = <i32>(trimmedEnd(start, ptr + length) - start);
  if (asciiLowerEquals(start, media, APPLICATION_JSON)) return true;
  const suffix = PLUS_JSON.byteLength;
  return media >= suffix && asciiLowerEquals(start + media - suffix, suffix, PLUS_JSON);
}

function isAscii(ptr: usize, length: i32): bool {
  for (let i = 0; i < length; i++) {
    if (load<u8>(ptr + i) >= 0x80) return false;
  }
  return true;
}

/** String#trim's whitespace among ASCII bytes: tab, line feed, vertical tab, form feed, carriage return, space. */
// @ts-ignore: decorator
@inline
function isTrimmed(c: u32): bool {
  return c == 0x20 || c - 0x09 <= 0x0d - 0x09;
}

function trimmedStart(ptr: usize, length: i32): usize {
  const end = ptr + length;
  while (ptr < end && isTrimmed(load<u8>(ptr))) ptr++;
  return ptr;
}

function trimmedEnd(start: usize, end: usize): usize {
  while (end > start && isTrimmed(load<u8>(end - 1))) end--;
  return end;
}

/** The ASCII bytes at `ptr`, lower-cased, equal `lower` (lower-case already). */
function asciiLowerEquals(ptr: usize, length: i32, lower: ArrayBuffer): bool {
  if (length != lower.byteLength) return false;
  const expected = changetype<usize>(lower);
  for (let i = 0; i < length; i++) {
    let c = <u32>load<u8>(ptr + i);
    if (c - 0x41 < 26) c |= 0x20;
    if (c != <u32>load<u8>(expected + i)) return false;
  }
  return true;
}

export class ResponseDigest {
  status: u32 = 0;
  /** `"name":"hash",` entries of the configured headers that are present. */
  readonly headers: ByteWriter = new ByteWriter(128);
  bodyBytes: u64 = 0;
  /** Bytes of the content: the body itself, or what decoding it gave. */
  private contentBytes: u64 = 0;
  sawHeaders: bool = false;
  private structure: JsonStructuralDigest | null = null;
  /** The structural digest this digest made, kept for its next JSON response (see reset). */
  private spareStructure: JsonStructuralDigest | null = null;
  private jsonResult: string = JSON_NONE;

  private body: StreamingHash;
  /** Hashes one configured header's values at a time. */
  private header: StreamingHash;
  /** A content-encoded body's decoding, and the hash of its bytes as received (what compares when it is not decoded). */
  private decoder: ContentDecoder | null = null;
  private encodedBody: StreamingHash | null = null;

  /**
   * `hash` picks the hash family of every hash in the digest (body, headers, fields, long
   * keys): Fnv1a64 for wire format v1, XxHash64 for v2. `decode`: digest gzip and deflate bodies
   * by their content (wire format v2); false keeps a previous release's view, the bytes as sent.
   */
  constructor(private options: DigestOptions, readonly hash: HashAlgorithm = HashAlgorithm.XxHash64, private decode: bool = true) {
    this.body = new StreamingHash(hash);
    this.header = new StreamingHash(hash);
  }

  /**
   * Starts the digest of the next response, as a new digest of the same options would: a pooled
   * stream context reuses it (plugin/streamPool.ts), and its structural digest with it. A
   * decoder is not kept (encoded responses are the rare case; inflaters are pooled already).
   */
  reset(): void {
    this.status = 0;
    this.headers.reset();
    this.bodyBytes = 0;
    this.contentBytes = 0;
    this.sawHeaders = false;
    this.structure = null;
    this.jsonResult = JSON_NONE;
    this.body.reset();
    this.header.reset();
    this.decoder = null;
    this.encodedBody = null;
  }

  /** The whole-body hash: of the content when it was decoded, else of the body bytes as received. */
  get bodyHash(): u64 {
    const decoder = this.decoder;
    if (decoder !== null && decoder.outcome != DecodingOutcome.Ok) return this.encodedBody!.value();
    return this.body.value();
  }

  /** The response's header map, read in place: nothing is decoded unless a value is not ASCII. */
  onHeaders(headers: HeaderPairsView): void {
    this.sawHeaders = true;
    let contentType = -1;
    let coding = ContentCoding.Identity;
    for (let i = 0; i < headers.count; i++) {
      const name = headers.nameStart(i);
      const nameLength = headers.nameLength(i);
      if (bytesEqual(name, nameLength, STATUS)) this.status = <u32>parseStatus(headers.valueStart(i), headers.valueLength(i));
      else if (bytesEqual(name, nameLength, CONTENT_TYPE)) contentType = i;
      else if (bytesEqual(name, nameLength, CONTENT_ENCODING)) {
        // A second content-encoding header stacks another coding. Decoded to a string only
        // when present: encoded responses are the rare case at the edge.
        if (coding == ContentCoding.Identity) coding = parseContentCoding(String.UTF8.decodeUnsafe(headers.valueStart(i), headers.valueLength(i)));
        else coding = ContentCoding.Other;
      }
    }
    this.hashHeaders(headers);
    let readable = coding == ContentCoding.Identity;
    if (!readable && this.decode) {
      const decoder = new ContentDecoder(coding, this.options.maxDecodedBytes);
      this.decoder = decoder;
      this.encodedBody = new StreamingHash(this.hash);
      readable = decoder.supported;
    }
    // A body in a coding that is not decoded compares by its hash only.
    if (this.options.json && readable && contentType >= 0 && isJsonContentTypeAt(headers.valueStart(contentType), headers.valueLength(contentType))) {
      // Subtree hashes are a wire format 2 addition: a version 1 (FNV-1a) digest has no use for them.
      let structure = this.spareStructure;
      if (structure !== null) {
        structure.reset();
      } else {
        const maxSubtrees = this.hash == HashAlgorithm.Fnv1a64 ? 0 : this.options.maxSubtrees;
        structure = new JsonStructuralDigest(this.options.maxFields, this.options.maxDepth, this.hash, maxSubtrees);
        if (this.options.capture.enabled) structure.captureValues(new ValueCapture(this.options.capture));
        this.spareStructure = structure;
      }
      this.structure = structure;
    }
  }

  private hashHeaders(headers: HeaderPairsView): void {
    const names = this.options.headers;
    const encodedNames = this.options.headerBytes();
    const hash = this.header;
    for (let n = 0; n < names.length; n++) {
      const name = unchecked(encodedNames[n]);
      let seen = false;
      hash.reset();
      for (let i = headers.find(name); i >= 0; i = headers.find(name, i + 1)) {
        if (seen) hash.byte(0x2c);
        hashValue(hash, headers.valueStart(i), headers.valueLength(i));
        seen = true;
      }
      if (!seen) continue;
      this.headers.jsonString(unchecked(names[n]));
      this.headers.byte(0x3a);
      this.headers.quotedHex(fold32(hash.value()), 8);
      this.headers.byte(0x2c);
    }
  }

  onBody(ptr: usize, length: usize): void {
    this.bodyBytes += length;
    const decoder = this.decoder;
    if (decoder === null) {
      this.content(ptr, length);
      return;
    }
    this.encodedBody!.bytes(ptr, length);
    if (!decoder.active) return;
    decoder.input(ptr, length);
    while (decoder.next()) this.content(decoder.outPtr, decoder.outLength);
  }

  /** The body's content, as sent or as decoded. */
  private content(ptr: usize, length: usize): void {
    this.body.bytes(ptr, length);
    this.contentBytes += length;
    const structure = this.structure;
    if (structure !== null && !structure.failed) structure.update(ptr, length);
  }

  /** Settles the JSON verdict; call once, when the response is over. */
  finish(): void {
    const decoder = this.decoder;
    let decoded = true;
    if (decoder !== null) decoded = decoder.finish() == DecodingOutcome.Ok;
    const structure = this.structure;
    // Content that did not decode is compared as received, by its hash.
    if (structure === null || this.contentBytes == 0 || !decoded) {
      this.jsonResult = JSON_NONE;
    } else {
      this.jsonResult = JSON_MALFORMED;
      if (structure.finish()) this.jsonResult = JSON_OK;
    }
  }

  get json(): string {
    return this.jsonResult;
  }

  /** The content coding of an encoded body ("" for identity, or when decoding is off). */
  get encoding(): string {
    const decoder = this.decoder;
    if (decoder === null) return "";
    return contentCodingName(decoder.coding);
  }

  /** How decoding the body went (null: not encoded, or decoding is off); settled by finish(). */
  get decoding(): ContentDecoder | null {
    return this.decoder;
  }

  /** `decoding`'s outcome as the record names it. */
  get decodingName(): string {
    const decoder = this.decoder;
    if (decoder === null) return "";
    return decodingOutcomeName(decoder.outcome);
  }

  get fieldsTruncated(): bool {
    const structure = this.structure;
    return structure !== null && this.jsonResult == JSON_OK && structure.truncated;
  }

  /** The subtree hashes of a JSON document beyond the leaf budget (null unless json is ok and fields are truncated). */
  get subtrees(): SubtreeDigest | null {
    const structure = this.structure;
    if (structure === null || this.jsonResult != JSON_OK || !structure.truncated) return null;
    return structure.subtrees;
  }

  /** The structural digest (null unless json is ok): its `paths` and `hashes`, in document order. */
  get fields(): JsonStructuralDigest | null {
    const structure = this.structure;
    if (structure === null || this.jsonResult != JSON_OK) return null;
    return structure;
  }
}

/**
 * A value's hash is the hash of its decoded string's UTF-8: the host's bytes as they are when
 * ASCII, decoded and encoded again otherwise (the decoder rewrites invalid sequences), so a
 * record does not depend on which path read it.
 */
function hashValue(hash: StreamingHash, ptr: usize, length: i32): void {
  if (isAscii(ptr, length)) {
    hash.bytes(ptr, length);
    return;
  }
  const value = String.UTF8.encode(String.UTF8.decodeUnsafe(ptr, length));
  hash.bytes(changetype<usize>(value), value.byteLength);
}

/** Three ASCII digits, else 0. */
function parseStatus(ptr: usize, length: i32): i32 {
  if (length != 3) return 0;
  let status = 0;
  for (let i = 0; i < 3; i++) {
    const digit = <i32>load<u8>(ptr + i) - 0x30;
    if (digit < 0 || digit > 9) return 0;
    status = status * 10 + digit;
  }
  return status;
}
