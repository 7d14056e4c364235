import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Endpoint } from '../../envoy/bootstrap.js';
import { waitUntil } from '../../devkit/waitUntil.js';

export interface RecordedRequest {
  method: string;
  /** Path with the query string, as received. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface StubResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Wait this long before sending the response headers. */
  delayMs?: number | undefined;
  /** Send the body in chunks of this many bytes with chunked transfer encoding (no content-length). */
  chunkBytes?: number;
}

export type UpstreamHandler = (request: RecordedRequest) => StubResponse;

export interface Upstream {
  name: string;
  endpoint: Endpoint;
  /** Every request received, in arrival order. */
  readonly requests: RecordedRequest[];
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

/** Echo-ish: says who answered and what it was asked, as JSON. */
function echo(name: string): UpstreamHandler {
  return (request) => ({
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ upstream: name, method: request.method, path: request.path, bodyBytes: request.body.length }),
  });
}

/** A loopback HTTP server standing in for the primary or the shadow service. */
export async function startUpstream(name: string, handler: UpstreamHandler = echo(name)): Promise<Upstream> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(request);
      void respond(res, handler(request));
    });
  });
  // Node closes a connection idle for 5 s by default, and Envoy may pick that very connection for
  // the next request: a rare 503 (reset before headers). A proxied service keeps connections open
  // longer than the proxy's pool does; so does this stub.
  server.keepAliveTimeout = 600_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    name,
    endpoint: { address: '127.0.0.1', port },
    requests,
    waitForRequests: (count, timeoutMs) =>
      waitUntil(`${count} requests at ${name} (has ${requests.length})`, () => (requests.length >= count ? requests : undefined), {
        timeoutMs,
      }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function respond(res: ServerResponse, response: StubResponse): Promise<void> {
  if (response.delayMs !== undefined) await sleep(response.delayMs);
  if (res.destroyed) return;
  const body = typeof response.body === 'string' ? Buffer.from(response.body) : (response.body ?? Buffer.alloc(0));
  res.statusCode = response.status ?? 200;
  for (const [header, value] of Object.entries(response.headers ?? {})) res.setHeader(header, value);
  if (response.chunkBytes === undefined) {
    res.setHeader('content-length', body.length);
    res.end(body);
    return;
  }
  for (let offset = 0; offset < body.length && !res.destroyed; offset += response.chunkBytes) {
    // Respect backpressure so the body really leaves in many chunks rather than one buffered write.
    if (!res.write(body.subarray(offset, offset + response.chunkBytes))) {
      await new Promise<void>((resolve) => {
        const resume = (): void => {
          res.off('drain', resume).off('close', resume);
          resolve();
        };
        res.on('drain', resume).on('close', resume);
      });
    }
  }
  res.end();
}
