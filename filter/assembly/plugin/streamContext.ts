// The per-request context: applies the role (edge samples and tags, shadow marks the
// copy, primary observes) and digests the response of an observed leg while it streams.
// The ABI layer returns Continue for every callback: the filter never holds a request or
// a response.
import { HeaderEntry, findHeader } from "../host/headerPairs";
import { BufferKind, HeaderMap, HostBytes, getHeaders, nowNanos, readBuffer, removeHeader, replaceHeader } from "../host/hostcalls";
import { PluginConfig, Role } from "../config/pluginConfig";
import { JSON_MALFORMED, ResponseDigest } from "../digest/responseDigest";
import { HashAlgorithm } from "../lib/streamingHash";
import { LEG_PRIMARY, LEG_SHADOW, LegInfo, encodeRecord } from "../outbox/recordEncoder";
import { takeSlot } from "../sampling/rateCap";
import { DEFAULT_SEGMENT, REASON_DEFAULT, REASON_SEGMENT, decide } from "../sampling/segmentSampler";
import { ShadowdiffRoot } from "./rootContext";

const body = new HostBytes();

export class ShadowdiffStream {
  private info: LegInfo | null = null;
  private digest: ResponseDigest | null = null;
  private startNanos: u64 = 0;
  private ended: bool = false;

  constructor(readonly contextId: u32, private root: ShadowdiffRoot) {}

  requestHeaders(): void {
    const config = this.root.config;
    if (config === null) return;
    const headers = getHeaders(HeaderMap.RequestHeaders);
    if (config.role == Role.Edge) this.atEdge(config, headers);
    else if (config.role == Role.Shadow) this.atShadow(config, headers);
    else this.atPrimary(config, headers);
  }

  /** Strips client-supplied control headers, decides, and tags a sampled request. */
  private atEdge(config: PluginConfig, headers: Array<HeaderEntry>): void {
    const metrics = this.root.metrics!;
    const prefix = config.headerPrefix;
    let spoofed = false;
    for (let i = 0; i < headers.length; i++) {
      const name = headers[i].name;
      if (hasControlPrefix(name, prefix)) {
        removeHeader(HeaderMap.RequestHeaders, name);
        spoofed = true;
      }
    }
    if (spoofed) metrics.add(metrics.spoofedHeadersRemoved);

    const requestId = headerOr(headers, "x-request-id", "");
    const path = headerOr(headers, ":path", "/");
    // One clock reading for the id, the rate window and the start time: host calls are the
    // filter's biggest fixed cost per request.
    const now = nowNanos();
    const id = this.root.mintId(requestId, now);
    const decision = decide(config.sampling, headers, path, id);
    if (decision.sampled) {
      const second = <u32>(now / 1000000000);
      let segmentCap = config.sampling.segmentMaxPerSecond;
      if (decision.ruleIndex >= 0) segmentCap = config.sampling.segments[decision.ruleIndex].maxPerSecond;
      // The segment's budget first: a flood in one segment then uses up only its own share of
      // the filter's budget, and the other segments keep theirs.
      if (segmentCap > 0 && !takeSlot("shadowdiff.rate." + config.source + "." + decision.segment, segmentCap, second)) {
        metrics.add(metrics.segmentMetric(metrics.rateLimited, decision.ruleIndex));
        decision.sampled = false;
      } else if (config.sampling.maxPerSecond > 0 && !takeSlot("shadowdiff.filter_rate." + config.source, config.sampling.maxPerSecond, second)) {
        metrics.add(metrics.filterRateLimited);
        decision.sampled = false;
      }
    }
    if (!decision.sampled) {
      metrics.add(metrics.notSampled);
      return;
    }
    metrics.add(metrics.segmentMetric(metrics.sampled, decision.ruleIndex));
    // Changing request headers makes Envoy re-match the route: the mirroring route
    // matches <prefix>sampled.
    replaceHeader(HeaderMap.RequestHeaders, prefix + "sampled", "1");
    replaceHeader(HeaderMap.RequestHeaders, prefix + "id", id);
    replaceHeader(HeaderMap.RequestHeaders, prefix + "segment", decision.segment);
    replaceHeader(HeaderMap.RequestHeaders, prefix + "reason", decision.reason);
    this.observe(config, headers, now, LEG_PRIMARY, id, decision.segment, decision.reason);
  }

  /** Every request here is a mirrored copy: mark it, and observe it if it is ours. */
  private atShadow(config: PluginConfig, headers: Array<HeaderEntry>): void {
    const metrics = this.root.metrics!;
    replaceHeader(HeaderMap.RequestHeaders, config.headerPrefix + "shadow", "1");
    metrics.add(metrics.tagged);
    this.observeTagged(config, headers, LEG_SHADOW);
  }

  /** Observes sampled requests at the primary; a shadow-suffixed authority is a copy. */
  private atPrimary(config: PluginConfig, headers: Array<HeaderEntry>): void {
    const metrics = this.root.metrics!;
    const marker = config.headerPrefix + "shadow";
    const authority = headerOr(headers, ":authority", "");
    if (withoutSuffix(authority, config.shadowHostSuffix) != authority) {
      replaceHeader(HeaderMap.RequestHeaders, marker, "1");
      metrics.add(metrics.tagged);
      this.observeTagged(config, headers, LEG_SHADOW);
      return;
    }
    if (findHeader(headers, marker) !== null) {
      removeHeader(HeaderMap.RequestHeaders, marker);
      metrics.add(metrics.spoofedHeadersRemoved);
    }
    this.observeTagged(config, headers, LEG_PRIMARY);
  }

