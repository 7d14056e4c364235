// A full garbage collection forced in another Node process through its inspector: the Chrome
// DevTools Protocol command HeapProfiler.collectGarbage, sent over the inspector's WebSocket.
// `gc()` would need --expose-gc in the process measured, which changes what it runs; the inspector
// only has to listen. Node 20 has a WebSocket client only behind --experimental-websocket, so a
// short-lived node with that flag sends the command and waits for its answer.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

const COLLECT_GARBAGE = `
const socket = new WebSocket(process.argv[1]);
socket.onopen = () => socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
socket.onmessage = (event) => {
  const message = JSON.parse(event.data);
  if (message.id !== 1) return;
  if (message.error !== undefined) {
    console.error('HeapProfiler.collectGarbage failed: ' + JSON.stringify(message.error));
    process.exit(1);
  }
  socket.close();
  process.exit(0);
};
socket.onerror = (event) => {
  console.error('inspector WebSocket ' + process.argv[1] + ': ' + (event.message ?? 'error'));
  process.exit(1);
};
`;

/** Resolves once the process behind `inspectorUrl` (ws://host:port/id) has run a full collection. */
export async function collectGarbage(inspectorUrl: string): Promise<void> {
  try {
    await run(process.execPath, ['--experimental-websocket', '--no-warnings', '-e', COLLECT_GARBAGE, inspectorUrl], { timeout: 10_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`could not force a garbage collection through ${inspectorUrl}${stderr ? `: ${stderr}` : ''}`, { cause: error });
  }
}
