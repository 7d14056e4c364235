import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Endpoint } from '../envoy/bootstrap.js';
import { onCore, type CoreLayout } from './cpuPinning.js';
import type { CutDocument } from './corpusCuts.js';
import { freePort } from '../devkit/freePort.js';
import { startProcess, type ManagedProcess } from '../devkit/managedProcess.js';
import { waitForTcp } from './tcpReady.js';

/**
 * The primary and the shadow service: one nginx worker serving the cut documents as static
 * `application/json` files on two ports, and under /gz/ the same documents gzip-encoded
 * (`content-encoding: gzip`, compressed once at level 6 and served by gzip_static to every client,
 * so the upstream does no compressing per request). nginx rather than a Node server because the upstream shares
 * the load core with wrk: it must cost as little as possible per request, or the load core, not
 * Envoy, would limit the saturation throughput.
 */
export interface NginxUpstream {
  primary: Endpoint;
  shadow: Endpoint;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export async function startNginxUpstream(layout: CoreLayout, documents: readonly CutDocument[]): Promise<NginxUpstream> {
  const dir = await mkdtemp(join(tmpdir(), 'shadowdiff-bench-nginx-'));
  const docs = join(dir, 'docs');
  await mkdir(docs);
  await mkdir(join(docs, 'gz'));
  for (const document of documents) {
    await writeFile(join(docs, `${document.name}.json`), document.bytes);
    await writeFile(join(docs, 'gz', `${document.name}.json`), document.bytes);
    await writeFile(join(docs, 'gz', `${document.name}.json.gz`), gzipSync(document.bytes));
  }
  const primaryPort = await freePort();
  const shadowPort = await freePort();
  const server = (port: number): string => `  server { listen 127.0.0.1:${port}; root ${docs}; location /gz/ { gzip_static always; } }`;
  const config = [
    'daemon off;',
    'master_process off;',
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    'error_log stderr warn;',
    'events { worker_connections 8192; }',
    'http {',
    '  access_log off;',
    '  types { application/json json; }',
    '  sendfile on;',
    '  tcp_nodelay on;',
    // Envoy keeps its upstream connections; nginx closing them every 1000 requests would add reconnects to the measurement.
    '  keepalive_requests 100000000;',
    '  keepalive_timeout 600s;',
    '  open_file_cache max=16;',
    server(primaryPort),
    server(shadowPort),
    '}',
  ].join('\n');
  const configPath = join(dir, 'nginx.conf');
  await writeFile(configPath, config);
  const [command, args] = onCore(layout, layout.loadCore, 'nginx', ['-p', dir, '-c', configPath, '-e', 'stderr']);
  const nginx = startProcess('nginx', command, args);
  const stop = async (): Promise<void> => {
    await nginx.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForTcp(primaryPort, 'nginx', 10_000, nginx.alive);
    await waitForTcp(shadowPort, 'nginx', 10_000, nginx.alive);
  } catch (error) {
    const output = nginx.output();
    await stop();
    throw new Error(`${(error as Error).message}\n${output}`, { cause: error });
  }
  return {
    primary: { address: '127.0.0.1', port: primaryPort },
    shadow: { address: '127.0.0.1', port: shadowPort },
    process: nginx,
    stop,
  };
}
