// The plugin configuration: parsed and validated once, at configure time. The first
// problem found is reported with the field's path ("sampling.segments[1].percent: ...")
// and the configuration is refused; unknown fields are refused too, so typos don't pass.
import { ROOT, memberPath, quoted } from "./fieldPath";
import { JsonKind, JsonParser, JsonValue } from "./jsonValue";
import { CaptureOptions, compileGlob, MAX_GLOBS, MAX_RECORD_BYTES, MAX_STRING_BYTES, MIN_RECORD_BYTES, PathGlob } from "./captureOptions";

export const enum Role {
  Edge,
  Shadow,
  Primary,
}

/** The legs a record can name (the wire format's `leg`); the shadow role observes one of the last two (`leg`). */
export const LEG_PRIMARY = "primary";
export const LEG_SHADOW = "shadow";
/** A second instance of the primary version: what differs between it and the primary is non-determinism. */
export const LEG_SECONDARY = "secondary";

export const enum MatchKind {
  Exact,
  Prefix,
  Present,
}

// Mirroring is on by default for whoever matches a segment, and segment headers come from the
// request: without a default cap, a flood that matches a 100% segment would be mirrored in full.
export const DEFAULT_SEGMENT_MAX_PER_SECOND: u32 = 50;
export const DEFAULT_FILTER_MAX_PER_SECOND: u32 = 100;

export class SegmentRule {
  name: string = "";
  header: string = "";
  match: MatchKind = MatchKind.Present;
  exact: Array<string> = new Array<string>();
  prefix: string = "";
  pathPrefix: string = "";
  /** Share mirrored, in basis points (0..10000). */
  percentBp: u32 = 0;
  /** Mirrored requests per second; 0: no cap. Unset: `sampling.segmentMaxPerSecond`. */
  maxPerSecond: u32 = DEFAULT_SEGMENT_MAX_PER_SECOND;
}


export class SamplingOptions {
  keyHeader: string = "x-user-id";
  salt: string = "";
  defaultPercentBp: u32 = 0;
  segments: Array<SegmentRule> = new Array<SegmentRule>();
  /** Cap of every segment without its own `maxPerSecond`, and of the default percentage; 0: none. */
  segmentMaxPerSecond: u32 = DEFAULT_SEGMENT_MAX_PER_SECOND;
  /** Cap of all mirrored requests of this filter together (one Envoy); 0: none. */
  maxPerSecond: u32 = DEFAULT_FILTER_MAX_PER_SECOND;
  /** Share of the sampled keys also mirrored to the secondary, in basis points (0..10000); 0: none. */
  secondaryBp: u32 = 0;
}

/** Enough entries to localise about 512 × maxFields leaves (131,072 at the default 256) to the leaf budget. */
export const DEFAULT_MAX_SUBTREES: i32 = 512;
/** Fewer entries than this could not localise anything below the root. */
const MIN_SUBTREES: i32 = 8;
export const DEFAULT_MAX_DECODED_BYTES: u64 = 8 << 20;
const MAX_DECODED_BYTES_LIMIT: f64 = 1073741824;

export class DigestOptions {
  headers: Array<string> = ["content-type", "content-encoding", "cache-control", "location", "vary", "etag"];
  json: bool = true;
  maxFields: i32 = 256;
  maxDepth: i32 = 32;
  /** Subtree entries per record beyond the leaf budget (digest/subtreeDigest.ts); 0: none. */
  maxSubtrees: i32 = DEFAULT_MAX_SUBTREES;
  capture: CaptureOptions = new CaptureOptions();
  /** Decoded bytes a gzip or deflate body may have; beyond, it compares as received (zip bombs). */
  maxDecodedBytes: u64 = DEFAULT_MAX_DECODED_BYTES;
  private encodedHeaders: Array<ArrayBuffer> | null = null;

  /** `headers` in UTF-8, encoded at the first use (the options are complete by then): matched against the host's header bytes. */
  headerBytes(): Array<ArrayBuffer> {
    if (this.encodedHeaders === null) {
      const encoded = new Array<ArrayBuffer>();
      for (let i = 0; i < this.headers.length; i++) encoded.push(String.UTF8.encode(unchecked(this.headers[i])));
      this.encodedHeaders = encoded;
    }
    return this.encodedHeaders!;
  }
}

