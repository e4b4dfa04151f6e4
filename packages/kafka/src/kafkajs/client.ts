import kafkajs from 'kafkajs';
import type { Kafka as KafkaClient, logCreator as LogCreator } from 'kafkajs';
import type { Logger } from 'pino';
import { kafkajsSecurity } from '../security.ts';
import type { KafkaOptions } from '../types.ts';
import { useInlineGzip } from './gzip-codec.ts';

const { Kafka, logLevel } = kafkajs;

/**
 * kafkajs log entries go to pino. kafkajs' own level is WARN (its INFO is chatty about every
 * join/fetch) unless the pino logger has debug enabled, then INFO.
 */
/**
 * Routine kafkajs messages it logs too loudly: a rebalance is normal group life (kafkajs logs the
 * broker's REBALANCE_IN_PROGRESS answer as a Connection *error*, then rejoins), and our producer
 * bounds retries on purpose (callers retry a failed send; event ids make redelivery harmless).
 */
function routine(entry: Parameters<ReturnType<LogCreator>>[0]): boolean {
  const { message } = entry.log;
  const error = String((entry.log as { error?: unknown }).error ?? '');
  if (entry.namespace === 'Connection' && /rebalanc|rejoin/i.test(error)) return true;
  if (/^The group is rebalancing, re-joining/.test(message)) return true;
  return /^Limiting retries for the idempotent producer/.test(message);
}

function pinoLogCreator(log: Logger): LogCreator {
  return () => (entry) => {
    const { message, timestamp: _ts, logger: _l, ...extra } = entry.log;
    const fields = { kafkajs: entry.namespace, ...extra };
    if (routine(entry)) {
      log.debug(fields, message);
      return;
    }
    switch (entry.level) {
      case logLevel.ERROR:
        log.error(fields, message);
        break;
      case logLevel.WARN:
        log.warn(fields, message);
        break;
      case logLevel.INFO:
        log.info(fields, message);
        break;
      default:
        log.debug(fields, message);
    }
  };
}

export function kafkajsClient(opts: KafkaOptions, log: Logger): KafkaClient {
  useInlineGzip();
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    logLevel: log.isLevelEnabled('debug') ? logLevel.INFO : logLevel.WARN,
    logCreator: pinoLogCreator(log),
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 100, retries: 8 },
    ...kafkajsSecurity(opts.security),
  });
}
