// SASL and TLS settings of every Kafka client (loaded by config.ts), mapped onto kafkajs and
// node-rdkafka options. Secrets stay in these objects: nothing here logs them.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import type * as RdKafka from 'node-rdkafka';

export type SaslMechanism = 'scram-sha-256' | 'scram-sha-512' | 'plain';
export const SASL_MECHANISMS: readonly SaslMechanism[] = ['scram-sha-256', 'scram-sha-512', 'plain'];

export interface KafkaTls {
  /** PEM CA bundle that signs the brokers' certificates (default: the system's CAs). */
  caFile?: string;
  /** Client certificate and key (PEM), for brokers that require mutual TLS. */
  certFile?: string;
  keyFile?: string;
}

export interface KafkaSasl {
  mechanism: SaslMechanism;
  username: string;
  password: string;
}

/** How clients authenticate and encrypt; absent = PLAINTEXT (the local broker). */
export interface KafkaSecurity {
  tls?: KafkaTls;
  sasl?: KafkaSasl;
}

/** kafkajs `ssl` and `sasl` options (the PEM files are read here, when a client is made). */
export function kafkajsSecurity(security: KafkaSecurity | undefined): { ssl?: ConnectionOptions | boolean; sasl?: SASLOptions } {
  if (!security) return {};
  const out: { ssl?: ConnectionOptions | boolean; sasl?: SASLOptions } = {};
  if (security.tls) {
    const { caFile, certFile, keyFile } = security.tls;
    const tls: ConnectionOptions = {};
    if (caFile) tls.ca = [readFileSync(caFile)];
    if (certFile && keyFile) Object.assign(tls, { cert: readFileSync(certFile), key: readFileSync(keyFile) });
    // true = TLS with Node's defaults (system CAs, hostname checked); the options keep those checks.
    out.ssl = Object.keys(tls).length > 0 ? tls : true;
  }
  if (security.sasl) {
    const { mechanism, username, password } = security.sasl;
    out.sasl = { mechanism, username, password } as SASLOptions;
  }
  return out;
}

/** librdkafka `security.protocol`, `sasl.*` and `ssl.*` properties. */
export function rdkafkaSecurity(security: KafkaSecurity | undefined): Partial<RdKafka.GlobalConfig> {
  if (!security) return {};
  const { tls, sasl } = security;
  const protocol = tls ? (sasl ? 'sasl_ssl' : 'ssl') : 'sasl_plaintext';
  const out: Partial<RdKafka.GlobalConfig> = { 'security.protocol': protocol };
  if (sasl) Object.assign(out, { 'sasl.mechanisms': sasl.mechanism.toUpperCase(), 'sasl.username': sasl.username, 'sasl.password': sasl.password });
  if (tls?.caFile) out['ssl.ca.location'] = tls.caFile;
  if (tls?.certFile) out['ssl.certificate.location'] = tls.certFile;
  if (tls?.keyFile) out['ssl.key.location'] = tls.keyFile;
  return out;
}