export class ExportOptions {
  batchSize: i32 = 32;
  maxQueue: i32 = 1024;
  flushIntervalMs: u32 = 1000;
  maxInflight: i32 = 4;
}

export class CollectorOptions {
  cluster: string = "";
  authority: string = "";
  path: string = "/v1/batches";
  token: string = "";
  timeoutMs: u32 = 2000;
  /** Wire format of export batches: 2 (path table), or 1 for collectors not upgraded yet. */
  wireVersion: i32 = 2;
}

export class PluginConfig {
  role: Role = Role.Edge;
  roleName: string = "edge";
  /** The leg the shadow role observes: `shadow`, or `secondary` for the second primary instance. */
  leg: string = LEG_SHADOW;
  /** Names the plugin's metrics (`shadowdiff.<metricsName>.*`) and is the default `source`: the role, or `secondary`. */
  metricsName: string = "edge";
  source: string = "";
  headerPrefix: string = "x-shadowdiff-";
  shadowHostSuffix: string = "-shadow";
  collector: CollectorOptions = new CollectorOptions();
  sampling: SamplingOptions = new SamplingOptions();
  digest: DigestOptions = new DigestOptions();
  export: ExportOptions = new ExportOptions();
}

const MAX_RATE_CAP: f64 = 1000000000;

export class ConfigResult {
  constructor(public config: PluginConfig | null, public error: string) {}
}

export function parsePluginConfig(text: string): ConfigResult {
  if (text.trim().length == 0) return new ConfigResult(null, "configuration is empty; expected a JSON object with at least \"role\" and \"collector\"");
  const parser = new JsonParser(text);
  const root = parser.parse();
  if (root === null) return new ConfigResult(null, "configuration is not valid JSON: " + parser.error);
  const reader = new ConfigReader();
  const config = reader.plugin(root);
  if (reader.error.length > 0) return new ConfigResult(null, reader.error);
  return new ConfigResult(config, "");
}

class ConfigReader {
  error: string = "";

  private fail(path: string, message: string): void {
    if (this.error.length == 0) this.error = path + ": " + message;
  }

  /** True when `value` is an object whose members are all in `allowed`. */
  private object(value: JsonValue, path: string, allowed: Array<string>): bool {
    if (value.kind != JsonKind.Object) {
      this.fail(path, "must be an object, not " + value.kindName());
      return false;
    }
    for (let i = 0; i < value.keys.length; i++) {
      const key = unchecked(value.keys[i]);
      if (!allowed.includes(key)) {
        this.fail(memberPath(path, key), "unknown field (allowed: " + allowed.join(", ") + ")");
        return false;
      }
    }
    return true;
  }

  private string(value: JsonValue, path: string, maxLength: i32): string {
    if (value.kind != JsonKind.String) {
      this.fail(path, "must be a string, not " + value.kindName());
      return "";
    }
    if (value.string.length > maxLength) {
      this.fail(path, "must be at most " + maxLength.toString() + " characters");
      return "";
    }
    return value.string;
  }

  private integer(value: JsonValue, path: string, min: f64, max: f64): i64 {
    if (value.kind != JsonKind.Number || value.number != Math.floor(value.number) || value.number < min || value.number > max) {
      this.fail(path, "must be an integer from " + (<i64>min).toString() + " to " + (<i64>max).toString());
      return <i64>min;
    }
    return <i64>value.number;
  }

  private percent(value: JsonValue, path: string): u32 {
    if (value.kind != JsonKind.Number || !(value.number >= 0 && value.number <= 100)) {
      this.fail(path, "must be a number from 0 to 100");
      return 0;
    }
    return <u32>Math.round(value.number * 100);
  }

  private boolean(value: JsonValue, path: string): bool {
    if (value.kind != JsonKind.Bool) {
      this.fail(path, "must be true or false, not " + value.kindName());
      return false;
    }
    return value.bool;
  }

