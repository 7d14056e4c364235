// fetch() folds a repeated header into one comma-joined line and lower-cases names; a hostile
// client does neither. This sends every header line exactly as given, in order.
import { request } from 'node:http';

export interface RawAnswer {
  status: number;
  body: string;
}

/** Header lines sent besides the caller's: `host` first and `connection: close` last. */
export const FRAMING_HEADER_LINES = 2;

/** A GET of `path` at `baseUrl` whose header lines are `host`, then `lines` verbatim, then `connection`. */
export function getWithHeaderLines(baseUrl: string, path: string, lines: Array<[string, string]>): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  const all: Array<[string, string]> = [['host', `${hostname}:${port}`], ...lines, ['connection', 'close']];
  return new Promise((resolve, reject) => {
    const req = request(
      // A flat [name, value, name, value, ...] array is sent line by line, case and repeats kept,
      // and nothing is added to it (the connection header is given, so Node does not add its own).
      { host: hostname, port: Number(port), method: 'GET', path, headers: all.flat(), agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
