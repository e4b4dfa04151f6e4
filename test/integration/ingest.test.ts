/** The ingest HTTP API against the real broker: 202 only after the events are on their topics. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIngestConfig, startIngest, type RunningIngest } from '@cs/ingest';
import { decodeEvent } from '@cs/schemas';
import { createTopics, kafkaOptions, logger, uniquePrefix } from '../support/pipeline.ts';
import { readMessages } from '../support/read-topic.ts';

const prefix = uniquePrefix('ingest');
let ingest: RunningIngest;
let base: string;

const session = (id: string, extra: Record<string, unknown> = {}) => ({
  event_id: `ev-${id}`,
  event_time: '2026-03-01T10:00:00.000Z',
  business_unit: 'cards',
  product: 'credit-card',
  type: 'STARTED',
  session_id: id,
  user_id: `user-${id}`,
  channel: 'APP',
  entry: 'SELF_SERVICE',
  ...extra,
});

const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

beforeAll(async () => {
  await createTopics(prefix, 2);
  ingest = await startIngest({ config: { ...loadIngestConfig({}), port: 0, topicPrefix: prefix, maxBodyBytes: 64 * 1024 }, kafka: kafkaOptions('kafkajs', 'ingest-test'), logger });
  base = `http://127.0.0.1:${ingest.http.port}`;
});
afterAll(async () => {
  await ingest?.stop();
});

describe('ingest API', () => {
  it('accepts a valid batch with 202 after the broker acknowledged, and the events are on the topics', async () => {
    const res = await post('/v1/events/cs.sessions', [session('a'), session('b'), session('c', { channel: 'HOTLINE' })]);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 3 });
    const mixed = await post('/v1/events', [{ topic: 'cs.agents', event_id: 'ag1', event_time: Date.parse('2026-03-01T08:00:00Z'), business_unit: 'cards', product: 'all', type: 'LOGGED_IN', agent_id: 'a1', site_type: 'IN_HOUSE' }]);
    expect(mixed.status).toBe(202);

    const sessions = await readMessages([`${prefix}cs.sessions`], 3);
    const decoded = sessions.map((m) => decodeEvent('cs.sessions', m.value!)).map((d) => (d.ok ? d.event.session_id : d.detail));
    expect(decoded.sort()).toEqual(['a', 'b', 'c']);
    // Keyed by user_id (SPEC §2).
    expect(sessions.map((m) => m.key!.toString()).sort()).toEqual(['user-a', 'user-b', 'user-c']);
    const agents = await readMessages([`${prefix}cs.agents`], 1);
    expect(agents.map((m) => m.key!.toString())).toEqual(['a1']);
  });

  it('answers 400 naming the field when an event is invalid, and sends nothing of that batch', async () => {
    const res = await post('/v1/events/cs.sessions', [session('ok1'), session('bad', { channel: 42, event_time: 'yesterday' })]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { invalid: { index: number; issues: { field: string; reason: string }[] }[] };
    expect(body.invalid).toHaveLength(1);
    expect(body.invalid[0]!.index).toBe(1);
    expect(body.invalid[0]!.issues.map((i) => i.field).sort()).toEqual(['channel', 'event_time']);

    const future = await post('/v1/events/cs.sessions', session('future', { event_time: Date.now() + 2 * 3_600_000 }));
    expect(future.status).toBe(400);
    expect(JSON.stringify(await future.json())).toContain('event_time');
  });

  it('answers 413 for an oversize body, 404 for an unknown topic and 400 for malformed JSON', async () => {
    expect((await post('/v1/events/cs.sessions', 'x'.repeat(70 * 1024))).status).toBe(413);
    expect((await post('/v1/events/cs.nope', session('x'))).status).toBe(404);
    expect((await post('/v1/events/cs.sessions', '{"event_id":')).status).toBe(400);
  });

  it('serves health, readiness and Prometheus metrics', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/cs_ingest_requests_total\{status="202"\} 2/);
    expect(metrics).toMatch(/cs_ingest_events_total\{topic="cs.sessions",result="invalid"\} 2/);
  });
});
