// The decoding stage between a content-encoded response body and its digest: gzip and deflate
// bodies are inflated as they stream (lib/inflate.ts) so the digest sees the content, as the
// client will after decoding it; any other coding is only named. Inflaters are pooled per
// worker: a stream takes one when its response headers say it is encoded and gives it back
// when the response is over, so the 32 KiB window and the tables are allocated once.
import { InflateError, InflateFormat, InflateStatus, Inflater } from "../lib/inflate";
import { IdleStack } from "../lib/idleStack";

export const enum ContentCoding {
  Identity,
  Gzip,
  Deflate,
  Brotli,
  Zstd,
  Compress,
  /** Any other coding, or several stacked (`gzip, br`). */
  Other,
}

/** The record's `encoding` member per ContentCoding (identity is never recorded). */
export function contentCodingName(coding: ContentCoding): string {
  switch (coding) {
    case ContentCoding.Gzip:
      return "gzip";
    case ContentCoding.Deflate:
      return "deflate";
    case ContentCoding.Brotli:
      return "br";
    case ContentCoding.Zstd:
      return "zstd";
    case ContentCoding.Compress:
      return "compress";
    case ContentCoding.Other:
      return "other";
  }
  return "identity";
}

/** A `content-encoding` value (RFC 9110 section 8.4; codings are case-insensitive). */
export function parseContentCoding(value: string): ContentCoding {
  const coding = value.trim().toLowerCase();
  if (coding.length == 0 || coding == "identity") return ContentCoding.Identity;
  if (coding == "gzip" || coding == "x-gzip") return ContentCoding.Gzip;
  if (coding == "deflate") return ContentCoding.Deflate;
  if (coding == "br") return ContentCoding.Brotli;
  if (coding == "zstd") return ContentCoding.Zstd;
  if (coding == "compress" || coding == "x-compress") return ContentCoding.Compress;
  return ContentCoding.Other;
}

export const enum DecodingOutcome {
  /** Decoded: the digest is of the content. */
  Ok,
  /** A coding the filter does not decode: the digest is of the bytes as received. */
  Unsupported,
  /** Not a valid gzip/zlib/deflate stream. */
  Corrupt,
  /** The body ended before its stream did. */
  Truncated,
  /** Decoded content over `digest.maxDecodedBytes`. */
  TooLarge,
}

/** The record's `decoding` member per DecodingOutcome. */
export function decodingOutcomeName(outcome: DecodingOutcome): string {
  switch (outcome) {
    case DecodingOutcome.Ok:
      return "ok";
    case DecodingOutcome.Unsupported:
      return "unsupported";
    case DecodingOutcome.Corrupt:
      return "corrupt";
    case DecodingOutcome.Truncated:
      return "truncated";
  }
  return "too_large";
}

/** Idle inflaters kept per worker (about 40 KiB each); more concurrent streams allocate. */
const MAX_IDLE = 8;
const idle = new IdleStack<Inflater>(MAX_IDLE);

function takeInflater(): Inflater {
  const inflater = idle.take();
  if (inflater !== null) return inflater;
  return new Inflater();
}

export class ContentDecoder {
  /** Where the last decoded span is, and its length (after next() answered true). */
  outPtr: usize = 0;
  outLength: i32 = 0;
  private inflater: Inflater | null = null;
  private result: DecodingOutcome = DecodingOutcome.Ok;
  private decoded: u64 = 0;

  constructor(readonly coding: ContentCoding, maxDecodedBytes: u64) {
    if (coding == ContentCoding.Gzip || coding == ContentCoding.Deflate) {
      const inflater = takeInflater();
      inflater.reset(coding == ContentCoding.Gzip ? InflateFormat.Gzip : InflateFormat.Zlib, maxDecodedBytes);
      this.inflater = inflater;
    } else {
      this.result = DecodingOutcome.Unsupported;
    }
  }

  get supported(): bool {
    return this.coding == ContentCoding.Gzip || this.coding == ContentCoding.Deflate;
  }

  /** Still decoding: neither unsupported nor failed nor finished. */
  get active(): bool {
    return this.inflater !== null;
  }

  /** Decoded bytes so far. */
  get decodedBytes(): u64 {
    return this.decoded;
  }

  /** The next chunk of the body as received; then call next() until it answers false. */
  input(ptr: usize, length: usize): void {
    if (this.inflater !== null) this.inflater!.input(ptr, length);
  }

  /** True with the next decoded span at outPtr/outLength; false when the chunk is used up (or decoding ended). */
  next(): bool {
    if (this.inflater === null) return false;
    const status = this.inflater!.next();
    if (status == InflateStatus.Output) {
      this.outPtr = this.inflater!.outPtr;
      this.outLength = this.inflater!.outLength;
      this.decoded += <u64>this.outLength;
      return true;
    }
    if (status == InflateStatus.Failed) this.end();
    return false;
  }

  /** The body is over: settles the outcome and gives the inflater back. */
  finish(): DecodingOutcome {
    if (this.inflater !== null) {
      this.inflater!.finish();
      this.end();
    }
    return this.result;
  }

  get outcome(): DecodingOutcome {
    return this.result;
  }

  private end(): void {
    const inflater = this.inflater!;
    const error = inflater.error;
    if (error == InflateError.Corrupt) this.result = DecodingOutcome.Corrupt;
    else if (error == InflateError.Truncated) this.result = DecodingOutcome.Truncated;
    else if (error == InflateError.TooLarge) this.result = DecodingOutcome.TooLarge;
    this.inflater = null;
    idle.give(inflater);
  }
}
