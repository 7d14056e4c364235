// Fails before anything starts when a port is taken, naming the port and the flag that moves it:
// otherwise Envoy or a service would die halfway through start-up with a less helpful message.

import { createServer } from 'node:net';
import { PORT_FLAGS, type DemoPorts } from './flags.js';

export class PortInUseError extends Error {}

export async function assertPortsFree(host: string, ports: Partial<DemoPorts>): Promise<void> {
  const claimed = new Map<number, keyof DemoPorts>();
  for (const [name, port] of Object.entries(ports) as Array<[keyof DemoPorts, number]>) {
    if (port === 0) continue;
    const other = claimed.get(port);
    if (other !== undefined) {
      throw new PortInUseError(`port ${port} is given to both --${PORT_FLAGS[other]} and --${PORT_FLAGS[name]}`);
    }
    claimed.set(port, name);
    if (!(await canListen(host, port))) {
      throw new PortInUseError(
        `port ${port} (${name}) on ${host} is already in use: stop what listens there or pass --${PORT_FLAGS[name]} PORT`,
      );
    }
  }
}

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}
