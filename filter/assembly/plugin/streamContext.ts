// The per-request context: applies the role (edge samples and tags, shadow marks the
// copy, primary observes) and digests the response of an observed leg while it streams.
// The ABI layer returns Continue for every callback: the filter never holds a request or
// a response.
import { HeaderPairsBuilder } from "../host/headerPairsBuilder";
import { HeaderPairsView } from "../host/headerPairsView";
import { BufferKind, HeaderMap, HostBytes, getPropertyI64, nowNanos, readBuffer, readHeaderPairs, removeHeaderAt, replaceHeaderBytes, setHeaderPairs } from "../host/hostcalls";
import { LEG_PRIMARY, LEG_SHADOW, PluginConfig, Role } from "../config/pluginConfig";
import { ByteWriter } from "../lib/byteWriter";
import { JSON_MALFORMED, ResponseDigest } from "../digest/responseDigest";
import { wireHash } from "../outbox/batchEncoder";
import { LegInfo, encodeRecord } from "../outbox/recordEncoder";
import { takeSlot } from "../sampling/rateCap";
import { DEFAULT_SEGMENT, REASON_DEFAULT, REASON_SEGMENT, SampleDecision, Sampler } from "../sampling/segmentSampler";
import { ControlHeaders } from "./controlHeaders";
import { FilterMetrics } from "./filterMetrics";
import { ShadowdiffRoot } from "./rootContext";
import { recycleStream, takeStream } from "./streamPool";

// Reused by every request of the worker (a VM runs one callback at a time): deciding
// allocates nothing, and a request that is not observed costs one host call.
const requestPairs = new HostBytes();
const requestHeaders = new HeaderPairsView();
const rewritten = new HeaderPairsBuilder();
const decision = new SampleDecision();
const responsePairs = new HostBytes();
const responseHeaders = new HeaderPairsView();
const body = new HostBytes();

const REQUEST_ID = String.UTF8.encode("x-request-id");
const METHOD = String.UTF8.encode(":method");
const PATH = String.UTF8.encode(":path");
const AUTHORITY = String.UTF8.encode(":authority");
const ONE = String.UTF8.encode("1");
const REASON_SEGMENT_BYTES = String.UTF8.encode(REASON_SEGMENT);
const REASON_DEFAULT_BYTES = String.UTF8.encode(REASON_DEFAULT);
// Envoy's router timing of this stream's upstream request (first byte sent to last byte
// received), complete by on_log. The two legs reach their services on different hops (the edge's
// router, the internal listener's or the shadow sidecar's router), and this is the one span both
// observers have from the same points of their own hop.
const BACKEND_LATENCY = String.UTF8.encode("response\0backend_latency");

export class ShadowdiffStream {
  /** The stream it observes now (a pooled context serves one stream after another). */
  contextId: u32 = 0;
  private readonly info: LegInfo = new LegInfo();
  private readonly digest: ResponseDigest;
  private startNanos: u64 = 0;
  private ended: bool = false;
  /** From observe() until streamEnded(): the leg's record is still to be made. */
  private observing: bool = false;

  /** A context for legs observed under `config` (its pool's, streamPool.ts), reporting to `root`. */
  constructor(private root: ShadowdiffRoot, readonly config: PluginConfig) {
    const wireVersion = config.collector.wireVersion;
    // Wire format 1 is the previous release's record, content-encoded bodies by their bytes as sent.
    this.digest = new ResponseDigest(config.digest, wireHash(wireVersion), wireVersion >= 2);
  }

  /**
   * Applies the role to a request's headers. Returns the stream context of an observed leg, or
   * null: a leg that is not observed has nothing more to do, so it gets no context at all.
   */
  static onRequestHeaders(root: ShadowdiffRoot, contextId: u32): ShadowdiffStream | null {
    const config = root.config;
    if (config === null) return null;
    // An unreadable map reads as empty: decide anyway, never fail the request.
    if (readHeaderPairs(HeaderMap.RequestHeaders, requestPairs)) requestHeaders.parse(requestPairs.ptr, requestPairs.length);
    else requestHeaders.parse(0, 0);
    let stream: ShadowdiffStream | null = null;
    if (config.role == Role.Edge) stream = atEdge(root, contextId);
    else if (config.role == Role.Shadow) stream = atShadow(root, contextId);
    else stream = atPrimary(root, contextId);
    requestPairs.release();
    return stream;
  }

