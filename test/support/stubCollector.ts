import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Endpoint } from '../../envoy/bootstrap.js';
import { waitUntil } from '../../devkit/waitUntil.js';
import { decodeBatch, wireFormatErrors, type DecodedBatch, type DigestRecord } from '../../devkit/wireFormat.js';
import type { IngestedRecord } from '../../collector/types.js';

/**
 * ok: 200 for every batch; down: nothing listens on the port; slow: answers only after `slowMs`
 * (longer than the filter's export timeout); 500: answers 500 to every batch.
 */
export type CollectorMode = 'ok' | 'down' | 'slow' | '500';

export interface StubCollectorOptions {
  mode: CollectorMode;
  slowMs?: number;
}

export interface ReceivedBatch {
  headers: IncomingHttpHeaders;
  path: string;
  /** as the collector reads it; `batch.wire` is the body as sent */
  batch: DecodedBatch;
}

/** A POST whose body was not a batch the wire format allows. */
export interface SchemaViolation {
  body: string;
  errors: string;
}

export interface StubCollector {
  endpoint: Endpoint;
  /** Export calls received, valid or not (none when the collector is down). */
  readonly attempts: number;
  readonly batches: ReceivedBatch[];
  readonly violations: SchemaViolation[];
  /** The records of the valid batches, as the collector reads them (version 2's members included). */
  records(): IngestedRecord[];
  /** Waits until the records received so far satisfy `done`, and returns them. */
  waitForRecords(what: string, done: (records: DigestRecord[]) => boolean, timeoutMs?: number): Promise<DigestRecord[]>;
  close(): Promise<void>;
}

const SLOW_DEFAULT_MS = 30_000;

export async function startStubCollector({ mode, slowMs = SLOW_DEFAULT_MS }: StubCollectorOptions): Promise<StubCollector> {
  const batches: ReceivedBatch[] = [];
  const violations: SchemaViolation[] = [];
  let attempts = 0;
  const pendingTimers = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      attempts += 1;
      const text = Buffer.concat(chunks).toString('utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        violations.push({ body: text, errors: `not JSON: ${(error as Error).message}` });
      }
      if (parsed !== undefined) {
        const errors = wireFormatErrors(parsed);
        if (errors === null) batches.push({ headers: req.headers, path: req.url ?? '', batch: decodeBatch(parsed) });
        else violations.push({ body: text, errors });
      }
      const answer = (status: number): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? '{}' : '{"error":"stub"}');
      };
      if (mode === 'slow') {
        const timer = setTimeout(() => {
          pendingTimers.delete(timer);
          answer(200);
        }, slowMs);
        pendingTimers.add(timer);
      } else {
        answer(mode === '500' ? 500 : 200);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  if (mode === 'down') {
    // Keep the port the kernel chose but stop listening: connections to it are refused.
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  const records = (): IngestedRecord[] => batches.flatMap((received) => received.batch.records);
  return {
    endpoint: { address: '127.0.0.1', port },
    get attempts() {
      return attempts;
    },
    batches,
    violations,
    records,
    waitForRecords: (what, done, timeoutMs) => waitUntil(what, () => (done(records()) ? records() : undefined), { timeoutMs }),
    close: async () => {
      for (const timer of pendingTimers) clearTimeout(timer);
      pendingTimers.clear();
      if (!server.listening) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
