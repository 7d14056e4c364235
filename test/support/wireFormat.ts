/** filter/wire-format.schema.json as TypeScript: what the stub collector hands to tests once a batch validated. */
export interface DigestBatch {
  v: 1;
  source: string;
  sentUnixMs: number;
  records: DigestRecord[];
}

export interface DigestRecord {
  id: string;
  requestId?: string;
  leg: 'primary' | 'shadow';
  segment: string;
  reason: 'segment' | 'default';
  method: string;
  path: string;
  authority: string;
  startUnixMs: number;
  firstByteUs: number;
  lastByteUs: number;
  status: number;
  complete: boolean;
  respBytes: number;
  headers: Record<string, string>;
  bodyHash: string;
  json: 'none' | 'ok' | 'malformed';
  fields: Record<string, string>;
  fieldsTruncated: boolean;
}
