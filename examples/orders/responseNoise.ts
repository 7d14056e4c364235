// Fields that differ between any two responses, whichever version answers: when the response was
// generated and the trace ids minted for it. Comparing versions must ignore them, which
// collector.yaml does by field path.

import { randomUUID } from 'node:crypto';

export interface ResponseMeta {
  generatedAt: string;
  requestTraceId: string;
}

export function responseMeta(): ResponseMeta {
  return { generatedAt: new Date().toISOString(), requestTraceId: randomUUID() };
}

/** The trace id of the catalogue read that priced one order line. */
export function lineTraceId(): string {
  return randomUUID();
}
