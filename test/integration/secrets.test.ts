/**
 * No secret in any log: the services run with every secret configured — the store's writer, analyst
 * and grafana passwords, the ClickHouse password of the processor, a Kafka SCRAM password used over
 * SASL_SSL by the processor and the ingest API, the ingest API's keys and the pseudonymisation key —
 * at debug level, through successes and failures
 * (an event ingested and processed, a bad event, a wrong ClickHouse password, a wrong Kafka password),
 * and then their complete log files, their console output and their /metrics are searched for every
 * secret. The logs must be substantial and show the failures, so the search is not vacuous.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, inject, it } from 'vitest';
import { readEndpointFile } from '@cs/clickhouse';
import { newApiKey } from '@cs/ingest';
import { createScramUser, startLocalKafka } from '../support/kafka.ts';
import { freePort, sqlRows, startChild, stopChild, type Child } from '../support/child.ts';
import { processorEnv, uniquePrefix, waitFor } from '../support/pipeline.ts';

const secret = (name: string) => `${name}-${randomBytes(12).toString('hex')}`;

it('keeps every configured secret out of the logs, the console and /metrics of every service', { timeout: 300_000 }, async () => {
  const secrets = {
    writer: secret('writer'),
    analyst: secret('analyst'),
    grafana: secret('grafana'),
    kafka: secret('kafka'),
    wrongKafka: secret('wrong-kafka'),
    wrongClickHouse: secret('wrong-clickhouse'),
    pseudonymize: secret('pseudonymize-key-of-32-bytes-at-least'),
  };
  const apiKey = newApiKey('secrets-test');
  const secure = inject('kafkaSecure') ?? (await startLocalKafka()).secure;
  const kafkaUser = `cs-secrets-${randomUUID().slice(0, 8)}`;
  await createScramUser(kafkaUser, secrets.kafka);
  const dir = mkdtempSync(join(tmpdir(), 'cs-secrets-'));
  const prefix = uniquePrefix('secrets');
  const kafka = (password: string) => ({
    KAFKA_BROKERS: secure.saslSsl,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: kafkaUser,
    KAFKA_SASL_PASSWORD: password,
    KAFKA_TLS: 'true',
    KAFKA_TLS_CA_FILE: secure.caFile,
  });
  // Every service sees every store password, as when one .env feeds them all.
  const shared = { LOG_LEVEL: 'debug', CS_WRITER_PASSWORD: secrets.writer, CS_ANALYST_PASSWORD: secrets.analyst, CS_GRAFANA_PASSWORD: secrets.grafana };
  const logFile = (name: string) => join(dir, `${name}.log`);
  const ports = { store: await freePort(), processor: await freePort(), ingest: await freePort(), intruder: await freePort() };
  const children: Record<string, Child> = {};

  try {
    children.store = startChild('services/stack/src/store.ts', {
      ...shared,
      LOG_FILE: logFile('store'),
      CS_DATA_DIR: join(dir, 'chdb'),
      CS_SQL_ENDPOINT_FILE: join(dir, 'endpoint.json'),
      SQL_PORT: '0',
      STORE_HTTP_PORT: String(ports.store),
    });
    let url: string | undefined;
    await waitFor('the store endpoint', async () => (url = readEndpointFile(join(dir, 'endpoint.json'))?.url) !== undefined, 60_000);
    /** A processor writing to the store as `writer`, logging in to Kafka with `kafkaPassword`. */
    const processor = (name: 'processor' | 'intruder', kafkaPassword: string) =>
      startChild('services/processor/src/main.ts', {
        ...shared,
        ...processorEnv(prefix, 'UTC'),
        ...kafka(kafkaPassword),
        CLICKHOUSE_URL: url!,
        CLICKHOUSE_USER: 'writer',
        CLICKHOUSE_PASSWORD: secrets.writer,
        LOG_FILE: logFile(name),
        PROCESSOR_HTTP_PORT: String(ports[name]),
      });

    children.processor = processor('processor', secrets.kafka);
    await waitFor('the processor to run', async () => /"msg":"processor running"/.test(readLog('processor')), 120_000);
    children.ingest = startChild('services/ingest/src/main.ts', {
      ...shared,
      ...kafka(secrets.kafka),
      CS_TOPIC_PREFIX: prefix,
      CS_INGEST_API_KEYS: JSON.stringify([apiKey.entry]),
      CS_PSEUDONYMIZE_KEY: secrets.pseudonymize,
      LOG_FILE: logFile('ingest'),
      INGEST_PORT: String(ports.ingest),
    });
    await waitFor('the ingest API', async () => (await fetch(`http://127.0.0.1:${ports.ingest}/readyz`).catch(() => undefined))?.ok === true, 60_000);

    // Traffic: one event through ingest → Kafka (SASL_SSL) → processor → store (writer); one bad event.
    const event = { event_id: randomUUID(), event_time: new Date().toISOString(), business_unit: 'cards', product: 'credit-card', type: 'STARTED', session_id: 's1', user_id: 'u1', channel: 'APP', entry: 'SELF_SERVICE' };
    expect((await fetch(`http://127.0.0.1:${ports.ingest}/v1/events/cs.sessions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey.key}` }, body: JSON.stringify(event) })).status).toBe(202);
    expect((await fetch(`http://127.0.0.1:${ports.ingest}/v1/events/cs.sessions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey.key}` }, body: '{"event_id": 1}' })).status).toBe(400);
    expect((await fetch(`http://127.0.0.1:${ports.ingest}/v1/events/cs.sessions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey.key}x` }, body: JSON.stringify(event) })).status).toBe(401);
    const analystUrl = (() => {
      const u = new URL(url!);
      u.username = 'analyst';
      u.password = secrets.analyst;
      return u.toString().replace(/\/$/, '');
    })();
    await waitFor('the event in cs.raw_sessions', async () => (await sqlRows<{ n: string }>(analystUrl, `SELECT toString(count()) AS n FROM cs.raw_sessions WHERE event_id = '${event.event_id}'`))[0]?.n === '1', 90_000, 500);

    // Failures: a wrong ClickHouse password at the store, a processor with a wrong Kafka password.
    const refused = await fetch(url!, { method: 'POST', body: 'SELECT 1', headers: { 'x-clickhouse-user': 'writer', 'x-clickhouse-key': secrets.wrongClickHouse } });
    expect(refused.status).toBe(403);
    children.intruder = processor('intruder', secrets.wrongKafka);
    await waitFor('the refused Kafka login in the log', async () => /[Aa]uthentication failed/.test(readLog('intruder') + children.intruder!.output()), 90_000, 500);

    const metrics: Record<string, string> = {};
    for (const [name, port] of Object.entries({ store: ports.store, processor: ports.processor, ingest: ports.ingest })) {
      metrics[name] = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    }
    expect(metrics.store).toMatch(/cs_sql_endpoint_requests_total\{role="unauthenticated",outcome="auth_failed"\} 1/);

    // The clients first, then the store they write to, as a deployment stops them (a processor whose
    // store is gone retries its last flush until its shutdown deadline, 40 s).
    const { store, ...clients } = children;
    await Promise.all(Object.entries(clients).map(([name, c]) => stopChild(c, name)));
    await stopChild(store!, 'store');

    const outputs: Record<string, string> = {};
    for (const name of Object.keys(children)) outputs[`${name} log file`] = readLog(name);
    for (const [name, child] of Object.entries(children)) outputs[`${name} console`] = child.output();
    for (const [name, text] of Object.entries(metrics)) outputs[`${name} /metrics`] = text;

    // Not vacuous: debug-level logs of real work and of the failures.
    expect(outputs['processor log file']!.split('\n').length).toBeGreaterThan(40);
    expect(outputs['processor log file']).toMatch(/"level":20/);
    expect(outputs['store log file']).toMatch(/"user":"writer".*"msg":"sql endpoint: authentication failed"/);
    for (const [where, text] of Object.entries(outputs)) {
      for (const [name, value] of Object.entries({ ...secrets, apiKey: apiKey.key })) expect(text.includes(value), `${name} secret in the ${where}`).toBe(false);
    }
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${Object.entries(children).map(([n, c]) => `--- ${n} console ---\n${c.output().slice(-2000)}\n--- ${n} log file ---\n${readLog(n).slice(-2000)}`).join('\n')}`);
  } finally {
    for (const child of Object.values(children)) if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
  }

  function readLog(name: string): string {
    try {
      return readFileSync(logFile(name), 'utf8');
    } catch {
      return '';
    }
  }
});
