// The root context: one per plugin per worker. Owns the validated configuration, the
// metrics and the export queue; export calls are made only from here (on_log of a
// finished stream, on_tick), never while a request is in flight.
import { HeaderEntry } from "../host/headerPairs";
import { BufferKind, HeaderMap, HostBytes, LogLevel, getHeader, httpCall, log, nowNanos, readBuffer, setTickPeriodMs } from "../host/hostcalls";
import { PluginConfig, Role, parsePluginConfig } from "../config/pluginConfig";
import { FNV_OFFSET, fnvBytes, mix64 } from "../lib/fnv";
import { ByteWriter } from "../lib/byteWriter";
import { RecordQueue } from "../outbox/recordQueue";
import { EncodedRecord } from "../outbox/recordEncoder";
import { Sampler } from "../sampling/segmentSampler";
import { ControlHeaders } from "./controlHeaders";
import { FilterMetrics } from "./filterMetrics";

function readConfiguration(size: u32): string {
  if (size == 0) return "";
  const bytes = new HostBytes();
  if (!readBuffer(BufferKind.PluginConfiguration, 0, size, bytes)) return "";
  const text = bytes.toStringUtf8();
  bytes.release();
  return text;
}

const GOLDEN_GAMMA: u64 = 0x9e3779b97f4a7c15;

export class ShadowdiffRoot {
  config: PluginConfig | null = null;
  metrics: FilterMetrics | null = null;
  /** The edge's sampling rules, compiled; null in the other roles. */
  sampler: Sampler | null = null;
  control: ControlHeaders | null = null;
  private queue: RecordQueue | null = null;
  /** Export call token -> records in that batch. */
  private inflight: Map<u32, i32> = new Map<u32, i32>();
  private idCounter: u64 = 0;
  /** The id mintId made last, its 16 hex digits (ASCII: its UTF-8 is its text); valid until the next. */
  readonly mintedId: ByteWriter = new ByteWriter(16);

  constructor(readonly contextId: u32) {}

  /** The control plane's dry run: validates without applying. */
  validate(configurationSize: u32): bool {
    const parsed = parsePluginConfig(readConfiguration(configurationSize));
    if (parsed.config === null) log(LogLevel.Critical, "shadowdiff: invalid configuration: " + parsed.error);
    return parsed.config !== null;
  }

  configure(configurationSize: u32): bool {
    const parsed = parsePluginConfig(readConfiguration(configurationSize));
    const config = parsed.config;
    if (config === null) {
      log(LogLevel.Critical, "shadowdiff: invalid configuration: " + parsed.error);
      return false;
    }
    // What the old metrics counted since the last tick is not lost to a reconfiguration.
    this.publishMetrics();
    this.config = config;
    this.metrics = new FilterMetrics(config.metricsName, config.sampling.segments);
    // Plain if, not `?:`: AssemblyScript 0.17 miscounts references through a conditional.
    this.sampler = null;
    if (config.role == Role.Edge) this.sampler = new Sampler(config.sampling, config.source);
    this.control = new ControlHeaders(config.headerPrefix, config.shadowHostSuffix);
    // A reconfigured plugin keeps the records it already accepted.
    if (this.queue === null) this.queue = new RecordQueue(config.export.maxQueue);
    setTickPeriodMs(config.export.flushIntervalMs);
    log(LogLevel.Info, "shadowdiff: configured as " + config.metricsName + " (source " + config.source + ")");
    return true;
  }

  tick(): void {
    this.flush(true);
    this.publishMetrics();
  }

  /** Hands the host what the metrics counted since the last tick (also when the root goes away). */
  publishMetrics(): void {
    const metrics = this.metrics;
    if (metrics !== null) metrics.publish();
  }

  /**
   * A correlation id that no client can choose: the request id (UTF-8 at `requestIdPtr`), clock
   * (`now`, ns) and a counter, mixed; written to `mintedId`, decoded only for a leg that is observed.
   */
  mintId(requestIdPtr: usize, requestIdLength: usize, now: u64): void {
    this.idCounter++;
    let hash = fnvBytes(FNV_OFFSET, requestIdPtr, requestIdLength);
    hash = mix64(hash ^ now);
    hash = mix64(hash ^ (this.idCounter * GOLDEN_GAMMA) ^ (<u64>this.contextId << 48));
    const out = this.mintedId;
    out.reset();
    out.hex(hash, 16);
  }

  enqueue(record: EncodedRecord): void {
    const queue = this.queue;
    const metrics = this.metrics;
    if (queue === null || metrics === null) return;
    if (!queue.push(record)) {
      metrics.add(metrics.droppedQueueFull);
      return;
    }
    metrics.add(metrics.queueDepth);
    this.flush(false);
  }

  /** Sends full batches (and a partial one when `partial`) while call slots are free. */
  private flush(partial: bool): void {
    const queue = this.queue;
    const metrics = this.metrics;
    const config = this.config;
    if (queue === null || metrics === null || config === null) return;
    const options = config.export;
    let sent = false;
    while (queue.length > 0 && this.inflight.size < options.maxInflight) {
      if (!partial && queue.length < options.batchSize) break;
      sent = true;
      const batch = queue.takeBatch(options.batchSize, config.source, nowNanos() / 1000000);
      metrics.add(metrics.queueDepth, -(<i64>batch.count));
      metrics.add(metrics.exportBatches);
      const token = httpCall(config.collector.cluster, this.exportHeaders(config), batch.body, config.collector.timeoutMs);
      if (token < 0) {
        metrics.add(metrics.exportFailures);
        metrics.add(metrics.droppedExportFailed, batch.count);
        continue;
      }
      this.inflight.set(<u32>token, batch.count);
      metrics.add(metrics.inflight);
    }
    // Once per export call, not per request: the export counters show without waiting a tick.
    if (sent) metrics.publish();
  }

  private exportHeaders(config: PluginConfig): Array<HeaderEntry> {
    const headers = new Array<HeaderEntry>();
    headers.push(new HeaderEntry(":method", "POST"));
    headers.push(new HeaderEntry(":path", config.collector.path));
    headers.push(new HeaderEntry(":authority", config.collector.authority));
    headers.push(new HeaderEntry("content-type", "application/json"));
    if (config.collector.token.length > 0) headers.push(new HeaderEntry("authorization", "Bearer " + config.collector.token));
    return headers;
  }

  httpCallResponse(token: u32, headers: u32): void {
    const metrics = this.metrics;
    if (metrics === null || !this.inflight.has(token)) return;
    const count = this.inflight.get(token);
    this.inflight.delete(token);
    metrics.add(metrics.inflight, -1);
    // No headers means the call failed (timeout, reset, no healthy upstream).
    let status: string | null = null;
    if (headers > 0) status = getHeader(HeaderMap.HttpCallResponseHeaders, ":status");
    if (status !== null && status.length == 3 && status.charCodeAt(0) == 0x32) {
      metrics.add(metrics.exportedRecords, count);
    } else {
      // Never retried: a struggling collector must not turn into growing memory here.
      metrics.add(metrics.exportFailures);
      metrics.add(metrics.droppedExportFailed, count);
    }
    this.flush(false);
    metrics.publish();
  }
}
