import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Waits until something accepts TCP connections on the loopback port, or fails with `what`. */
export async function waitForTcp(port: number, what: string, timeoutMs = 10_000, alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (accepted) return;
    if (!alive()) throw new Error(`${what} exited before it listened on :${port}`);
    if (Date.now() > deadline) throw new Error(`${what} did not listen on :${port} within ${timeoutMs} ms`);
    await sleep(20);
  }
}
