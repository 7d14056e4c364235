// Batches are JSON of up to bodyLimitBytes (8 MiB by default); Fastify's parser reads one in a
// single JSON.parse, 10-17 ms per 400 KB body on the event loop, where it holds up every request
// and batch behind it. Bodies from OFF_THREAD_BYTES on are parsed in a thread instead, by the same
// parser (Fastify's, with the same poisoning rules), so they give the same value and, when
// malformed, the same error; the event loop only takes the parsed value back, a structured clone
// about 7x cheaper than the parse. Smaller bodies are parsed here: the round trip would cost more.
//
// Either way a body that cannot hold a poisoning key skips the parser's two regex scans for one
// (withoutPoisonScan): the scans cost about as much as the parse of a batch itself.

import { Worker } from 'node:worker_threads';
import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import { THREAD_ENTRY } from '../threadEntryUrl.js';

/** Bodies this large or larger are parsed in the thread. */
export const OFF_THREAD_BYTES = 64 * 1024;

/** Fastify's defaults, stated so that the thread's parser is built with the rules the app has. */
export const POISONING = { onProtoPoisoning: 'error', onConstructorPoisoning: 'error' } as const;

export interface JsonParseRequest {
  id: number;
  bytes: Uint8Array;
}

/** The parser's own errors, by Fastify's code: the app maps them onto MALFORMED_JSON. */
export type JsonParseFailure = 'FST_ERR_CTP_EMPTY_JSON_BODY' | 'FST_ERR_CTP_INVALID_JSON_BODY';

export type JsonParseReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; code: JsonParseFailure };

const WORKER_URL = new URL('./jsonParseWorker.ts', import.meta.url);

/** A JSON body parser as Fastify's default one is called: the request, the body's text, and the callback it answers through. */
type JsonParser = (request: FastifyRequest, text: string, done: (error: Error | null, value?: unknown) => void) => void;

/**
 * Fastify's parser (secure-json-parse) parses, then scans the whole text with two regular
 * expressions for a `__proto__` or `constructor` key, spelled out or with \u escapes, and only then
 * looks for such keys in the value. A text with neither name in it and no \u escape (the only
 * other way to spell a letter in JSON) cannot hold one, so it is parsed at once; any other text,
 * a byte order mark or a parse error included, goes to `parser`, which gives its own value or error.
 * A text without `ructor` has no `constructor`: V8 finds the shorter one about 5x faster in a
 * batch, where the longer search took a fifth as long as the parse itself.
 */
export function withoutPoisonScan(parser: JsonParser): JsonParser {
  return (request, text, done) => {
    if (
      text.length === 0 ||
      text.charCodeAt(0) === 0xfeff ||
      text.includes('\\u') ||
      text.includes('__proto__') ||
      (text.includes('ructor') && text.includes('constructor'))
    )
      return parser(request, text, done);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return parser(request, text, done);
    }
    done(null, value);
  };
}

/** Replaces the app's JSON parser with one that parses large bodies in a thread (started at the first). */
export function parseLargeJsonOffThread(app: FastifyInstance): void {
  const inline = withoutPoisonScan(app.getDefaultJsonParser(POISONING.onProtoPoisoning, POISONING.onConstructorPoisoning));
  const thread = new JsonParseThread();
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    // As Fastify's string parsing decodes it: the whole body at once.
    if (body.length < OFF_THREAD_BYTES) return inline(request, body.toString('utf8'), done);
    thread.parse(body).then(
      (value) => done(null, value),
      (error: Error) => done(error, undefined),
    );
  });
  app.addHook('onClose', () => thread.close());
}

class JsonParseThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  parse(body: Buffer): Promise<unknown> {
    this.worker ??= this.start();
    const worker = this.worker;
    const id = this.nextId++;
    // Fastify hands each body over as a copy of its own; its memory moves to the thread when the
    // body is the whole of it, and is copied otherwise.
    const bytes = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : Buffer.from(body);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, bytes } satisfies JsonParseRequest, [bytes.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }

  private start(): Worker {
    const worker = new Worker(THREAD_ENTRY, { argv: [WORKER_URL.href] });
    // Requests in flight keep the process alive, not the thread.
    worker.unref();
    worker.on('message', (reply: JsonParseReply) => {
      const waiting = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (reply.ok) waiting?.resolve(reply.value);
      else waiting?.reject(new errorCodes[reply.code]());
    });
    const stopped = (reason: string): void => {
      if (this.worker === worker) this.worker = null;
      // Its bodies fail as internal errors (500): the client sends them again; the next body starts a new thread.
      for (const { reject } of this.waiting.values()) reject(new Error(`the JSON parse thread stopped: ${reason}`));
      this.waiting.clear();
    };
    worker.on('error', (error) => stopped(error.message));
    worker.on('exit', (code) => stopped(`exit code ${code}`));
    return worker;
  }
}
