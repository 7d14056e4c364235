// Fields that differ between any two responses, whichever version answers: when the response was
// generated and the trace ids minted for it. Comparing versions must ignore them, which
// collector.yaml does by field path (and a secondary proves without it: collector-secondary.yaml).

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

export interface ResponseMeta {
  generatedAt: string;
  requestTraceId: string;
}

export function responseMeta(): ResponseMeta {
  return { generatedAt: microsecondTimestamp(), requestTraceId: randomUUID() };
}

/**
 * ISO 8601 to the microsecond, as many services stamp responses. Two instances answering one
 * request then differ in it nearly always; to the millisecond they agree about half the time
 * on a fast route, a rate too near the noise rule's threshold for the demo's few triples.
 */
function microsecondTimestamp(): string {
  const unixMs = performance.timeOrigin + performance.now();
  const wholeMs = Math.floor(unixMs);
  const micros = Math.min(999, Math.floor((unixMs - wholeMs) * 1000));
  return new Date(wholeMs).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
}

/** The trace id of the catalogue read that priced one order line. */
export function lineTraceId(): string {
  return randomUUID();
}
