import type { IncomingHttpHeaders } from 'node:http';

/** One header as a string (repeated values joined), or undefined when absent. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** The headers whose names start with `prefix`, sorted, for comparing whole sets. */
export function headersWithPrefix(headers: IncomingHttpHeaders, prefix: string): Record<string, string> {
  return Object.fromEntries(
    Object.keys(headers)
      .filter((name) => name.startsWith(prefix))
      .sort()
      .map((name) => [name, headerValue(headers, name) ?? '']),
  );
}
