// The TopicRecordError a topic record's decoder throws, for the record-encoding suites to assert on.

import { TopicRecordError } from '../../../collector/kafka/topicRecord.js';

export function refusal(run: () => unknown): TopicRecordError {
  try {
    run();
  } catch (error) {
    if (error instanceof TopicRecordError) return error;
    throw error;
  }
  throw new Error('expected a TopicRecordError');
}
