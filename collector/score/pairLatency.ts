// The latency of one pair's two legs, timed from equivalent points. Each leg's upstreamUs
// (wire format 2) is Envoy's router timing of the request to the service that leg reached, from
// the first byte sent to the last byte received, whatever hop carried the copy there; firstByteUs /
// lastByteUs start when the request reached the leg's own filter, which for a mirrored copy is
// after the mirror's hop (and its queueing) and for the primary before its route's upstream
// request. So a pair is timed by upstreamUs when both legs have it, else by lastByteUs on both:
// never one leg by one span and the other by the other.

import type { IngestedRecord } from '../ingest/ingestedRecord.js';

export interface PairLatency {
  primaryUs: number;
  shadowUs: number;
}

export function pairLatency(primary: IngestedRecord, shadow: IngestedRecord): PairLatency {
  if (primary.upstreamUs !== undefined && shadow.upstreamUs !== undefined)
    return { primaryUs: primary.upstreamUs, shadowUs: shadow.upstreamUs };
  return { primaryUs: primary.lastByteUs, shadowUs: shadow.lastByteUs };
}
