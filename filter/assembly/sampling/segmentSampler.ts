// Which requests are mirrored: ordered segment rules (first match wins) and a sticky
// bucket per user. Pure: the same headers, path and salt give the same decision on
// every worker and every Envoy. The rules are compiled to UTF-8 once, at configure
// time, so a decision compares and hashes the request's header bytes in place and
// allocates nothing.
import { HeaderPairsView } from "../host/headerPairsView";
import { MatchKind, SamplingOptions, SegmentRule } from "../config/pluginConfig";
import { FNV_OFFSET, fnvByte, fnvBytes, fnvString, mix64 } from "../lib/fnv";

export const DEFAULT_SEGMENT = "default";
export const REASON_SEGMENT = "segment";
export const REASON_DEFAULT = "default";

const BUCKETS: u64 = 10000;
const REQUEST_ID = String.UTF8.encode("x-request-id");
const PATH = String.UTF8.encode(":path");
const ROOT_PATH = String.UTF8.encode("/");
const DEFAULT_SEGMENT_BYTES = String.UTF8.encode(DEFAULT_SEGMENT);

export class SampleDecision {
  /** Index of the matching rule, or -1 for the default percentage. */
  ruleIndex: i32 = -1;
  segment: string = DEFAULT_SEGMENT;
  reason: string = REASON_DEFAULT;
  bucket: u32 = 0;
  sampled: bool = false;
  /** Sampled, and mirrored to the secondary too (meaningful only while `sampled`). */
  secondary: bool = false;
}

function saltHash(salt: string): u64 {
  // The 0 byte: so that ("ab","c") and ("a","bc") differ.
  return fnvByte(fnvString(FNV_OFFSET, salt), 0);
}

/** A bucket in [0, 10000) from the salt's hash and the stickiness key. */
function bucketOf(salted: u64, keyPtr: usize, keyLength: usize): u32 {
  return <u32>(mix64(fnvBytes(salted, keyPtr, keyLength)) % BUCKETS);
}

/** A segment's shared-data key for its rate cap (rateCap.ts), per plugin source, in UTF-8. */
function segmentRateKey(source: string, segment: string): ArrayBuffer {
  return String.UTF8.encode("shadowdiff.rate." + source + "." + segment);
}

/** A segment rule in UTF-8. */
class CompiledRule {
  /** The segment's name, as the segment control header's value. */
  name: ArrayBuffer;
  /** Its shared-data key for the rate cap (rateCap.ts), per plugin source. */
  rateKey: ArrayBuffer;
  header: ArrayBuffer;
  exact: Array<ArrayBuffer> = new Array<ArrayBuffer>();
  prefix: ArrayBuffer;
  pathPrefix: ArrayBuffer;

  constructor(readonly rule: SegmentRule, source: string) {
    this.name = String.UTF8.encode(rule.name);
    this.rateKey = segmentRateKey(source, rule.name);
    this.header = String.UTF8.encode(rule.header);
    for (let i = 0; i < rule.exact.length; i++) this.exact.push(String.UTF8.encode(unchecked(rule.exact[i])));
    this.prefix = String.UTF8.encode(rule.prefix);
    this.pathPrefix = String.UTF8.encode(rule.pathPrefix);
  }

  matches(headers: HeaderPairsView, path: i32): bool {
    if (this.pathPrefix.byteLength > 0) {
      if (path < 0) {
        if (!startsWith(ROOT_PATH, this.pathPrefix)) return false;
      } else if (!headers.valueStartsWith(path, this.pathPrefix)) {
        return false;
      }
    }
    const match = this.rule.match;
    for (let i = headers.find(this.header); i >= 0; i = headers.find(this.header, i + 1)) {
      if (match == MatchKind.Present) return true;
      if (match == MatchKind.Prefix) {
        if (headers.valueStartsWith(i, this.prefix)) return true;
      } else {
        for (let j = 0; j < this.exact.length; j++) {
          if (headers.valueEquals(i, unchecked(this.exact[j]))) return true;
        }
      }
    }
    return false;
  }
}

