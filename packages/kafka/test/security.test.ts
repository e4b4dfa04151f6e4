// SASL/TLS settings from the environment and their mapping onto each client (no broker needed).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KafkaConfigError, loadKafkaConfig, loadKafkaSecurity } from '../src/config.ts';
import { kafkajsSecurity, rdkafkaSecurity } from '../src/security.ts';

const dir = mkdtempSync(join(tmpdir(), 'cs-kafka-tls-'));
const ca = join(dir, 'ca.pem');
const cert = join(dir, 'client.pem');
const key = join(dir, 'client.key');
writeFileSync(ca, 'CA PEM');
writeFileSync(cert, 'CERT PEM');
writeFileSync(key, 'KEY PEM');

const scram = { KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'svc', KAFKA_SASL_PASSWORD: ' p@ss word ' };

describe('loadKafkaSecurity', () => {
  it('is PLAINTEXT when nothing is set', () => {
    expect(loadKafkaSecurity({})).toBeUndefined();
    expect(loadKafkaConfig({})).not.toHaveProperty('security');
    expect(loadKafkaSecurity({ KAFKA_TLS: 'false' })).toBeUndefined();
  });

  it('reads SCRAM (any case) and keeps the password exactly as given', () => {
    expect(loadKafkaSecurity(scram)).toEqual({ sasl: { mechanism: 'scram-sha-512', username: 'svc', password: ' p@ss word ' } });
  });

  it('reads TLS with a CA file and a client certificate', () => {
    expect(loadKafkaSecurity({ ...scram, KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: ca, KAFKA_TLS_CERT_FILE: cert, KAFKA_TLS_KEY_FILE: key })).toEqual({
      tls: { caFile: ca, certFile: cert, keyFile: key },
      sasl: { mechanism: 'scram-sha-512', username: 'svc', password: ' p@ss word ' },
    });
    expect(loadKafkaSecurity({ KAFKA_TLS: '1' })).toEqual({ tls: {} });
  });

  it('refuses incomplete or unsafe settings, naming the variable', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, /KAFKA_SASL_MECHANISM must be one of scram-sha-256, scram-sha-512, plain, got "gssapi"/],
      [{ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_PASSWORD: 'p' }, /KAFKA_SASL_USERNAME is required/],
      [{ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u' }, /KAFKA_SASL_PASSWORD is required/],
      [{ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, /KAFKA_SASL_MECHANISM is not/],
      [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, /plain sends the password in clear: set KAFKA_TLS=true/],
      [{ KAFKA_TLS: 'sure' }, /KAFKA_TLS must be true or false, got "sure"/],
      [{ KAFKA_TLS_CA_FILE: ca }, /KAFKA_TLS is not true/],
      [{ KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: join(dir, 'missing.pem') }, /KAFKA_TLS_CA_FILE: cannot read/],
      [{ KAFKA_TLS: 'true', KAFKA_TLS_CERT_FILE: cert }, /KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE go together/],
    ];
    for (const [env, message] of bad) {
      expect(() => loadKafkaConfig(env), JSON.stringify(env)).toThrow(KafkaConfigError);
      expect(() => loadKafkaConfig(env), JSON.stringify(env)).toThrow(message);
    }
    // PLAIN over TLS is fine.
    expect(loadKafkaSecurity({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p', KAFKA_TLS: 'yes' })?.sasl?.mechanism).toBe('plain');
  });
});

describe('client options', () => {
  it('node-rdkafka: security.protocol, sasl.* and ssl.* file locations', () => {
    expect(rdkafkaSecurity(undefined)).toEqual({});
    expect(rdkafkaSecurity(loadKafkaSecurity(scram))).toEqual({ 'security.protocol': 'sasl_plaintext', 'sasl.mechanisms': 'SCRAM-SHA-512', 'sasl.username': 'svc', 'sasl.password': ' p@ss word ' });
    expect(rdkafkaSecurity(loadKafkaSecurity({ ...scram, KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: ca }))).toMatchObject({ 'security.protocol': 'sasl_ssl', 'ssl.ca.location': ca });
    expect(rdkafkaSecurity(loadKafkaSecurity({ KAFKA_TLS: 'true', KAFKA_TLS_CERT_FILE: cert, KAFKA_TLS_KEY_FILE: key }))).toEqual({
      'security.protocol': 'ssl',
      'ssl.certificate.location': cert,
      'ssl.key.location': key,
    });
  });

  it('kafkajs: ssl with the PEM contents (or true for the system CAs) and sasl', () => {
    expect(kafkajsSecurity(undefined)).toEqual({});
    expect(kafkajsSecurity(loadKafkaSecurity({ KAFKA_TLS: 'true' }))).toEqual({ ssl: true });
    const opts = kafkajsSecurity(loadKafkaSecurity({ ...scram, KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: ca, KAFKA_TLS_CERT_FILE: cert, KAFKA_TLS_KEY_FILE: key }));
    expect(opts.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'svc', password: ' p@ss word ' });
    expect(opts.ssl).toEqual({ ca: [Buffer.from('CA PEM')], cert: Buffer.from('CERT PEM'), key: Buffer.from('KEY PEM') });
  });
});