  /**
   * Starts observing the leg of `contextId`, from scratch: whatever an earlier stream left in
   * this context is set back here. `startNanos`: when the request reached the filter. Reads the
   * request headers being handled.
   */
  observe(contextId: u32, startNanos: u64, leg: string, id: string, segment: string, reason: string, withSecondary: bool): void {
    const headers = requestHeaders;
    const config = this.config;
    this.contextId = contextId;
    this.startNanos = startNanos;
    this.ended = false;
    this.observing = true;
    const info = this.info;
    info.clearResponse();
    info.id = id;
    info.leg = leg;
    info.segment = segment;
    info.reason = reason;
    info.withSecondary = withSecondary;
    info.requestId = headers.valueOr(REQUEST_ID, "");
    info.method = headers.valueOr(METHOD, "GET");
    info.path = withoutQuery(headers.valueOr(PATH, "/"));
    info.authority = withoutSuffix(headers.valueOr(AUTHORITY, ""), config.shadowHostSuffix);
    info.startUnixMs = startNanos / 1000000;
    info.wireVersion = config.collector.wireVersion;
    this.digest.reset();
  }

  /** The stream is gone (proxy_on_delete): the context goes back to its root's pool for the next observed leg. */
  recycle(): void {
    this.observing = false;
    recycleStream(this.root.contextId, this);
  }

  responseHeaders(endOfStream: bool): void {
    if (!this.observing || this.ended) return;
    const firstByteUs = this.elapsedUs();
    this.info.firstByteUs = firstByteUs;
    // Read in place like the request's: an unreadable map reads as empty.
    if (readHeaderPairs(HeaderMap.ResponseHeaders, responsePairs)) responseHeaders.parse(responsePairs.ptr, responsePairs.length);
    else responseHeaders.parse(0, 0);
    this.digest.onHeaders(responseHeaders);
    responsePairs.release();
    if (endOfStream) this.endResponse(true, firstByteUs);
  }

  responseBody(bodyBufferLength: u32, endOfStream: bool): void {
    if (!this.observing || this.ended) return;
    if (bodyBufferLength > 0 && readBuffer(BufferKind.ResponseBody, 0, bodyBufferLength, body)) {
      this.digest.onBody(body.ptr, body.length);
      body.release();
    }
    if (endOfStream) this.endResponse(true, this.elapsedUs());
  }

  responseTrailers(): void {
    if (this.observing && !this.ended) this.endResponse(true, this.elapsedUs());
  }

  private endResponse(complete: bool, lastByteUs: u64): void {
    const info = this.info;
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
    if (!this.observing) return;
    const digest = this.digest;
    const info = this.info;
    this.observing = false;
    if (!this.ended) this.endResponse(false, this.elapsedUs());
    const backendNanos = getPropertyI64(BACKEND_LATENCY);
    if (backendNanos >= 0) info.upstreamUs = backendNanos / 1000;
    digest.finish();
    const metrics = this.root.metrics!;
    metrics.add(metrics.digested);
    if (digest.json == JSON_MALFORMED) metrics.add(metrics.jsonMalformed);
    if (digest.fieldsTruncated) metrics.add(metrics.fieldsTruncated);
    const decoding = digest.decoding;
    if (decoding !== null) metrics.add(metrics.decodingMetric(decoding.outcome));
    this.root.enqueue(encodeRecord(info, digest));
  }
}

/**
 * Strips client-supplied control headers, decides, and tags a sampled request. Not sampled:
 * the one read of the request headers, plus a removal per spoofed header name. Sampled: that
 * read, one clock reading, the rate caps' shared-data read and write each, and one write of the
 * whole map (spoofed headers out, control headers in).
 */
