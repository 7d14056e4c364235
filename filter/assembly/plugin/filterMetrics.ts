// The filter's own metrics (Envoy shows them as wasmcustom.shadowdiff.<role>.*). Defined
// once per root context; Envoy merges same-named metrics across workers.
//
// A change is added up in the VM and published on the root context's tick (and after an
// export call's response), never per request: a host call per counter per request was a
// large part of what an unsampled request cost. /stats therefore lags by at most
// export.flushIntervalMs.
import { MetricKind, defineMetric, incrementMetric } from "../host/hostcalls";
import { SegmentRule } from "../config/pluginConfig";
import { DecodingOutcome } from "../digest/contentDecoding";
import { DEFAULT_SEGMENT } from "../sampling/segmentSampler";

export class FilterMetrics {
  /** Host metric id per slot (-1: the host refused it); the fields below are slots. */
  private ids: Array<i64> = new Array<i64>();
  /** Not yet published change per slot. */
  private pending: StaticArray<i64> = new StaticArray<i64>(0);

  readonly notSampled: i32;
  readonly filterRateLimited: i32;
  readonly spoofedHeadersRemoved: i32;
  readonly tagged: i32;
  readonly untagged: i32;
  readonly digested: i32;
  readonly jsonMalformed: i32;
  readonly fieldsTruncated: i32;
  readonly decoded: i32;
  readonly encodingUnsupported: i32;
  readonly decodeFailed: i32;
  readonly decodedTooLarge: i32;
  readonly exportedRecords: i32;
  readonly exportBatches: i32;
  readonly exportFailures: i32;
  readonly droppedQueueFull: i32;
  readonly droppedExportFailed: i32;
  readonly queueDepth: i32;
  readonly inflight: i32;
  /** Per segment rule, then one for the default percentage. */
  readonly sampled: Array<i32> = new Array<i32>();
  /** Of those sampled, the ones also mirrored to the secondary. */
  readonly secondary: Array<i32> = new Array<i32>();
  readonly rateLimited: Array<i32> = new Array<i32>();

  constructor(role: string, segments: Array<SegmentRule>) {
    const prefix = "shadowdiff." + role + ".";
    this.notSampled = this.define(MetricKind.Counter, prefix + "not_sampled");
    this.filterRateLimited = this.define(MetricKind.Counter, prefix + "filter_rate_limited");
    this.spoofedHeadersRemoved = this.define(MetricKind.Counter, prefix + "spoofed_headers_removed");
    this.tagged = this.define(MetricKind.Counter, prefix + "tagged");
    this.untagged = this.define(MetricKind.Counter, prefix + "untagged");
    this.digested = this.define(MetricKind.Counter, prefix + "digested");
    this.jsonMalformed = this.define(MetricKind.Counter, prefix + "json_malformed");
    this.fieldsTruncated = this.define(MetricKind.Counter, prefix + "fields_truncated");
    this.decoded = this.define(MetricKind.Counter, prefix + "decoded");
    this.encodingUnsupported = this.define(MetricKind.Counter, prefix + "encoding_unsupported");
    this.decodeFailed = this.define(MetricKind.Counter, prefix + "decode_failed");
    this.decodedTooLarge = this.define(MetricKind.Counter, prefix + "decoded_too_large");
    this.exportedRecords = this.define(MetricKind.Counter, prefix + "exported_records");
    this.exportBatches = this.define(MetricKind.Counter, prefix + "export_batches");
    this.exportFailures = this.define(MetricKind.Counter, prefix + "export_failures");
    this.droppedQueueFull = this.define(MetricKind.Counter, prefix + "dropped_queue_full");
    this.droppedExportFailed = this.define(MetricKind.Counter, prefix + "dropped_export_failed");
    this.queueDepth = this.define(MetricKind.Gauge, prefix + "queue_depth");
    this.inflight = this.define(MetricKind.Gauge, prefix + "inflight");
    for (let i = 0; i <= segments.length; i++) {
      let name = DEFAULT_SEGMENT;
      if (i < segments.length) name = unchecked(segments[i]).name;
      this.sampled.push(this.define(MetricKind.Counter, prefix + "sampled." + name));
      this.secondary.push(this.define(MetricKind.Counter, prefix + "secondary." + name));
      this.rateLimited.push(this.define(MetricKind.Counter, prefix + "rate_limited." + name));
    }
    this.pending = new StaticArray<i64>(this.ids.length);
  }

  private define(kind: MetricKind, name: string): i32 {
    this.ids.push(defineMetric(kind, name));
    return this.ids.length - 1;
  }

  /** Adds to a metric; the host sees it at the next publish(). */
  add(slot: i32, delta: i64 = 1): void {
    unchecked(this.pending[slot] += delta);
  }

  /** Hands every pending change to the host: one host call per metric that changed. */
  publish(): void {
    const pending = this.pending;
    for (let slot = 0; slot < pending.length; slot++) {
      const delta = unchecked(pending[slot]);
      if (delta == 0) continue;
      unchecked(pending[slot] = 0);
      incrementMetric(unchecked(this.ids[slot]), delta);
    }
  }

  /** The counter of a content-encoded body's decoding outcome (corrupt and truncated count as failed). */
  decodingMetric(outcome: DecodingOutcome): i32 {
    if (outcome == DecodingOutcome.Ok) return this.decoded;
    if (outcome == DecodingOutcome.Unsupported) return this.encodingUnsupported;
    if (outcome == DecodingOutcome.TooLarge) return this.decodedTooLarge;
    return this.decodeFailed;
  }

  /** `ruleIndex` -1 is the default percentage. */
  segmentMetric(slots: Array<i32>, ruleIndex: i32): i32 {
    return slots[ruleIndex < 0 ? slots.length - 1 : ruleIndex];
  }
}