  private headerName(value: JsonValue, path: string, allowPseudo: bool): string {
    const name = this.string(value, path, 128);
    if (this.error.length > 0) return "";
    if (!isHeaderName(name, allowPseudo)) this.fail(path, "must be a lower-case HTTP header name, got " + quoted(name));
    // A record keyed "__proto__" is refused as prototype poisoning by JSON parsers such as Fastify's.
    else if (name == "__proto__") this.fail(path, "\"__proto__\" cannot be a header name here");
    return name;
  }

  plugin(root: JsonValue): PluginConfig {
    const config = new PluginConfig();
    if (!this.object(root, ROOT, ["role", "leg", "source", "headerPrefix", "shadowHostSuffix", "collector", "sampling", "digest", "export"])) return config;

    const role = root.get("role");
    if (role === null) {
      this.fail("role", "is required (edge, shadow or primary)");
      return config;
    }
    const roleName = this.string(role, "role", 16);
    if (roleName == "edge") config.role = Role.Edge;
    else if (roleName == "shadow") config.role = Role.Shadow;
    else if (roleName == "primary") config.role = Role.Primary;
    else this.fail("role", "must be edge, shadow or primary, got " + quoted(roleName));
    config.roleName = roleName;
    config.metricsName = roleName;

    const leg = root.get("leg");
    if (leg !== null && this.error.length == 0) {
      const legName = this.string(leg, "leg", 16);
      if (this.error.length > 0) return config;
      if (config.role != Role.Shadow) this.fail("leg", "only the shadow role takes a leg; remove it for role " + roleName);
      else if (legName == LEG_SECONDARY) {
        config.leg = LEG_SECONDARY;
        // Both shadow-role filters of one Envoy would otherwise count into the same metrics.
        config.metricsName = LEG_SECONDARY;
      } else if (legName != LEG_SHADOW) this.fail("leg", "must be shadow or secondary, got " + quoted(legName));
    }
    config.source = config.metricsName;

    const source = root.get("source");
    if (source !== null) {
      config.source = this.string(source, "source", 64);
      if (this.error.length == 0 && !matchesCharset(config.source, true, true, "_.-")) this.fail("source", "must be 1-64 characters of [A-Za-z0-9_.-]");
    }
    const prefix = root.get("headerPrefix");
    if (prefix !== null) {
      config.headerPrefix = this.string(prefix, "headerPrefix", 32);
      if (this.error.length == 0 && (!isHeaderName(config.headerPrefix, false) || !config.headerPrefix.endsWith("-"))) {
        this.fail("headerPrefix", "must be a lower-case header name prefix ending with '-'");
      }
    }
    const suffix = root.get("shadowHostSuffix");
    if (suffix !== null) {
      config.shadowHostSuffix = this.string(suffix, "shadowHostSuffix", 32);
      // Matched against the host part of :authority, so anything else could never match: a typo.
      if (this.error.length == 0 && config.shadowHostSuffix.length > 0 && !matchesCharset(config.shadowHostSuffix, true, true, "_.-")) {
        this.fail("shadowHostSuffix", "must be empty or host name characters [A-Za-z0-9_.-]");
      }
    }

    const collector = root.get("collector");
    if (collector === null) this.fail("collector", "is required (at least {\"cluster\": \"...\"})");
    else this.collector(collector, config.collector);

    const sampling = root.get("sampling");
    if (config.role == Role.Edge) {
      if (sampling === null) this.fail("sampling", "is required for the edge role");
      else this.sampling(sampling, config.sampling);
    } else if (sampling !== null) {
      this.fail("sampling", "only the edge role samples; remove it for role " + roleName);
    }

    const digest = root.get("digest");
    if (digest !== null) this.digest(digest, config.digest);
    // Version 1 has no member for values, and stays byte for byte what it was.
    if (this.error.length == 0 && config.digest.capture.enabled && config.collector.wireVersion == 1) {
      this.fail("digest.capture", "needs collector.wireVersion 2 (version 1 carries no values)");
    }
    const exportOptions = root.get("export");
    if (exportOptions !== null) this.exportOptions(exportOptions, config.export);
    return config;
  }

