// The report role's handling of one record of the verdicts topic: a verdict is counted as the
// embedded collector counts an id it resolved (Pipeline.applyVerdict, through its one resolve()),
// an orphaned secondary as it counts one (applyOrphaned), a tally adds to the totals, and a
// record that is not a verdicts record is refused with the field named and never applied. Each record moves the state's position on its partition, so
// the checkpoint that holds its effect holds the offset after it, and a record read again (after
// the reader reopened, or a restart from a checkpoint) is recognised by its offset and skipped.

import type { Pipeline } from '../pipeline.js';
import { resolutionOf } from '../score/resolution.js';
import type { KafkaReportMetrics } from './reportMetrics.js';
import { TopicRecordError } from './topicRecord.js';
import { decodeVerdictTopicRecord, type DecodedVerdictTopicRecord } from './verdictRecord.js';
import type { VerdictMessage } from './verdictReader.js';

/** A refused record, for the log: where it is and what is wrong with it. */
export interface RefusedRecord {
  partition: number;
  offset: number;
  field: string;
  reason: string;
}

export function verdictRecordHandler(
  pipeline: Pipeline,
  metrics: KafkaReportMetrics,
  refused: (record: RefusedRecord) => void,
): (message: VerdictMessage) => void {
  return (message) => {
    const at = { partition: message.partition, offset: message.offset };
    // Counted already: the state's position on this partition is past it.
    if (message.offset < pipeline.verdictOffset(message.partition)) return;
    let record: DecodedVerdictTopicRecord;
    try {
      record = decodeVerdictTopicRecord(message.key, message.value);
    } catch (error) {
      if (!(error instanceof TopicRecordError)) throw error;
      pipeline.skipVerdictRecord(at);
      metrics.record('refused');
      refused({ ...at, field: error.field, reason: error.message });
      return;
    }
    if (record.kind === 'tally') {
      pipeline.applyTally(record, at);
      metrics.record('tally');
      return;
    }
    if (record.kind === 'orphaned') {
      metrics.record(pipeline.applyOrphaned(record, at) ? 'counted' : 'repeated');
      return;
    }
    // decodeVerdictTopicRecord refuses a verdict whose view has no resolution.
    const resolution = resolutionOf(record.pair)!;
    const counted = pipeline.applyVerdict(resolution, record.pair.resolvedAtUnixMs, at);
    metrics.record(counted ? 'counted' : 'repeated');
  };
}
