// The digest of one response, built while it streams: status, configured header hashes,
// whole-body hash, byte count and (for JSON) the structural digest. Pure: fed by the
// stream context, it never calls the host.
import { HeaderEntry } from "../host/headerPairs";
import { DigestOptions } from "../config/pluginConfig";
import { ByteWriter } from "../lib/byteWriter";
import { fold32 } from "../lib/fnv";
import { HashAlgorithm, StreamingHash } from "../lib/streamingHash";
import { JsonStructuralDigest } from "./jsonStructuralDigest";
import { SubtreeDigest } from "./subtreeDigest";

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
  sawHeaders: bool = false;
  private structure: JsonStructuralDigest | null = null;
  private jsonResult: string = JSON_NONE;

  private body: StreamingHash;
  /** Hashes one configured header's values at a time. */
  private header: StreamingHash;

  /**
   * `hash` picks the hash family of every hash in the digest (body, headers, fields, long
   * keys): Fnv1a64 for wire format v1, XxHash64 for v2.
   */
  constructor(private options: DigestOptions, readonly hash: HashAlgorithm = HashAlgorithm.XxHash64) {
    this.body = new StreamingHash(hash);
    this.header = new StreamingHash(hash);
  }

  /** The whole-body hash, of every body byte so far. */
  get bodyHash(): u64 {
    return this.body.value();
  }

  onHeaders(headers: Array<HeaderEntry>): void {
    this.sawHeaders = true;
    let contentType = "";
    let encoded = false;
    for (let i = 0; i < headers.length; i++) {
      const entry = unchecked(headers[i]);
      if (entry.name == ":status") this.status = <u32>parseStatus(entry.value);
      else if (entry.name == "content-type") contentType = entry.value;
      else if (entry.name == "content-encoding") encoded = entry.value.trim().toLowerCase() != "identity";
    }
    this.hashHeaders(headers);
    // Compressed bodies cannot be parsed on the fly; they still compare by body hash.
    if (this.options.json && !encoded && isJsonContentType(contentType)) {
      // Subtree hashes are a wire format 2 addition: a version 1 (FNV-1a) digest has no use for them.
      const maxSubtrees = this.hash == HashAlgorithm.Fnv1a64 ? 0 : this.options.maxSubtrees;
      this.structure = new JsonStructuralDigest(this.options.maxFields, this.options.maxDepth, this.hash, maxSubtrees);
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
    this.body.bytes(ptr, length);
    this.bodyBytes += length;
    const structure = this.structure;
    if (structure !== null && !structure.failed) structure.update(ptr, length);
  }

  /** Settles the JSON verdict; call once, when the response is over. */
  finish(): void {
    const structure = this.structure;
    if (structure === null || this.bodyBytes == 0) {
      this.jsonResult = JSON_NONE;
    } else {
      this.jsonResult = JSON_MALFORMED;
      if (structure.finish()) this.jsonResult = JSON_OK;
    }
  }

  get json(): string {
    return this.jsonResult;
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