function startsWith(bytes: ArrayBuffer, prefix: ArrayBuffer): bool {
  return bytes.byteLength >= prefix.byteLength && memory.compare(changetype<usize>(bytes), changetype<usize>(prefix), prefix.byteLength) == 0;
}

/** The sampling options, compiled for deciding on request header bytes. */
export class Sampler {
  private rules: Array<CompiledRule> = new Array<CompiledRule>();
  private keyHeader: ArrayBuffer;
  private salted: u64;
  private defaultRateKey: ArrayBuffer;
  /** The shared-data key of the cap on all mirrored requests of this filter (`sampling.maxPerSecond`). */
  readonly filterRateKey: ArrayBuffer;

  constructor(readonly options: SamplingOptions, source: string) {
    for (let i = 0; i < options.segments.length; i++) this.rules.push(new CompiledRule(unchecked(options.segments[i]), source));
    this.defaultRateKey = segmentRateKey(source, DEFAULT_SEGMENT);
    this.filterRateKey = String.UTF8.encode("shadowdiff.filter_rate." + source);
    this.keyHeader = String.UTF8.encode(options.keyHeader);
    this.salted = saltHash(options.salt);
  }

  /** The segment name of a decision's rule (-1: the default percentage), in UTF-8. */
  segmentName(ruleIndex: i32): ArrayBuffer {
    if (ruleIndex < 0) return DEFAULT_SEGMENT_BYTES;
    return this.rules[ruleIndex].name;
  }

  /** The shared-data key of a decision's segment cap (-1: the default percentage's). */
  rateKey(ruleIndex: i32): ArrayBuffer {
    if (ruleIndex < 0) return this.defaultRateKey;
    return this.rules[ruleIndex].rateKey;
  }

  /** Mirrored requests per second a decision's segment may have (-1: the default percentage); 0: no cap. */
  segmentCap(ruleIndex: i32): u32 {
    if (ruleIndex < 0) return this.options.segmentMaxPerSecond;
    return this.rules[ruleIndex].rule.maxPerSecond;
  }

  /**
   * The entry holding the stickiness key: the configured key header, else x-request-id; -1
   * when neither has a value (then the caller's per-request fallback key is used).
   */
  keyEntry(headers: HeaderPairsView): i32 {
    let entry = headers.find(this.keyHeader);
    if (entry >= 0 && headers.valueLength(entry) > 0) return entry;
    entry = headers.find(REQUEST_ID);
    if (entry >= 0 && headers.valueLength(entry) > 0) return entry;
    return -1;
  }

  /**
   * Decides for one request, into `decision`. The stickiness key is `keyEntry`'s value, or
   * the UTF-8 `fallbackLength` bytes at `fallbackKey` (unique per request) when it is -1:
   * requests without a user are sampled per request.
   */
  decide(headers: HeaderPairsView, keyEntry: i32, fallbackKey: usize, fallbackLength: i32, decision: SampleDecision): void {
    decision.ruleIndex = -1;
    decision.segment = DEFAULT_SEGMENT;
    decision.reason = REASON_DEFAULT;
    let percentBp = this.options.defaultPercentBp;
    const path = headers.find(PATH);
    for (let i = 0; i < this.rules.length; i++) {
      const rule = unchecked(this.rules[i]);
      if (rule.matches(headers, path)) {
        decision.ruleIndex = i;
        decision.segment = rule.rule.name;
        decision.reason = REASON_SEGMENT;
        percentBp = rule.rule.percentBp;
        break;
      }
    }
    if (keyEntry >= 0) decision.bucket = bucketOf(this.salted, headers.valueStart(keyEntry), headers.valueLength(keyEntry));
    else decision.bucket = bucketOf(this.salted, fallbackKey, fallbackLength);
    decision.sampled = decision.bucket < percentBp;
    // The first secondaryPercent of the segment's sampled buckets: sticky by the same key hash,
    // always a subset of the sampled keys, and the same share of every segment whatever its percent.
    decision.secondary = decision.sampled && <u64>decision.bucket * BUCKETS < <u64>this.options.secondaryBp * <u64>percentBp;
  }
}
