// Entry point: a shadow service that answers every request `delayMs` late, with the cut document the
// path names (`/1k.json`); the mirroring line's slow-shadow case.
//
//   node --import tsx bench/delayedUpstream.ts DELAY_MS
import { createServer } from 'node:http';
import { announcePort } from './childServer.js';
import { cutDocuments } from './corpusCuts.js';

const delayMs = Number(process.argv[2]);
if (!Number.isInteger(delayMs) || delayMs < 0) throw new Error('usage: delayedUpstream.ts DELAY_MS');
const documents = new Map(cutDocuments().map((document) => [`/${document.name}.json`, document.bytes]));

const server = createServer((request, response) => {
  request.resume();
  const body = documents.get(request.url ?? '');
  setTimeout(() => {
    if (body === undefined) response.writeHead(404, { 'content-length': '0' }).end();
    else response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) }).end(body);
  }, delayMs);
});
server.keepAliveTimeout = 600_000;
server.maxConnections = 100_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  announcePort(address.port);
});