  private collector(value: JsonValue, options: CollectorOptions): void {
    if (!this.object(value, "collector", ["cluster", "authority", "path", "token", "timeoutMs", "wireVersion"])) return;
    const cluster = value.get("cluster");
    if (cluster === null) {
      this.fail("collector.cluster", "is required");
      return;
    }
    options.cluster = this.string(cluster, "collector.cluster", 256);
    if (this.error.length == 0 && !isVisibleAscii(options.cluster)) this.fail("collector.cluster", "must be a non-empty cluster name without spaces");
    options.authority = options.cluster;
    const authority = value.get("authority");
    if (authority !== null) {
      options.authority = this.string(authority, "collector.authority", 256);
      if (this.error.length == 0 && !isVisibleAscii(options.authority)) this.fail("collector.authority", "must be a non-empty host[:port] without spaces");
    }
    const path = value.get("path");
    if (path !== null) {
      options.path = this.string(path, "collector.path", 256);
      if (this.error.length == 0 && (!options.path.startsWith("/") || !isVisibleAscii(options.path))) this.fail("collector.path", "must start with '/' and contain no spaces");
    }
    const token = value.get("token");
    if (token !== null) {
      options.token = this.string(token, "collector.token", 256);
      if (this.error.length == 0 && options.token.length > 0 && !isVisibleAscii(options.token)) this.fail("collector.token", "must be printable ASCII without spaces");
    }
    const timeout = value.get("timeoutMs");
    if (timeout !== null) options.timeoutMs = <u32>this.integer(timeout, "collector.timeoutMs", 1, 60000);
    const wireVersion = value.get("wireVersion");
    if (wireVersion !== null) {
      if (wireVersion.kind != JsonKind.Number || (wireVersion.number != 1 && wireVersion.number != 2)) {
        this.fail("collector.wireVersion", "must be 1 or 2 (1 only for collectors that do not accept version 2 yet)");
      } else {
        options.wireVersion = <i32>wireVersion.number;
      }
    }
  }

  private sampling(value: JsonValue, options: SamplingOptions): void {
    if (!this.object(value, "sampling", ["keyHeader", "salt", "defaultPercent", "secondaryPercent", "segments", "segmentMaxPerSecond", "maxPerSecond"])) return;
    const keyHeader = value.get("keyHeader");
    if (keyHeader !== null) options.keyHeader = this.headerName(keyHeader, "sampling.keyHeader", false);
    const salt = value.get("salt");
    if (salt !== null) options.salt = this.string(salt, "sampling.salt", 64);
    const defaultPercent = value.get("defaultPercent");
    if (defaultPercent !== null) options.defaultPercentBp = this.percent(defaultPercent, "sampling.defaultPercent");
    const secondaryPercent = value.get("secondaryPercent");
    if (secondaryPercent !== null) options.secondaryBp = this.percent(secondaryPercent, "sampling.secondaryPercent");
    const filterCap = value.get("maxPerSecond");
    if (filterCap !== null) options.maxPerSecond = <u32>this.integer(filterCap, "sampling.maxPerSecond", 0, MAX_RATE_CAP);
    // Read before the segments: it is the cap of those that set none.
    const segmentCap = value.get("segmentMaxPerSecond");
    if (segmentCap !== null) options.segmentMaxPerSecond = <u32>this.integer(segmentCap, "sampling.segmentMaxPerSecond", 0, MAX_RATE_CAP);
    const segments = value.get("segments");
    if (segments === null) return;
    if (segments.kind != JsonKind.Array) {
      this.fail("sampling.segments", "must be an array, not " + segments.kindName());
      return;
    }
    if (segments.items.length > 32) {
      this.fail("sampling.segments", "at most 32 segments");
      return;
    }
    for (let i = 0; i < segments.items.length && this.error.length == 0; i++) {
      const rule = this.segment(unchecked(segments.items[i]), "sampling.segments[" + i.toString() + "]", options.segmentMaxPerSecond);
      for (let j = 0; j < options.segments.length; j++) {
        if (unchecked(options.segments[j]).name == rule.name) this.fail("sampling.segments[" + i.toString() + "].name", "duplicate segment name " + quoted(rule.name));
      }
      options.segments.push(rule);
    }
  }

