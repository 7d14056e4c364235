// One observed request through the built filter in the host emulator, as a primary or shadow
// leg sees it: a GET carrying its ids, a 200 JSON response whose body comes whole, the stream
// completed. That is what makes the filter digest a response and queue its record for export, so
// what the filter then sends (the export batches) can be read from the host.

import type { BodyInput, Plugin } from '../emulator/index.js';

export interface ObservedResponse {
  /** the correlation id (`x-shadowdiff-id`) */
  id: string;
  /** `x-request-id` */
  requestId: string;
  path: string;
  authority: string;
  body: BodyInput;
}

export function observeJsonResponse(plugin: Plugin, response: ObservedResponse): void {
  const stream = plugin.newHttpStream();
  stream.sendRequestHeaders(
    [
      [':method', 'GET'],
      [':path', response.path],
      [':authority', response.authority],
      ['x-request-id', response.requestId],
      ['x-shadowdiff-id', response.id],
    ],
    true,
  );
  stream.sendResponseHeaders(
    [
      [':status', '200'],
      ['content-type', 'application/json'],
    ],
    false,
  );
  stream.sendResponseBody(response.body, true);
  stream.complete();
}