function atEdge(root: ShadowdiffRoot, contextId: u32): ShadowdiffStream | null {
  const headers = requestHeaders;
  const metrics = root.metrics!;
  const sampler = root.sampler!;
  const control = root.control!;
  let spoofed = false;
  for (let i = 0; i < headers.count; i++) {
    if (control.isControl(headers, i)) spoofed = true;
  }
  if (spoofed) metrics.add(metrics.spoofedHeadersRemoved);

  const keyEntry = sampler.keyEntry(headers);
  // One clock reading for the id, the rate window and the start time, and only when needed: a
  // request with a stickiness key that is not sampled never reads the clock.
  let now: u64 = 0;
  let minted = false;
  if (keyEntry < 0) {
    now = nowNanos();
    mintId(root, headers, now);
    minted = true;
  }
  const id = root.mintedId;
  sampler.decide(headers, keyEntry, id.dataStart, id.length, decision);
  if (decision.sampled) now = takeMirrorSlot(sampler, metrics, now);
  if (!decision.sampled) {
    metrics.add(metrics.notSampled);
    if (spoofed) removeControlHeaders(control, headers);
    return null;
  }
  // The rate caps may have read the clock already; the id is minted once the request is sampled.
  if (!minted) {
    if (now == 0) now = nowNanos();
    mintId(root, headers, now);
  }
  metrics.add(metrics.segmentMetric(metrics.sampled, decision.ruleIndex));
  if (decision.secondary) metrics.add(metrics.segmentMetric(metrics.secondary, decision.ruleIndex));
  writeSampled(sampler, control, headers, id);
  const stream = takeStream(root);
  stream.observe(contextId, now, LEG_PRIMARY, String.UTF8.decodeUnsafe(id.dataStart, id.length), decision.segment, decision.reason, decision.secondary);
  return stream;
}

/**
 * Takes the sampled request's slot in its segment's budget, then in the filter's; refused by
 * either, the request is not sampled after all. The segment's budget first: a flood in one
 * segment then uses up only its own share of the filter's budget, and the other segments keep
 * theirs. `now`: the clock reading so far, 0 for none yet; returns it, read if a cap needed it.
 */
function takeMirrorSlot(sampler: Sampler, metrics: FilterMetrics, now: u64): u64 {
  const segmentCap = sampler.segmentCap(decision.ruleIndex);
  const filterCap = sampler.options.maxPerSecond;
  if (segmentCap == 0 && filterCap == 0) return now;
  if (now == 0) now = nowNanos();
  const second = <u32>(now / 1000000000);
  if (segmentCap > 0 && !takeSlot(sampler.rateKey(decision.ruleIndex), segmentCap, second)) {
    metrics.add(metrics.segmentMetric(metrics.rateLimited, decision.ruleIndex));
    decision.sampled = false;
  } else if (filterCap > 0 && !takeSlot(sampler.filterRateKey, filterCap, second)) {
    metrics.add(metrics.filterRateLimited);
    decision.sampled = false;
  }
  return now;
}

/** Mints a correlation id into `root.mintedId`. */
function mintId(root: ShadowdiffRoot, headers: HeaderPairsView, now: u64): void {
  const requestId = headers.find(REQUEST_ID);
  if (requestId < 0) root.mintId(0, 0, now);
  else root.mintId(headers.valueStart(requestId), headers.valueLength(requestId), now);
}

/** One removal per name: a removal takes every value of the name, however often it is repeated. */
function removeControlHeaders(control: ControlHeaders, headers: HeaderPairsView): void {
  for (let i = 0; i < headers.count; i++) {
    if (control.isControl(headers, i) && !headers.nameRepeats(i)) removeHeaderAt(HeaderMap.RequestHeaders, headers.nameStart(i), headers.nameLength(i));
  }
}

/**
 * The request map again without any control header, plus the decision's, in one host call.
 * Changing request headers makes Envoy re-match the route: the mirroring route matches
 * <prefix>sampled.
 */
