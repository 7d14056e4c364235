// The digest of one response, built while it streams: status, configured header hashes,
// whole-body hash, byte count and (for JSON) the structural digest. Pure: fed by the
// stream context, it never calls the host.
import { HeaderEntry } from "../host/headerPairs";
import { DigestOptions } from "../config/pluginConfig";
import { ByteWriter } from "../lib/byteWriter";
import { fold32 } from "../lib/fnv";
import { HashAlgorithm, StreamingHash } from "../lib/streamingHash";
import { ContentCoding, ContentDecoder, DecodingOutcome, contentCodingName, decodingOutcomeName, parseContentCoding } from "./contentDecoding";
import { JsonStructuralDigest } from "./jsonStructuralDigest";

export const JSON_NONE = "none";
export const JSON_OK = "ok";
export const JSON_MALFORMED = "malformed";

/** `application/json` or any `+json` media type, parameters ignored. */
export function isJsonContentType(value: string): bool {
  let media = value;
  const semicolon = media.indexOf(";");
  if (semicolon >= 0) media = media.substring(0, semicolon);
  media = media.trim().toLowerCase();
  return media == "application/json" || media.endsWith("+json");
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

  /** The whole-body hash: of the content when it was decoded, else of the body bytes as received. */
  get bodyHash(): u64 {
    const decoder = this.decoder;
    if (decoder !== null && decoder.outcome != DecodingOutcome.Ok) return this.encodedBody!.value();
    return this.body.value();
  }

  onHeaders(headers: Array<HeaderEntry>): void {
    this.sawHeaders = true;
    let contentType = "";
    let coding = ContentCoding.Identity;
    for (let i = 0; i < headers.length; i++) {
      const entry = unchecked(headers[i]);
      if (entry.name == ":status") this.status = <u32>parseStatus(entry.value);
      else if (entry.name == "content-type") contentType = entry.value;
      else if (entry.name == "content-encoding") {
        // A second content-encoding header stacks another coding.
        if (coding == ContentCoding.Identity) coding = parseContentCoding(entry.value);
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
    if (this.options.json && readable && isJsonContentType(contentType)) {
      this.structure = new JsonStructuralDigest(this.options.maxFields, this.options.maxDepth, this.hash);
    }
  }

  private hashHeaders(headers: Array<HeaderEntry>): void {
    const names = this.options.headers;
    for (let n = 0; n < names.length; n++) {
      const name = unchecked(names[n]);
      let seen = false;
      const hash = this.header;
      hash.reset();
      for (let i = 0; i < headers.length; i++) {
        const entry = unchecked(headers[i]);
        if (entry.name != name) continue;
        if (seen) hash.byte(0x2c);
        const value = String.UTF8.encode(entry.value);
        hash.bytes(changetype<usize>(value), value.byteLength);
        seen = true;
      }
      if (!seen) continue;
      this.headers.jsonString(name);
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

  /** The structural digest (null unless json is ok): its `paths` and `hashes`, in document order. */
  get fields(): JsonStructuralDigest | null {
    const structure = this.structure;
    if (structure === null || this.jsonResult != JSON_OK) return null;
    return structure;
  }
}

function parseStatus(value: string): i32 {
  if (value.length != 3) return 0;
  let status = 0;
  for (let i = 0; i < 3; i++) {
    const digit = value.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return 0;
    status = status * 10 + digit;
  }
  return status;
}
