import { accessSync, constants } from 'node:fs';
import { SASL_MECHANISMS, type KafkaSasl, type KafkaSecurity, type KafkaTls, type SaslMechanism } from './security.ts';
import type { KafkaClientKind, KafkaOptions } from './types.ts';

type Env = Record<string, string | undefined>;

export const KAFKA_CLIENTS: readonly KafkaClientKind[] = ['kafkajs', 'rdkafka'];
export const DEFAULT_BROKERS = '127.0.0.1:9092';

export class KafkaConfigError extends Error {}

function reader(env: Env) {
  return (name: string) => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
}

/**
 * Kafka connection settings from the environment:
 * - `KAFKA_BROKERS`   comma-separated host:port list (default `127.0.0.1:9092`)
 * - `KAFKA_CLIENT`    `kafkajs` | `rdkafka` (default: `clientDefault`)
 * - `KAFKA_CLIENT_ID` client id (default: `clientIdDefault`)
 * - SASL and TLS: see `loadKafkaSecurity`
 *
 * No logger is set; add one with `{ ...loadKafkaConfig(...), logger }`.
 */
export function loadKafkaConfig(
  env: Env = process.env,
  clientDefault: KafkaClientKind = 'kafkajs',
  clientIdDefault = 'cs-analytics',
): KafkaOptions {
  const value = reader(env);
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
  const security = loadKafkaSecurity(env);
  return { brokers, client: client as KafkaClientKind, clientId: value('KAFKA_CLIENT_ID') ?? clientIdDefault, ...(security ? { security } : {}) };
}

function readableFile(name: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new KafkaConfigError(`${name}: cannot read "${path}"`);
  }
  return path;
}

/**
 * SASL and TLS from the environment (undefined = PLAINTEXT, as the local broker):
 * - `KAFKA_SASL_MECHANISM`  `scram-sha-256` | `scram-sha-512` | `plain` (unset: no SASL)
 * - `KAFKA_SASL_USERNAME`, `KAFKA_SASL_PASSWORD`  required with a mechanism
 * - `KAFKA_TLS`             `true`: connect with TLS (SSL, or SASL_SSL with a mechanism)
 * - `KAFKA_TLS_CA_FILE`     PEM CA bundle that signs the brokers' certificates (default: the system's CAs)
 * - `KAFKA_TLS_CERT_FILE`, `KAFKA_TLS_KEY_FILE`  client certificate and key (mutual TLS), both or neither
 *
 * PLAIN sends the password as it is, so it is refused without TLS.
 */
export function loadKafkaSecurity(env: Env = process.env): KafkaSecurity | undefined {
  const value = reader(env);
  const tlsFlag = value('KAFKA_TLS');
  if (tlsFlag !== undefined && !/^(true|false|1|0|yes|no)$/i.test(tlsFlag)) {
    throw new KafkaConfigError(`KAFKA_TLS must be true or false, got "${tlsFlag}"`);
  }
  const tlsOn = tlsFlag !== undefined && /^(true|1|yes)$/i.test(tlsFlag);
  const files: KafkaTls = {
    caFile: readableFile('KAFKA_TLS_CA_FILE', value('KAFKA_TLS_CA_FILE')),
    certFile: readableFile('KAFKA_TLS_CERT_FILE', value('KAFKA_TLS_CERT_FILE')),
    keyFile: readableFile('KAFKA_TLS_KEY_FILE', value('KAFKA_TLS_KEY_FILE')),
  };
  const setFiles = Object.entries(files).filter(([, v]) => v !== undefined);
  if (!tlsOn && setFiles.length > 0) {
    throw new KafkaConfigError('KAFKA_TLS_CA_FILE / KAFKA_TLS_CERT_FILE / KAFKA_TLS_KEY_FILE are set but KAFKA_TLS is not true');
  }
  if ((files.certFile === undefined) !== (files.keyFile === undefined)) {
    throw new KafkaConfigError('KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE go together (mutual TLS needs both)');
  }

  const mechanismText = value('KAFKA_SASL_MECHANISM')?.toLowerCase();
  const username = value('KAFKA_SASL_USERNAME');
  // A password is taken as it is (spaces included); only an empty one counts as unset.
  const password = env.KAFKA_SASL_PASSWORD === '' ? undefined : env.KAFKA_SASL_PASSWORD;
  let sasl: KafkaSasl | undefined;
  if (mechanismText === undefined) {
    if (username !== undefined || password !== undefined) {
      throw new KafkaConfigError(`KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD are set but KAFKA_SASL_MECHANISM is not (${SASL_MECHANISMS.join(', ')})`);
    }
  } else {
    if (!SASL_MECHANISMS.includes(mechanismText as SaslMechanism)) {
      throw new KafkaConfigError(`KAFKA_SASL_MECHANISM must be one of ${SASL_MECHANISMS.join(', ')}, got "${value('KAFKA_SASL_MECHANISM')}"`);
    }
    if (username === undefined) throw new KafkaConfigError(`KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM=${mechanismText}`);
    if (password === undefined) throw new KafkaConfigError(`KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM=${mechanismText}`);
    if (mechanismText === 'plain' && !tlsOn) {
      throw new KafkaConfigError('KAFKA_SASL_MECHANISM=plain sends the password in clear: set KAFKA_TLS=true, or use scram-sha-256 / scram-sha-512');
    }
    sasl = { mechanism: mechanismText as SaslMechanism, username, password };
  }
  if (!tlsOn && sasl === undefined) return undefined;
  return { ...(tlsOn ? { tls: Object.fromEntries(setFiles) as KafkaTls } : {}), ...(sasl ? { sasl } : {}) };
}
