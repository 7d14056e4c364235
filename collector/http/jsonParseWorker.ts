// The thread that parses large request bodies (jsonBodyParser.ts) with Fastify's own JSON parser,
// so that the value, and the error for a malformed body, are those the app would have made itself.

import { parentPort } from 'node:worker_threads';
import Fastify from 'fastify';
import { POISONING, withoutPoisonScan, type JsonParseFailure, type JsonParseReply, type JsonParseRequest } from './jsonBodyParser.js';

const port = parentPort;
if (port === null) throw new Error('jsonParseWorker runs in a worker thread');
const parse = withoutPoisonScan(Fastify().getDefaultJsonParser(POISONING.onProtoPoisoning, POISONING.onConstructorPoisoning));

port.on('message', ({ id, bytes }: JsonParseRequest) => {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  // Fastify's parser answers through its callback, at once; the request it is given is unused.
  void parse(null as never, text, (error: Error | null, value?: unknown) => {
    const reply: JsonParseReply =
      error === null ? { id, ok: true, value } : { id, ok: false, code: (error as Error & { code: JsonParseFailure }).code };
    port.postMessage(reply);
  });
});
