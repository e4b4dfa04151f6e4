/**
 * Ingest security against the real broker: API keys (401/403, per-topic scopes), per-key rate
 * limits (429 + Retry-After), /readyz following the broker, user_id pseudonymised with the SDK's
 * function, and no secret in the logs.
 */
import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIngestConfig, newApiKey, startIngest, type RunningIngest } from '@cs/ingest';
import { createEventProducer } from '@cs/producer';
import { decodeEvent } from '@cs/schemas';
import { createTopics, kafkaOptions, uniquePrefix, waitFor } from '../support/pipeline.ts';
import { readMessages } from '../support/read-topic.ts';

const prefix = uniquePrefix('ingestsec');
const ivr = newApiKey('ivr', ['cs.sessions', 'cs.calls']);
const surveys = newApiKey('survey-tool');
const pseudonymKey = `test-pseudonymize-key-${'x'.repeat(24)}`;
const hmac = (userId: string) => createHmac('sha256', pseudonymKey).update(userId).digest('hex');

/** Everything the services log in this file, to check that no secret is in it. */
let logText = '';
const logger = pino({ level: 'debug' }, new Writable({ write: (chunk: Buffer, _enc, done) => ((logText += chunk.toString()), done()) }));

const env = {
  CS_INGEST_API_KEYS: JSON.stringify([ivr.entry, surveys.entry]),
  CS_PSEUDONYMIZE_KEY: pseudonymKey,
  INGEST_RATE_LIMIT: '3',
  INGEST_RATE_WINDOW: '30s',
};

const session = (id: string, extra: Record<string, unknown> = {}) => ({
  event_id: `ev-${id}`, event_time: '2026-03-01T10:00:00.000Z', business_unit: 'cards', product: 'credit-card', type: 'STARTED',
  session_id: id, user_id: `user-${id}`, channel: 'APP', entry: 'SELF_SERVICE', ...extra,
});
const survey = (id: string) => ({
  event_id: `sv-${id}`, event_time: '2026-03-01T10:05:00.000Z', business_unit: 'cards', product: 'credit-card', type: 'RESPONDED',
  survey_id: id, contact_id: id, user_id: `user-${id}`, channel: 'APP', handled_by: 'SELF_SERVICE', score: 5, valid: true,
});

let ingest: RunningIngest;
let base: string;
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

beforeAll(async () => {
  await createTopics(prefix, 2);
  ingest = await startIngest({ config: { ...loadIngestConfig(env), port: 0, topicPrefix: prefix }, kafka: kafkaOptions('kafkajs', 'ingest-sec'), logger });
  base = `http://127.0.0.1:${ingest.http.port}`;
});
afterAll(async () => {
  await ingest?.stop();
});

describe('ingest API keys', () => {
  it('answers 401 without a key or with an unknown one, and sends nothing', async () => {
    const none = await post('/v1/events/cs.sessions', session('k0'));
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await none.json()) as { error: string }).error).toMatch(/an API key is required/);
    const unknown = await post('/v1/events/cs.sessions', session('k0'), bearer('csk_not-a-key'));
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toEqual({ error: 'unknown API key' });
    const mixed = await post('/v1/events', [{ topic: 'cs.sessions', ...session('k0') }]);
    expect(mixed.status).toBe(401);
  });

  it('accepts a known key (Bearer or X-API-Key) on its topics, and answers 403 on others', async () => {
    expect((await post('/v1/events/cs.sessions', session('k1'), bearer(ivr.key))).status).toBe(202);
    expect((await post('/v1/events/cs.surveys', survey('k2'), { 'x-api-key': surveys.key })).status).toBe(202);
    const refused = await post('/v1/events/cs.surveys', survey('k3'), bearer(ivr.key));
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toBe('API key "ivr" may not send to cs.surveys (it may send to cs.sessions, cs.calls)');
    // On /v1/events the topics are in the body: one refused topic refuses the whole request.
    const mixed = await post('/v1/events', [{ topic: 'cs.sessions', ...session('k4') }, { topic: 'cs.surveys', ...survey('k5') }], bearer(ivr.key));
    expect(mixed.status).toBe(403);
    const sessions = await readMessages([`${prefix}cs.sessions`, `${prefix}cs.surveys`], 2);
    expect(sessions.map((m) => m.topic).sort()).toEqual([`${prefix}cs.sessions`, `${prefix}cs.surveys`]);
  });

  it('limits requests per key with 429 and Retry-After, other keys unaffected', async () => {
    // ivr has used 2 requests of this window (k1, k4; k3 was refused by its scope before it counted), survey-tool 1.
    expect((await post('/v1/events/cs.sessions', session('k6'), bearer(ivr.key))).status).toBe(202);
    const limited = await post('/v1/events/cs.sessions', session('k8'), bearer(ivr.key));
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(((await limited.json()) as { error: string }).error).toMatch(/^rate limit: at most 3 requests per 30000 ms for this API key; retry in/);
    expect((await post('/v1/events/cs.surveys', survey('k7'), { 'x-api-key': surveys.key })).status).toBe(202);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/cs_ingest_requests_total\{status="429"\} 1/);
    expect(metrics).toMatch(/cs_ingest_requests_total\{status="401"\} 3/);
  });

  it('leaves the probes and the API description open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) expect((await fetch(`${base}${path}`)).status, path).toBe(200);
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, { post: { security: unknown[] } }> };
    expect(doc.paths['/v1/events/cs.calls']!.post.security).toEqual([{ apiKey: [] }, { bearer: [] }]);
  });
});

