// Entry point: the collector in Kafka mode (startServer, as `shadowdiff collector` runs it) with the
// settings given as JSON in the first argument (the `kafka` section names the roles), listening on
// a free loopback port, for the Kafka-mode line. The process is the unit the line measures CPU of.
//
//   node --import tsx bench/kafkaRoleServer.ts '{"kafka":{"brokers":["127.0.0.1:9092"],"roles":["join"]}}'
import { parseConfig } from '../collector/config.js';
import { startServer } from '../collector/http/server.js';
import { announcePort } from './childServer.js';

const settings = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const config = parseConfig({ ...settings, listen: { host: '127.0.0.1', port: 0 }, logLevel: 'warn' });
const server = await startServer(config);
announcePort(Number(new URL(server.url).port));
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
