// An error with the status Fastify should answer with; Fastify's default error handler turns it
// into `{ statusCode, error, message }`, the same shape as its own validation errors.

export class HttpError extends Error {
  constructor(
    readonly statusCode: 400 | 404,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
