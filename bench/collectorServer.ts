// Entry point: the real collector (buildApp with its default configuration: 30 s join window,
// default caps, Prometheus metrics on) listening on a free loopback port, for the collector line.
//
//   node --import tsx bench/collectorServer.ts
import { buildApp } from '../collector/http/app.js';
import { parseConfig } from '../collector/config.js';
import { announcePort } from './childServer.js';

const config = parseConfig({ listen: { host: '127.0.0.1', port: 0 }, logLevel: 'warn' });
const app = buildApp({ config, logger: { level: config.logLevel } });
const url = await app.listen({ host: config.listen.host, port: config.listen.port });
announcePort(Number(new URL(url).port));
// Exit normally on SIGTERM, so that a --cpu-prof run (bench/profileCollector.ts) writes its profile.
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
