// Why the collector could not start, named by the setting an operator has to change. The CLI
// prints it as one line and exits with status 2, like a configuration error: no stack trace,
// because nothing here is a bug.

export class StartupError extends Error {
  readonly code = 'STARTUP_FAILED';

  constructor(
    /** the setting to change, e.g. `listen.port` */
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
    this.name = 'StartupError';
  }
}

/** Node's system error code (`EADDRINUSE`, `ENOTFOUND`…), when there is one. */
export function systemErrorCode(error: unknown): string | undefined {
  const code: unknown = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** What went wrong in words, without the stack: the first line of the message. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? '';
}
