// Which requests are mirrored: ordered segment rules (first match wins) and a sticky
// bucket per user. Pure: the same headers, path and salt give the same decision on
// every worker and every Envoy.
import { HeaderEntry } from "../host/headerPairs";
import { MatchKind, SamplingOptions, SegmentRule } from "../config/pluginConfig";
import { FNV_OFFSET, fnvByte, fnvString, mix64 } from "../lib/fnv";

export const DEFAULT_SEGMENT = "default";
export const REASON_SEGMENT = "segment";
export const REASON_DEFAULT = "default";

const BUCKETS: u64 = 10000;

export class SampleDecision {
  /** Index of the matching rule, or -1 for the default percentage. */
  ruleIndex: i32 = -1;
  segment: string = DEFAULT_SEGMENT;
  reason: string = REASON_DEFAULT;
  bucket: u32 = 0;
  sampled: bool = false;
}

/** A bucket in [0, 10000) from the salt and the stickiness key. */
export function stickyBucket(salt: string, key: string): u32 {
  let hash = fnvString(FNV_OFFSET, salt);
  hash = fnvByte(hash, 0); // so that ("ab","c") and ("a","bc") differ
  hash = fnvString(hash, key);
  return <u32>(mix64(hash) % BUCKETS);
}

function ruleMatches(rule: SegmentRule, headers: Array<HeaderEntry>, path: string): bool {
  if (rule.pathPrefix.length > 0 && !path.startsWith(rule.pathPrefix)) return false;
  for (let i = 0; i < headers.length; i++) {
    const entry = unchecked(headers[i]);
    if (entry.name != rule.header) continue;
    if (rule.match == MatchKind.Present) return true;
    if (rule.match == MatchKind.Prefix) {
      if (entry.value.startsWith(rule.prefix)) return true;
    } else if (rule.exact.includes(entry.value)) {
      return true;
    }
  }
  return false;
}

/** The first header value named `name`, or "" when absent. */
function headerValue(headers: Array<HeaderEntry>, name: string): string {
  for (let i = 0; i < headers.length; i++) {
    if (unchecked(headers[i]).name == name) return unchecked(headers[i]).value;
  }
  return "";
}

/**
 * Decides for one request. The stickiness key is the configured key header, else
 * x-request-id, else `fallbackKey` (unique per request): requests without a user
 * are sampled per request.
 */
export function decide(options: SamplingOptions, headers: Array<HeaderEntry>, path: string, fallbackKey: string): SampleDecision {
  const decision = new SampleDecision();
  let percentBp = options.defaultPercentBp;
  for (let i = 0; i < options.segments.length; i++) {
    const rule = unchecked(options.segments[i]);
    if (ruleMatches(rule, headers, path)) {
      decision.ruleIndex = i;
      decision.segment = rule.name;
      decision.reason = REASON_SEGMENT;
      percentBp = rule.percentBp;
      break;
    }
  }
  let key = headerValue(headers, options.keyHeader);
  if (key.length == 0) key = headerValue(headers, "x-request-id");
  if (key.length == 0) key = fallbackKey;
  decision.bucket = stickyBucket(options.salt, key);
  decision.sampled = decision.bucket < percentBp;
  return decision;
}