  private segment(value: JsonValue, path: string, defaultCap: u32): SegmentRule {
    const rule = new SegmentRule();
    rule.maxPerSecond = defaultCap;
    if (!this.object(value, path, ["name", "header", "exact", "prefix", "present", "pathPrefix", "percent", "maxPerSecond"])) return rule;
    const name = value.get("name");
    if (name === null) {
      this.fail(path + ".name", "is required");
      return rule;
    }
    rule.name = this.string(name, path + ".name", 64);
    if (this.error.length == 0 && (!matchesCharset(rule.name, false, true, "_-") || rule.name == "default")) {
      this.fail(path + ".name", "must be 1-64 characters of [a-z0-9_-] and not \"default\"");
    }
    const header = value.get("header");
    if (header === null) {
      this.fail(path + ".header", "is required");
      return rule;
    }
    rule.header = this.headerName(header, path + ".header", true);

    const exact = value.get("exact");
    const prefix = value.get("prefix");
    const present = value.get("present");
    const matchers = (exact !== null ? 1 : 0) + (prefix !== null ? 1 : 0) + (present !== null ? 1 : 0);
    if (matchers != 1) {
      this.fail(path, "needs exactly one of \"exact\", \"prefix\" or \"present\"");
      return rule;
    }
    if (exact !== null) {
      rule.match = MatchKind.Exact;
      if (exact.kind != JsonKind.Array || exact.items.length == 0 || exact.items.length > 64) {
        this.fail(path + ".exact", "must be an array of 1 to 64 strings");
        return rule;
      }
      for (let i = 0; i < exact.items.length; i++) {
        rule.exact.push(this.string(unchecked(exact.items[i]), path + ".exact[" + i.toString() + "]", 256));
      }
    } else if (prefix !== null) {
      rule.match = MatchKind.Prefix;
      rule.prefix = this.string(prefix, path + ".prefix", 256);
      if (this.error.length == 0 && rule.prefix.length == 0) this.fail(path + ".prefix", "must not be empty (use \"present\": true)");
    } else if (present !== null) {
      rule.match = MatchKind.Present;
      if (!this.boolean(present, path + ".present")) this.fail(path + ".present", "must be true (to match absence, order rules instead)");
    }
    const pathPrefix = value.get("pathPrefix");
    if (pathPrefix !== null) {
      rule.pathPrefix = this.string(pathPrefix, path + ".pathPrefix", 256);
      if (this.error.length == 0 && !rule.pathPrefix.startsWith("/")) this.fail(path + ".pathPrefix", "must start with '/'");
    }
    const percent = value.get("percent");
    if (percent === null) this.fail(path + ".percent", "is required");
    else rule.percentBp = this.percent(percent, path + ".percent");
    const cap = value.get("maxPerSecond");
    if (cap !== null) rule.maxPerSecond = <u32>this.integer(cap, path + ".maxPerSecond", 0, MAX_RATE_CAP);
    return rule;
  }

  private digest(value: JsonValue, options: DigestOptions): void {
    if (!this.object(value, "digest", ["headers", "json", "maxFields", "maxDepth", "maxSubtrees", "maxDecodedBytes", "capture"])) return;
    const headers = value.get("headers");
    if (headers !== null) {
      if (headers.kind != JsonKind.Array || headers.items.length > 64) {
        this.fail("digest.headers", "must be an array of at most 64 header names");
        return;
      }
      options.headers = new Array<string>();
      for (let i = 0; i < headers.items.length; i++) {
        options.headers.push(this.headerName(unchecked(headers.items[i]), "digest.headers[" + i.toString() + "]", false));
      }
    }
    const json = value.get("json");
    if (json !== null) options.json = this.boolean(json, "digest.json");
    const maxFields = value.get("maxFields");
    if (maxFields !== null) options.maxFields = <i32>this.integer(maxFields, "digest.maxFields", 0, 4096);
    const maxDepth = value.get("maxDepth");
    if (maxDepth !== null) options.maxDepth = <i32>this.integer(maxDepth, "digest.maxDepth", 1, 128);
    const maxSubtrees = value.get("maxSubtrees");
    if (maxSubtrees !== null) {
      options.maxSubtrees = <i32>this.integer(maxSubtrees, "digest.maxSubtrees", 0, 4096);
      if (options.maxSubtrees > 0 && options.maxSubtrees < MIN_SUBTREES) this.fail("digest.maxSubtrees", "must be 0 (no subtree hashes) or an integer from 8 to 4096");
    }
    const maxDecoded = value.get("maxDecodedBytes");
    if (maxDecoded !== null) options.maxDecodedBytes = <u64>this.integer(maxDecoded, "digest.maxDecodedBytes", 1, MAX_DECODED_BYTES_LIMIT);
    const capture = value.get("capture");
    if (capture !== null) this.capture(capture, options.capture);
  }