function writeSampled(sampler: Sampler, control: ControlHeaders, headers: HeaderPairsView, id: ByteWriter): void {
  rewritten.reset();
  for (let i = 0; i < headers.count; i++) {
    if (!control.isControl(headers, i)) rewritten.add(headers.nameStart(i), headers.nameLength(i), headers.valueStart(i), headers.valueLength(i));
  }
  rewritten.addBytes(control.sampled, ONE);
  // In the same write: the secondary costs a sampled request no host call more.
  if (decision.secondary) rewritten.addBytes(control.secondary, ONE);
  rewritten.add(changetype<usize>(control.id), control.id.byteLength, id.dataStart, id.length);
  rewritten.addBytes(control.segment, sampler.segmentName(decision.ruleIndex));
  if (decision.ruleIndex >= 0) rewritten.addBytes(control.reason, REASON_SEGMENT_BYTES);
  else rewritten.addBytes(control.reason, REASON_DEFAULT_BYTES);
  rewritten.encode();
  setHeaderPairs(HeaderMap.RequestHeaders, rewritten.dataStart, rewritten.length);
}

/**
 * Every request here is a mirrored copy, of the shadow version or of the secondary (the primary
 * version's second instance, `leg`): mark it, so that it writes nothing, and observe it if it is ours.
 */
function atShadow(root: ShadowdiffRoot, contextId: u32): ShadowdiffStream | null {
  const metrics = root.metrics!;
  replaceHeaderBytes(HeaderMap.RequestHeaders, root.control!.shadow, ONE);
  metrics.add(metrics.tagged);
  return observeTagged(root, contextId, root.config!.leg);
}

/** Observes sampled requests at the primary; a shadow-suffixed authority is a copy. */
function atPrimary(root: ShadowdiffRoot, contextId: u32): ShadowdiffStream | null {
  const headers = requestHeaders;
  const metrics = root.metrics!;
  const marker = root.control!.shadow;
  const authority = headers.find(AUTHORITY);
  if (authority >= 0 && hasShadowSuffix(headers, authority, root.control!.hostSuffix)) {
    replaceHeaderBytes(HeaderMap.RequestHeaders, marker, ONE);
    metrics.add(metrics.tagged);
    return observeTagged(root, contextId, LEG_SHADOW);
  }
  if (headers.find(marker) >= 0) {
    removeHeaderAt(HeaderMap.RequestHeaders, changetype<usize>(marker), marker.byteLength);
    metrics.add(metrics.spoofedHeadersRemoved);
  }
  return observeTagged(root, contextId, LEG_PRIMARY);
}

/** Observes a leg sampled upstream, identified by the control headers it carries. */
function observeTagged(root: ShadowdiffRoot, contextId: u32, leg: string): ShadowdiffStream | null {
  const headers = requestHeaders;
  const control = root.control!;
  const idEntry = headers.find(control.id);
  let id = "";
  if (idEntry >= 0) id = String.UTF8.decodeUnsafe(headers.valueStart(idEntry), headers.valueLength(idEntry));
  if (!isCorrelationId(id)) {
    const metrics = root.metrics!;
    metrics.add(metrics.untagged);
    return null;
  }
  let segment = headers.valueOr(control.segment, DEFAULT_SEGMENT);
  if (!isSegmentName(segment)) segment = DEFAULT_SEGMENT;
  let reason = headers.valueOr(control.reason, REASON_DEFAULT);
  if (reason != REASON_SEGMENT) reason = REASON_DEFAULT;
  const stream = takeStream(root);
  stream.observe(contextId, nowNanos(), leg, id, segment, reason, false);
  return stream;
}

/** The authority's host (before any port: Envoy appends the suffix to the host) ends with `suffix`, and is more than it. */
function hasShadowSuffix(headers: HeaderPairsView, entry: i32, suffix: ArrayBuffer): bool {
  const suffixLength = suffix.byteLength;
  if (suffixLength == 0) return false;
  const authority = headers.valueStart(entry);
  let hostLength = headers.valueLength(entry);
  for (let i = hostLength - 1; i > 0; i--) {
    if (load<u8>(authority + i) == 0x3a) {
      hostLength = i;
      break;
    }
  }
  if (hostLength <= suffixLength) return false;
  return memory.compare(authority + hostLength - suffixLength, changetype<usize>(suffix), suffixLength) == 0;
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
