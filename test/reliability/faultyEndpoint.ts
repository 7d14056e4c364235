// A loopback endpoint whose failure mode a test switches while Envoy keeps pointing at the same
// port: it stands in for a collector or a shadow service that goes down, hangs, fails, drops
// connections or talks nonsense, and (in `forward` mode) for one that works again.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import type { Endpoint } from '../../envoy/bootstrap.js';

export type Fault =
  /** Nothing listens on the port: connections are refused. */
  | { kind: 'down' }
  /** Reads the request and answers 200 only after `delayMs`. */
  | { kind: 'slow'; delayMs: number; body: string }
  /** Answers every request with `status`. */
  | { kind: 'status'; status: number }
  /** Accepts the TCP connection and destroys it before reading anything. */
  | { kind: 'close-on-accept' }
  /** Reads the request, sends the response headers and half the body, then resets the connection (RST). */
  | { kind: 'reset-mid-response'; body: string }
  /** Like reset-mid-response, but closes the connection cleanly (FIN): the body ends short of its length. */
  | { kind: 'truncated-body'; body: string }
  /** Reads the request and answers with bytes that are not HTTP. */
  | { kind: 'garbage' }
  /** A valid HTTP response whose body is `body` — e.g. truncated JSON — with a matching length. */
  | { kind: 'body'; contentType: string; body: string | Buffer }
  /** Relays the connection, byte for byte, to a server that works. */
  | { kind: 'forward'; to: Endpoint };

export interface FaultyEndpoint {
  endpoint: Endpoint;
  readonly fault: Fault;
  /** TCP connections accepted (none while down). */
  readonly connections: number;
  /** HTTP requests read (the modes that read one). */
  readonly requests: number;
  /** Switches the mode; connections open under the old mode are dropped so none carries it on. */
  setFault(fault: Fault): Promise<void>;
  close(): Promise<void>;
}

const GARBAGE = Buffer.from('\u0000\u00ff SSH-2.0-not-http \r\n\r\n\u0007\u0000garbage', 'latin1');

export async function startFaultyEndpoint(initial: Fault): Promise<FaultyEndpoint> {
  let fault = initial;
  let connections = 0;
  let requests = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  // The modes that speak HTTP get the socket handed to a Node HTTP server.
  const http = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      requests += 1;
      answer(fault, res);
    });
  });
  const answer = (current: Fault, res: ServerResponse): void => {
    switch (current.kind) {
      case 'slow': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end(current.body);
        }, current.delayMs);
        timers.add(timer);
        return;
      }
      case 'status':
        res.writeHead(current.status, { 'content-type': 'application/json' }).end('{"error":"injected"}');
        return;
      case 'reset-mid-response':
      case 'truncated-body': {
        const body = Buffer.from(current.body);
        const socket = res.socket;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
        res.write(body.subarray(0, body.length >> 1), () =>
          current.kind === 'truncated-body' ? socket?.end() : socket?.resetAndDestroy(),
        );
        return;
      }
      case 'garbage':
        // Bypass the HTTP writer: these bytes are the whole "response".
        res.socket?.end(GARBAGE);
        return;
      case 'body':
        res.writeHead(200, { 'content-type': current.contentType, 'content-length': Buffer.byteLength(current.body) }).end(current.body);
        return;
      default:
        res.socket?.destroy();
    }
  };

  const server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const current = fault;
    if (current.kind === 'close-on-accept' || current.kind === 'down') {
      socket.destroy();
    } else if (current.kind === 'forward') {
      const upstream = connect(current.to.port, current.to.address);
      sockets.add(upstream);
      upstream.on('close', () => {
        sockets.delete(upstream);
        socket.destroy();
      });
      upstream.on('error', () => upstream.destroy());
      socket.on('close', () => upstream.destroy());
      socket.pipe(upstream).pipe(socket);
    } else {
      http.emit('connection', socket);
    }
  });

  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stopListening = (): Promise<void> => new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  const dropConnections = (): void => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  };

  await listen(0);
  const { port } = server.address() as AddressInfo;
  // Down from the start still needs a port of its own: bind one, then stop listening on it.
  if (initial.kind === 'down') await stopListening();

  return {
    endpoint: { address: '127.0.0.1', port },
    get fault() {
      return fault;
    },
    get connections() {
      return connections;
    },
    get requests() {
      return requests;
    },
    async setFault(next) {
      fault = next;
      dropConnections();
      if (next.kind === 'down') await stopListening();
      else if (!server.listening) await listen(port);
    },
    async close() {
      dropConnections();
      await stopListening();
      http.close();
    },
  };
}