  private capture(value: JsonValue, options: CaptureOptions): void {
    if (!this.object(value, "digest.capture", ["paths", "deny", "maxStringBytes", "maxBytes"])) return;
    const paths = value.get("paths");
    if (paths !== null) this.globs(paths, "digest.capture.paths", options.paths);
    const deny = value.get("deny");
    if (deny !== null) this.globs(deny, "digest.capture.deny", options.deny);
    const maxString = value.get("maxStringBytes");
    if (maxString !== null) options.maxStringBytes = <i32>this.integer(maxString, "digest.capture.maxStringBytes", 0, MAX_STRING_BYTES);
    const maxBytes = value.get("maxBytes");
    if (maxBytes !== null) options.maxBytes = <i32>this.integer(maxBytes, "digest.capture.maxBytes", MIN_RECORD_BYTES, MAX_RECORD_BYTES);
  }

  private globs(value: JsonValue, path: string, into: Array<PathGlob>): void {
    if (value.kind != JsonKind.Array || value.items.length > MAX_GLOBS) {
      this.fail(path, "must be an array of at most " + MAX_GLOBS.toString() + " field path globs");
      return;
    }
    for (let i = 0; i < value.items.length && this.error.length == 0; i++) {
      const itemPath = path + "[" + i.toString() + "]";
      const text = this.string(unchecked(value.items[i]), itemPath, 1024);
      if (this.error.length > 0) return;
      const glob = new PathGlob();
      const problem = compileGlob(text, glob);
      if (problem.length > 0) this.fail(itemPath, problem);
      else into.push(glob);
    }
  }

  private exportOptions(value: JsonValue, options: ExportOptions): void {
    if (!this.object(value, "export", ["batchSize", "maxQueue", "flushIntervalMs", "maxInflight"])) return;
    const batchSize = value.get("batchSize");
    if (batchSize !== null) options.batchSize = <i32>this.integer(batchSize, "export.batchSize", 1, 1024);
    const maxQueue = value.get("maxQueue");
    if (maxQueue !== null) options.maxQueue = <i32>this.integer(maxQueue, "export.maxQueue", 1, 65536);
    if (this.error.length == 0 && options.maxQueue < options.batchSize) this.fail("export.maxQueue", "must be at least export.batchSize (" + options.batchSize.toString() + ")");
    const flush = value.get("flushIntervalMs");
    if (flush !== null) options.flushIntervalMs = <u32>this.integer(flush, "export.flushIntervalMs", 10, 60000);
    const inflight = value.get("maxInflight");
    if (inflight !== null) options.maxInflight = <i32>this.integer(inflight, "export.maxInflight", 1, 64);
  }
}

// Ternaries over references are avoided throughout: AssemblyScript 0.17's reference
// counting mis-releases `cond ? borrowed : owned` (it trapped the VM in Envoy).

/** RFC 9110 token characters, lower-case only (the ABI hands header names lower-cased). */
export function isHeaderName(name: string, allowPseudo: bool): bool {
  if (name.length == 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (i == 0 && c == 0x3a && allowPseudo && name.length > 1) continue;
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || "!#$%&'*+.^_`|~-".includes(String.fromCharCode(c));
    if (!ok) return false;
  }
  return true;
}

function matchesCharset(text: string, upper: bool, digits: bool, extra: string): bool {
  if (text.length == 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (upper && c >= 0x41 && c <= 0x5a) || (digits && c >= 0x30 && c <= 0x39) || extra.includes(String.fromCharCode(c));
    if (!ok) return false;
  }
  return true;
}

function isVisibleAscii(text: string): bool {
  if (text.length == 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}
