import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** When one response arrived, in performance.now() milliseconds. */
export interface ResponseTiming {
  status: number;
  sentMs: number;
  firstByteMs: number;
  lastByteMs: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;

/**
 * One keep-alive HTTP/1.1 connection carrying one request at a time, with a response parser that
 * does only what timing needs (status, content-length, counting body bytes). Node's http client
 * costs several times more per request, and the client shares its core with the upstream.
 */
export class RawHttpConnection {
  private pending: { resolve: (timing: ResponseTiming) => void; reject: (error: Error) => void; sentMs: number } | null = null;
  private header: Buffer[] = [];
  private firstByteMs = 0;
  private bodyRemaining = -1;
  private status = 0;
  private broken: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawHttpConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawHttpConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  get busy(): boolean {
    return this.pending !== null;
  }

  get usable(): boolean {
    return this.broken === null;
  }

  /** Sends a complete request (head and body) and resolves with the response's timing. */
  send(request: Buffer | readonly Buffer[]): Promise<ResponseTiming> {
    if (this.broken !== null) return Promise.reject(this.broken);
    if (this.pending !== null) throw new Error('one request at a time per connection');
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, sentMs: performance.now() };
      this.header = [];
      this.bodyRemaining = -1;
      if (Buffer.isBuffer(request)) this.socket.write(request);
      else for (const part of request) this.socket.write(part);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    const pending = this.pending;
    if (pending === null) {
      this.fail(new Error('bytes arrived with no request outstanding'));
      return;
    }
    if (this.bodyRemaining < 0) {
      if (this.header.length === 0) this.firstByteMs = performance.now();
      this.header.push(chunk);
      const head = this.header.length === 1 ? chunk : Buffer.concat(this.header);
      const end = head.indexOf(HEADER_END);
      if (end < 0) return;
      const text = head.subarray(0, end + 2).toString('latin1');
      this.status = Number(text.slice(9, 12));
      const length = CONTENT_LENGTH.exec(text)?.[1];
      if (length === undefined) {
        this.fail(new Error(`response without content-length: ${text.split('\r\n')[0] ?? ''}`));
        return;
      }
      this.bodyRemaining = Number(length) - (head.length - end - 4);
    } else {
      this.bodyRemaining -= chunk.length;
    }
    if (this.bodyRemaining > 0) return;
    if (this.bodyRemaining < 0) {
      this.fail(new Error('more bytes than content-length (pipelining is not used)'));
      return;
    }
    this.pending = null;
    pending.resolve({ status: this.status, sentMs: pending.sentMs, firstByteMs: this.firstByteMs, lastByteMs: performance.now() });
  }

  private fail(error: Error): void {
    this.broken ??= error;
    const pending = this.pending;
    this.pending = null;
    this.socket.destroy();
    pending?.reject(error);
  }
}
