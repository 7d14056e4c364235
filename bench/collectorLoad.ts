import type { HashAlgorithm } from '../collector/ingest/wireSchemaV2.js';
import { encodeBatchV2, type DigestRecord } from '../devkit/wireFormat.js';
import { RawHttpConnection } from './rawHttpConnection.js';

/** Where a load loop takes its next POST (head and body) from. */
export interface RequestSource {
  nextRequest(): Buffer;
}

/** Sequences made so far in this process: each numbers its ids under its own prefix. */
let sequences = 0;

/** The wire format versions a sequence can send: 2 is what the filter sends by default (its collector.wireVersion). */
export type LoadWireVersion = 1 | 2;

/** The filter hashes version 2 batches with xxHash64 (filter/README.md, Version 2). */
export const LOAD_V2_HASH: HashAlgorithm = 'xxh64';

/**
 * Export batches as the filter sends them, for the collector line: request k of the sequence is
 * the primary legs of requests [k·n, k·n + n), the next one their shadow legs, so every record is
 * joined. Every tenth shadow differs from its primary in one field, so the compare and the field
 * ranking have work to do. Ids never repeat within a process, across sequences too (a
 * collector or a join that outlives one sequence would take the next one's legs as late).
 * Version 2 bodies are those devkit's encoder (the filter's encoding) makes of the same records:
 * every record has the same leaf paths, so the batch's path table is theirs and each record's
 * runs and hashes are the ones it has alone (test/bench/collectorLoad.test.ts checks both).
 */
export class BatchSequence implements RequestSource {
  private next = 0;
  private readonly idPrefix = `bench-${process.pid}-${sequences++}`;
  private leg: 'primary' | 'shadow' = 'primary';
  private readonly primary: string[];
  private readonly shadowSame: string[];
  private readonly shadowDiffering: string[];
  /** What follows the records in a body: version 2's path table. */
  private readonly tail: string;

  constructor(
    private readonly recordsPerBatch: number,
    private readonly port: number,
    readonly wireVersion: LoadWireVersion = 2,
  ) {
    const templates = (['a1b2c3d4', 'a1b2c3d4', '0badf00d'] as const).map((total, i) =>
      recordTemplate(i === 0 ? 'primary' : 'shadow', total, wireVersion),
    );
    const [primary, shadowSame, shadowDiffering] = templates;
    this.primary = primary!.parts;
    this.shadowSame = shadowSame!.parts;
    this.shadowDiffering = shadowDiffering!.parts;
    if (new Set(templates.map((template) => template.paths)).size !== 1) throw new Error('the record templates name different leaf paths');
    this.tail = wireVersion === 2 ? `,"paths":${primary!.paths}` : '';
  }

  /** The next POST, head and body. */
  nextRequest(): Buffer {
    const body = Buffer.from(this.nextBody());
    const head = `POST /v1/batches HTTP/1.1\r\nhost: 127.0.0.1:${this.port}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
    return Buffer.concat([Buffer.from(head), body]);
  }

  private nextBody(): string {
    const first = this.next;
    const records: string[] = [];
    for (let i = 0; i < this.recordsPerBatch; i++) {
      const n = first + i;
      const template = this.leg === 'primary' ? this.primary : n % 10 === 0 ? this.shadowDiffering : this.shadowSame;
      records.push(fill(template, this.idPrefix, n));
    }
    const source = `bench-${this.leg}`;
    if (this.leg === 'primary') {
      this.leg = 'shadow';
    } else {
      this.leg = 'primary';
      this.next += this.recordsPerBatch;
    }
    const envelope = `"v":${this.wireVersion},"source":"${source}","sentUnixMs":${Date.now()}${this.wireVersion === 2 ? `,"hash":"${LOAD_V2_HASH}"` : ''}`;
    return `{${envelope},"records":[${records.join(',')}]${this.tail}}`;
  }
}

const ID = '__ID__';
const ORDER = '__ORDER__';

/** The leaf hashes of a record: totalHash is what a differing shadow changes. */
function benchFields(totalHash: string): Record<string, string> {
  return {
    '$.id': '0e1d2c3b',
    '$.status': '7d2e1f00',
    '$.total': totalHash,
    '$.currency': '55aa55aa',
    '$.items[0].sku': '1b2c3d4e',
    '$.items[0].qty': '00000001',
    '$.items[1].sku': '2c3d4e5f',
    '$.items[1].qty': '00000002',
    '$.customer.id': '3d4e5f60',
    '$.customer.tier': '4e5f6071',
    '$.shipping.method': '5f607182',
    '$.meta.version': '60718293',
  };
}

/** A realistic record (a dozen JSON leaves, the default digested headers), placeholders where the id and the order number go. */
export function benchRecord(leg: 'primary' | 'shadow', totalHash: string, id: string = ID, order: string = ORDER): DigestRecord {
  return {
    id,
    leg,
    segment: 'default',
    reason: 'default',
    method: 'GET',
    path: `/orders/${order}`,
    authority: 'shop.example',
    startUnixMs: 1_700_000_000_000,
    firstByteUs: leg === 'primary' ? 1800 : 2100,
    lastByteUs: leg === 'primary' ? 2300 : 2600,
    status: 200,
    complete: true,
    respBytes: 1024,
    headers: { 'content-type': '4c8d9f2a', 'cache-control': '1a2b3c4d' },
    bodyHash: leg === 'primary' || totalHash === 'a1b2c3d4' ? '9e1f0c27a4b35d66' : '0b7e3d9c51a2f488',
    json: 'ok',
    fields: benchFields(totalHash),
    fieldsTruncated: false,
  };
}

/** The record's JSON in `version`, cut where the id and the order number go, and its batch's path table (JSON; version 2). */
function recordTemplate(leg: 'primary' | 'shadow', totalHash: string, version: LoadWireVersion): { parts: string[]; paths: string } {
  const record = benchRecord(leg, totalHash);
  const cut = (json: string): string[] => json.split(new RegExp(`(${ID}|${ORDER})`));
  if (version === 1) return { parts: cut(JSON.stringify(record)), paths: JSON.stringify(Object.keys(record.fields)) };
  const alone = encodeBatchV2([record], { source: 'bench', sentUnixMs: 0, hash: LOAD_V2_HASH });
  return { parts: cut(JSON.stringify(alone.records[0])), paths: JSON.stringify(alone.paths) };
}

function fill(template: readonly string[], idPrefix: string, n: number): string {
  const id = `${idPrefix}-${n}`;
  return template.map((part) => (part === ID ? id : part === ORDER ? String(n) : part)).join('');
}

/** Closed loop: `connections` POSTs in flight until `seconds` have passed; returns records accepted (200) and failures. */
export async function ingestClosedLoop(
  port: number,
  sequence: RequestSource,
  recordsPerBatch: number,
  seconds: number,
  connections: number,
): Promise<{ recordsPerSecond: number; failures: number }> {
  const deadline = Date.now() + seconds * 1000;
  const started = Date.now();
  let accepted = 0;
  let failures = 0;
  const worker = async (): Promise<void> => {
    let connection = await RawHttpConnection.open(port);
    try {
      while (Date.now() < deadline) {
        try {
          const { status } = await connection.send(sequence.nextRequest());
          if (status === 200) accepted += recordsPerBatch;
          else failures++;
        } catch {
          failures++;
          connection = await RawHttpConnection.open(port);
        }
      }
    } finally {
      connection.close();
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return { recordsPerSecond: accepted / ((Date.now() - started) / 1000), failures };
}
