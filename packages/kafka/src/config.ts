import type { KafkaClientKind, KafkaOptions } from './types.ts';

type Env = Record<string, string | undefined>;

export const KAFKA_CLIENTS: readonly KafkaClientKind[] = ['kafkajs', 'rdkafka'];
export const DEFAULT_BROKERS = '127.0.0.1:9092';

export class KafkaConfigError extends Error {}

/**
 * Kafka connection settings from the environment:
 * - `KAFKA_BROKERS`   comma-separated host:port list (default `127.0.0.1:9092`)
 * - `KAFKA_CLIENT`    `kafkajs` | `rdkafka` (default: `clientDefault`)
 * - `KAFKA_CLIENT_ID` client id (default: `clientIdDefault`)
 *
 * No logger is set; add one with `{ ...loadKafkaConfig(...), logger }`.
 */
export function loadKafkaConfig(
  env: Env = process.env,
  clientDefault: KafkaClientKind = 'kafkajs',
  clientIdDefault = 'cs-analytics',
): KafkaOptions {
  const value = (name: string) => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const brokers = (value('KAFKA_BROKERS') ?? DEFAULT_BROKERS)
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  for (const b of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(b) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(b)) {
      throw new KafkaConfigError(`KAFKA_BROKERS: "${b}" is not host:port`);
    }
  }
  if (brokers.length === 0) throw new KafkaConfigError('KAFKA_BROKERS is empty');
  const client = value('KAFKA_CLIENT') ?? clientDefault;
  if (!KAFKA_CLIENTS.includes(client as KafkaClientKind)) {
    throw new KafkaConfigError(`KAFKA_CLIENT must be one of ${KAFKA_CLIENTS.join(', ')}, got "${client}"`);
  }
  return { brokers, client: client as KafkaClientKind, clientId: value('KAFKA_CLIENT_ID') ?? clientIdDefault };
}