  /** Observes a leg sampled upstream, identified by the control headers it carries. */
  private observeTagged(config: PluginConfig, headers: Array<HeaderEntry>, leg: string): void {
    const prefix = config.headerPrefix;
    const id = headerOr(headers, prefix + "id", "");
    if (!isCorrelationId(id)) {
      const metrics = this.root.metrics!;
      metrics.add(metrics.untagged);
      return;
    }
    let segment = headerOr(headers, prefix + "segment", DEFAULT_SEGMENT);
    if (!isSegmentName(segment)) segment = DEFAULT_SEGMENT;
    let reason = headerOr(headers, prefix + "reason", REASON_DEFAULT);
    if (reason != REASON_SEGMENT) reason = REASON_DEFAULT;
    this.observe(config, headers, nowNanos(), leg, id, segment, reason);
  }

  /** `startNanos`: when the request reached the filter. */
  private observe(config: PluginConfig, headers: Array<HeaderEntry>, startNanos: u64, leg: string, id: string, segment: string, reason: string): void {
    this.startNanos = startNanos;
    const info = new LegInfo();
    info.id = id;
    info.leg = leg;
    info.segment = segment;
    info.reason = reason;
    info.requestId = headerOr(headers, "x-request-id", "");
    info.method = headerOr(headers, ":method", "GET");
    info.path = withoutQuery(headerOr(headers, ":path", "/"));
    info.authority = withoutSuffix(headerOr(headers, ":authority", ""), config.shadowHostSuffix);
    info.startUnixMs = this.startNanos / 1000000;
    this.info = info;
    // Wire format v1 carries FNV-1a hashes; v2 (XXH64) is selected here once the batch says v2.
    this.digest = new ResponseDigest(config.digest, HashAlgorithm.Fnv1a64);
  }

  responseHeaders(endOfStream: bool): void {
    if (this.digest === null || this.ended) return;
    const firstByteUs = this.elapsedUs();
    this.info!.firstByteUs = firstByteUs;
    this.digest!.onHeaders(getHeaders(HeaderMap.ResponseHeaders));
    if (endOfStream) this.endResponse(true, firstByteUs);
  }

  responseBody(bodyBufferLength: u32, endOfStream: bool): void {
    if (this.digest === null || this.ended) return;
    if (bodyBufferLength > 0 && readBuffer(BufferKind.ResponseBody, 0, bodyBufferLength, body)) {
      this.digest!.onBody(body.ptr, body.length);
      body.release();
    }
    if (endOfStream) this.endResponse(true, this.elapsedUs());
  }

  responseTrailers(): void {
    if (this.digest !== null && !this.ended) this.endResponse(true, this.elapsedUs());
  }

  private endResponse(complete: bool, lastByteUs: u64): void {
    const info = this.info!;
    this.ended = true;
    info.complete = complete;
    info.lastByteUs = lastByteUs;
  }

  private elapsedUs(): u64 {
    const now = nowNanos();
    return now > this.startNanos ? (now - this.startNanos) / 1000 : 0;
  }

  /** The stream is over (finished, reset or timed out): hand the record to the root. */
  streamEnded(): void {
    const digest = this.digest;
    const info = this.info;
    if (digest === null || info === null) return;
    this.digest = null;
    if (!this.ended) this.endResponse(false, this.elapsedUs());
    digest.finish();
    const metrics = this.root.metrics!;
    metrics.add(metrics.digested);
    if (digest.json == JSON_MALFORMED) metrics.add(metrics.jsonMalformed);
    if (digest.fieldsTruncated) metrics.add(metrics.fieldsTruncated);
    this.root.enqueue(encodeRecord(info, digest));
  }
}

function headerOr(headers: Array<HeaderEntry>, name: string, fallback: string): string {
  const value = findHeader(headers, name);
  if (value === null) return fallback;
  return value;
}

function withoutQuery(path: string): string {
  const query = path.indexOf("?");
  if (query < 0) return path;
  return path.substring(0, query);
}

function withoutSuffix(authority: string, suffix: string): string {
  if (suffix.length == 0) return authority;
  // Envoy appends the suffix to the host, before any port.
  const colon = authority.lastIndexOf(":");
  let host = authority;
  let port = "";
  if (colon > 0) {
    host = authority.substring(0, colon);
    port = authority.substring(colon);
  }
  if (!host.endsWith(suffix) || host.length == suffix.length) return authority;
  return host.substring(0, host.length - suffix.length) + port;
}

/**
 * `name` starts with the control header prefix, reading `_` as `-`: servers that expose headers
 * as CGI-style variables (HTTP_X_SHADOWDIFF_SHADOW) cannot tell `x_shadowdiff_shadow` from the
 * marker, and Envoy passes underscored names on by default.
 */
function hasControlPrefix(name: string, prefix: string): bool {
  if (name.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (dashForUnderscore(name.charCodeAt(i)) != dashForUnderscore(prefix.charCodeAt(i))) return false;
  }
  return true;
}

function dashForUnderscore(c: i32): i32 {
  return c == 0x5f ? 0x2d : c;
}

/** The wire format's id pattern: [0-9A-Za-z._:-]{1,128}. */
function isCorrelationId(id: string): bool {
  if (id.length == 0 || id.length > 128) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c == 0x2e || c == 0x5f || c == 0x3a || c == 0x2d;
    if (!ok) return false;
  }
  return true;
}

function isSegmentName(name: string): bool {
  if (name.length == 0 || name.length > 64) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c == 0x2d;
    if (!ok) return false;
  }
  return true;
}
