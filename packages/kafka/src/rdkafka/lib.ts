import { createRequire } from 'node:module';
import type * as RdKafka from 'node-rdkafka';
import type { Logger } from 'pino';
import { rdkafkaSecurity } from '../security.ts';
import type { KafkaOptions } from '../types.ts';

const require = createRequire(import.meta.url);
let mod: typeof RdKafka | undefined;

/**
 * node-rdkafka, loaded on first use: a kafkajs-only process never loads the native addon. It is an
 * optional peer dependency of @cs/kafka (installing the package never compiles librdkafka), so a
 * process that chose `rdkafka` without installing it gets this message instead of a bare
 * MODULE_NOT_FOUND. Synchronous `require`, because the clients are created synchronously.
 */
export function rdkafka(): typeof RdKafka {
  if (mod) return mod;
  try {
    mod = require('node-rdkafka') as typeof RdKafka;
  } catch (err) {
    if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND') throw err;
    throw new Error('the rdkafka client (KAFKA_CLIENT=rdkafka) needs node-rdkafka, an optional peer dependency of @cs/kafka: run `npm install node-rdkafka`, or use KAFKA_CLIENT=kafkajs', { cause: err });
  }
  return mod;
}

export function errorCodes(): typeof RdKafka.CODES.ERRORS {
  return rdkafka().CODES.ERRORS;
}

/** Settings shared by every node-rdkafka client. */
export function baseConfig(opts: KafkaOptions, log: Logger): RdKafka.GlobalConfig {
  return {
    'metadata.broker.list': opts.brokers.join(','),
    'client.id': opts.clientId,
    'socket.keepalive.enable': true,
    'socket.nagle.disable': true,
    // Idle connections closed by the broker are normal; do not log them.
    'log.connection.close': false,
    // librdkafka logs through event_cb ('event.log'); only warn+ reaches pino unless debug is on.
    event_cb: true,
    log_level: log.isLevelEnabled('debug') ? 7 : 4,
    ...rdkafkaSecurity(opts.security),
  };
}

interface LogEvent {
  severity: number;
  fac: string;
  message: string;
}

/** Bridges librdkafka 'event.log' (syslog severities) and 'event.error' to pino. */
export function bridgeLogs(client: RdKafka.Client<string>, log: Logger): void {
  client.on('event.log', (e: LogEvent) => {
    const fields = { fac: e.fac };
    if (e.severity <= 3) log.error(fields, e.message);
    else if (e.severity === 4) log.warn(fields, e.message);
    else log.debug(fields, e.message);
  });
  client.on('event.error', (err: RdKafka.LibrdKafkaError) => {
    // Most librdkafka errors are transient (broker down, retried internally); fatal ones are
    // handled by the producer/consumer that listens as well.
    if (err.isFatal) log.error({ err }, `librdkafka fatal error: ${err.message}`);
    else log.warn({ code: err.code }, `librdkafka: ${err.message}`);
  });
}

/** A node-rdkafka error object as an Error with its code kept. */
export function asError(e: unknown): Error & { code?: number } {
  if (e instanceof Error) return e;
  const le = e as Partial<RdKafka.LibrdKafkaError> | undefined;
  const err = new Error(le?.message ?? String(e)) as Error & { code?: number; isFatal?: boolean };
  if (le?.code !== undefined) err.code = le.code;
  if (le?.isFatal !== undefined) err.isFatal = le.isFatal;
  return err;
}

export function connectClient(client: RdKafka.Client<string>, timeoutMs = 30_000): Promise<RdKafka.Metadata> {
  return new Promise((resolve, reject) => {
    client.connect({ timeout: timeoutMs }, (err, metadata) => (err ? reject(asError(err)) : resolve(metadata)));
  });
}

export function disconnectClient(client: RdKafka.Client<string>): Promise<void> {
  return new Promise((resolve) => {
    if (!client.isConnected()) return resolve();
    client.disconnect(() => resolve());
  });
}
