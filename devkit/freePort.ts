import { createServer, type AddressInfo } from 'node:net';

/**
 * A loopback port nothing listens on right now. Envoy's bootstrap needs its ports up front; the
 * kernel hands out ephemeral ports at random, so the window in which another process could take
 * this one is small and a clash shows up as a failed start, not as a wrong measurement.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