describe('user_id pseudonymisation', () => {
  it('gives the same keyed pseudonym through the ingest API and the SDK, as user_id and as the message key', async () => {
    const topicPrefix = uniquePrefix('pseudo');
    await createTopics(topicPrefix, 1);
    const res = await fetch(`${base}/v1/events/cs.sessions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': surveys.key }, body: JSON.stringify(session('p1', { user_id: 'alice' })) });
    expect(res.status).toBe(202);
    // The SDK with the same key in its environment (the default source of the key).
    process.env.CS_PSEUDONYMIZE_KEY = pseudonymKey;
    const sdk = await createEventProducer({ kafka: kafkaOptions('kafkajs', 'pseudo-sdk'), topicPrefix });
    delete process.env.CS_PSEUDONYMIZE_KEY;
    try {
      await sdk.send([{ topic: 'cs.sessions', event: session('p2', { user_id: 'alice' }) as never }]);
    } finally {
      await sdk.close();
    }
    const viaIngest = (await readMessages([`${prefix}cs.sessions`], 2)).find((m) => {
      const d = decodeEvent('cs.sessions', m.value!);
      return d.ok && d.event.session_id === 'p1';
    })!;
    const [viaSdk] = await readMessages([`${topicPrefix}cs.sessions`], 1);
    const users = [viaIngest, viaSdk!].map((m) => {
      const d = decodeEvent('cs.sessions', m.value!);
      return d.ok ? d.event.user_id : d.detail;
    });
    expect(users).toEqual([hmac('alice'), hmac('alice')]);
    expect([viaIngest.key!.toString(), viaSdk!.key!.toString()]).toEqual([hmac('alice'), hmac('alice')]);
    expect(users[0]).not.toContain('alice');
  });
});

describe('readiness', () => {
  it('is not ready, and answers 503, while the broker cannot be reached; /healthz stays 200', async () => {
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', () => r()));
    const port = (free.address() as { port: number }).port;
    await new Promise<void>((r) => free.close(() => r())); // nothing listens there now
    const down = await startIngest({ config: { ...loadIngestConfig({}), port: 0, topicPrefix: prefix, readinessIntervalMs: 200 }, kafka: { ...kafkaOptions('kafkajs', 'ingest-down'), brokers: [`127.0.0.1:${port}`] }, logger });
    try {
      const url = `http://127.0.0.1:${down.http.port}`;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { ready: boolean }).ready).toBe(false);
      await waitFor('the connection attempt to fail', async () => /cannot connect to Kafka/.test(down.readiness.reason ?? ''), 60_000);
      const send = await fetch(`${url}/v1/events/cs.sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(session('d1')) });
      expect(send.status).toBe(503);
      expect(send.headers.get('retry-after')).toBe('5');
      expect(((await send.json()) as { error: string }).error).toMatch(/^events not accepted: Kafka unavailable/);
    } finally {
      await down.stop();
    }
  });

  it('is ready once the producer is connected and the broker answers the probe', async () => {
    await waitFor('/readyz 200', async () => (await fetch(`${base}/readyz`)).status === 200, 30_000);
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ ready: true });
  });
});

describe('secrets', () => {
  it('never logs an API key or the pseudonymisation key', () => {
    expect(logText.length).toBeGreaterThan(0);
    expect(logText).toContain('ingest API configured'); // the log was captured
    for (const secret of [ivr.key, surveys.key, pseudonymKey, 'csk_not-a-key']) expect(logText).not.toContain(secret);
  });
});
