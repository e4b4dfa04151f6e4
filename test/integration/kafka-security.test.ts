/**
 * SASL/SCRAM and TLS for every Kafka client, against the local broker's SCRAM listeners
 * (deploy/kafka/kafka.sh with KAFKA_SASL_SSL_PORT / KAFKA_SASL_PLAINTEXT_PORT; its certificate is
 * signed by a CA generated with openssl on first start). A user is created for the run with a random
 * password. The clients are configured the way every service is: loadKafkaConfig over environment
 * variables (KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD, KAFKA_TLS, KAFKA_TLS_CA_FILE).
 *
 * - both clients produce, consume (committing) and administer over SASL_SSL with SCRAM-SHA-256 and
 *   -512, and over SASL_PLAINTEXT;
 * - a wrong password, an untrusted certificate and a client without SASL are refused, each for its
 *   own reason (read from the client's logs, so the test does not wait out connect timeouts);
 * - the password appears in none of the clients' log lines, debug level included.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAdmin, createConsumer, createProducer, loadKafkaConfig, type ConsumedMessage, type KafkaClientKind, type KafkaOptions } from '@cs/kafka';
import { createScramUser, startLocalKafka, type SecureListeners } from '../support/kafka.ts';
import { waitFor } from '../support/pipeline.ts';

const CLIENTS: KafkaClientKind[] = ['kafkajs', 'rdkafka'];
const user = `cs-test-${randomUUID().slice(0, 8)}`;
const password = randomBytes(18).toString('base64url');

let secure: SecureListeners;
const lines: string[] = [];

/** A debug-level logger whose lines the test reads back. */
function capturingLogger(): Logger {
  return pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
}

function options(client: KafkaClientKind, env: Record<string, string>): KafkaOptions {
  return { ...loadKafkaConfig({ ...env, KAFKA_CLIENT: client, KAFKA_CLIENT_ID: `sec-${client}` }), logger: capturingLogger() };
}

const saslSsl = (mechanism: string, pw = password) => ({
  KAFKA_BROKERS: secure.saslSsl,
  KAFKA_SASL_MECHANISM: mechanism,
  KAFKA_SASL_USERNAME: user,
  KAFKA_SASL_PASSWORD: pw,
  KAFKA_TLS: 'true',
  KAFKA_TLS_CA_FILE: secure.caFile,
});
const saslPlaintext = (mechanism: string) => ({ KAFKA_BROKERS: secure.saslPlaintext, KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: user, KAFKA_SASL_PASSWORD: password });

beforeAll(async () => {
  secure = inject('kafkaSecure') ?? (await startLocalKafka()).secure;
  await createScramUser(user, password);
}, 240_000);

afterAll(async () => {
  await Promise.all(settling);
  // Debug logs of every client of this file, successes and refusals: never the password.
  // Not vacuous: the lines hold successes and both kinds of refusal (their number varies with timing:
  // a count of > 50 failed a CI run with exactly 50).
  for (const shown of [/kafka consumer assignment|Consumer has joined the group/, /invalid credentials/, /certificate/]) {
    expect(lines.some((l) => shown.test(l)), `a captured line matching ${shown}`).toBe(true);
  }
  expect(lines.filter((l) => l.includes(password))).toEqual([]);
});

/** Produce, consume with a fresh group and commit, read the lag: one topic per case. */
async function roundTrip(opts: KafkaOptions): Promise<void> {
  const topic = `sec.${opts.client}.${randomUUID().slice(0, 8)}`;
  const admin = createAdmin(opts);
  await admin.connect();
  try {
    await admin.ensureTopics([{ topic, partitions: 2 }]);
    const producer = createProducer(opts);
    await producer.connect();
    try {
      await producer.send(Array.from({ length: 20 }, (_, i) => ({ topic, key: `k${i % 5}`, value: Buffer.from(`v${i}`) })));
    } finally {
      await producer.disconnect();
    }
    const groupId = `sec-group-${randomUUID().slice(0, 8)}`;
    const consumer = createConsumer(opts, { groupId, topics: [topic], fromBeginning: true, sessionTimeoutMs: 10_000 });
    const got: ConsumedMessage[] = [];
    await consumer.connect();
    try {
      await consumer.run(async (batch) => {
        got.push(...batch.messages);
        const last = batch.messages.at(-1)!;
        await consumer.commit([{ topic, partition: batch.partition, offset: String(BigInt(last.offset) + 1n) }]);
      });
      await waitFor('20 messages over the secure listener', async () => got.length >= 20, 60_000);
    } finally {
      await consumer.disconnect();
    }
    expect(got.map((m) => m.value!.toString()).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`).sort());
    const lag = await admin.lag(groupId, [topic]);
    expect(lag.map((p) => p.lag)).toEqual([0, 0]);
  } finally {
    await admin.disconnect();
  }
}

/** Connection attempts still settling (librdkafka gives up on a connect after 30 s): awaited at the end. */
const settling: Promise<unknown>[] = [];

/**
 * Connects and lists topics, which must fail for `reason`: seen in the error, or in the client's log
 * as soon as it happens (librdkafka logs an authentication failure at once but keeps trying).
 */
async function expectRefused(opts: KafkaOptions, reason: RegExp): Promise<void> {
  const from = lines.length;
  const admin = createAdmin(opts);
  let outcome: string | undefined;
  const attempt = admin
    .connect()
    .then(() => admin.ensureTopics([]))
    .then(
      () => void (outcome = 'connected'),
      (err: Error) => void (outcome = `refused: ${err.message}`),
    );
  settling.push(attempt.finally(() => admin.disconnect().catch(() => undefined)));
  const evidence = () => [outcome ?? '', ...lines.slice(from)].filter((l) => reason.test(l));
  await waitFor(`a refusal matching ${reason}`, async () => outcome === 'connected' || evidence().length > 0, 45_000, 100);
  expect(outcome).not.toBe('connected');
}

describe.each(CLIENTS)('Kafka security (%s)', (client) => {
  it('produces, consumes and commits over SASL_SSL with SCRAM-SHA-256', async () => {
    const opts = options(client, saslSsl('scram-sha-256'));
    expect(opts.security).toEqual({ tls: { caFile: secure.caFile }, sasl: { mechanism: 'scram-sha-256', username: user, password } });
    await roundTrip(opts);
  });

  it('produces, consumes and commits over SASL_SSL with SCRAM-SHA-512', async () => {
    await roundTrip(options(client, saslSsl('SCRAM-SHA-512')));
  });

  it('produces, consumes and commits over SASL_PLAINTEXT with SCRAM-SHA-512', async () => {
    const opts = options(client, saslPlaintext('scram-sha-512'));
    expect(opts.security).toEqual({ sasl: { mechanism: 'scram-sha-512', username: user, password } });
    await roundTrip(opts);
  });

  it('is refused with a wrong password', async () => {
    await expectRefused(options(client, saslSsl('scram-sha-256', `${password}x`)), /[Aa]uthentication failed/);
  });

  it('refuses a broker certificate its CA file does not vouch for', async () => {
    const { KAFKA_TLS_CA_FILE: _ca, ...withoutCa } = saslSsl('scram-sha-256');
    await expectRefused(options(client, withoutCa), /self[- ]signed certificate|certificate verify failed/);
  });

  it('is refused on a SASL listener without SASL', async () => {
    // The broker drops a client that skips the SASL handshake.
    await expectRefused(options(client, { KAFKA_BROKERS: secure.saslPlaintext }), client === 'kafkajs' ? /Closed connection/ : /broker transport failure/);
  });
});
