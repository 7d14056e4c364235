// Entry point: the collector as far as Envoy's export calls can tell, minus the collector's work.
//
//   node --import tsx bench/collectorSink.ts accept|hold
//
// accept: reads each batch and answers 200 at once (the cost measured is Envoy's, not a collector's).
// hold: reads each batch and never answers, so the filter's one allowed call stays in flight, its
// queue fills, and every later record is dropped at the queue: the "digest without export" baseline.
import { createServer } from 'node:http';
import { announcePort } from './childServer.js';

const mode = process.argv[2];
if (mode !== 'accept' && mode !== 'hold') throw new Error('usage: collectorSink.ts accept|hold');

const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    if (mode === 'accept') response.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' }).end('{}');
  });
});
server.keepAliveTimeout = 600_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  announcePort(address.port);
});
