// The filter's own metrics (Envoy shows them as wasmcustom.shadowdiff.<role>.*). Defined
// once per root context; Envoy merges same-named metrics across workers.
import { MetricKind, defineMetric, incrementMetric } from "../host/hostcalls";
import { SegmentRule } from "../config/pluginConfig";
import { DEFAULT_SEGMENT } from "../sampling/segmentSampler";

export class FilterMetrics {
  readonly notSampled: i64;
  readonly filterRateLimited: i64;
  readonly spoofedHeadersRemoved: i64;
  readonly tagged: i64;
  readonly untagged: i64;
  readonly digested: i64;
  readonly jsonMalformed: i64;
  readonly fieldsTruncated: i64;
  readonly exportedRecords: i64;
  readonly exportBatches: i64;
  readonly exportFailures: i64;
  readonly droppedQueueFull: i64;
  readonly droppedExportFailed: i64;
  readonly queueDepth: i64;
  readonly inflight: i64;
  /** Per segment rule, then one for the default percentage. */
  readonly sampled: Array<i64> = new Array<i64>();
  readonly rateLimited: Array<i64> = new Array<i64>();

  constructor(role: string, segments: Array<SegmentRule>) {
    const prefix = "shadowdiff." + role + ".";
    this.notSampled = defineMetric(MetricKind.Counter, prefix + "not_sampled");
    this.filterRateLimited = defineMetric(MetricKind.Counter, prefix + "filter_rate_limited");
    this.spoofedHeadersRemoved = defineMetric(MetricKind.Counter, prefix + "spoofed_headers_removed");
    this.tagged = defineMetric(MetricKind.Counter, prefix + "tagged");
    this.untagged = defineMetric(MetricKind.Counter, prefix + "untagged");
    this.digested = defineMetric(MetricKind.Counter, prefix + "digested");
    this.jsonMalformed = defineMetric(MetricKind.Counter, prefix + "json_malformed");
    this.fieldsTruncated = defineMetric(MetricKind.Counter, prefix + "fields_truncated");
    this.exportedRecords = defineMetric(MetricKind.Counter, prefix + "exported_records");
    this.exportBatches = defineMetric(MetricKind.Counter, prefix + "export_batches");
    this.exportFailures = defineMetric(MetricKind.Counter, prefix + "export_failures");
    this.droppedQueueFull = defineMetric(MetricKind.Counter, prefix + "dropped_queue_full");
    this.droppedExportFailed = defineMetric(MetricKind.Counter, prefix + "dropped_export_failed");
    this.queueDepth = defineMetric(MetricKind.Gauge, prefix + "queue_depth");
    this.inflight = defineMetric(MetricKind.Gauge, prefix + "inflight");
    for (let i = 0; i <= segments.length; i++) {
      let name = DEFAULT_SEGMENT;
      if (i < segments.length) name = unchecked(segments[i]).name;
      this.sampled.push(defineMetric(MetricKind.Counter, prefix + "sampled." + name));
      this.rateLimited.push(defineMetric(MetricKind.Counter, prefix + "rate_limited." + name));
    }
  }

  add(metric: i64, delta: i64 = 1): void {
    incrementMetric(metric, delta);
  }

  /** `ruleIndex` -1 is the default percentage. */
  segmentMetric(metrics: Array<i64>, ruleIndex: i32): i64 {
    return metrics[ruleIndex < 0 ? metrics.length - 1 : ruleIndex];
  }
}
