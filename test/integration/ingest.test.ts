/** The ingest HTTP API against the real broker: 202 only after the events are on their topics. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIngestConfig, startIngest, type RunningIngest } from '@cs/ingest';
import { decodeEvent, parseEvent, SCHEMA_DIR, TOPICS, type Topic } from '@cs/schemas';
import { SAMPLES } from '../../schemas/test/samples.ts';
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

const post = (path: string, body: unknown, type = 'application/json') => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const ndjson = (items: unknown[]) => `${items.map((i) => JSON.stringify(i)).join('\n')}\n`;

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

describe('ingest API: bodies, methods and content types', () => {
  it('accepts NDJSON (one event per line, blank lines skipped) on a topic route and on /v1/events', async () => {
    const res = await post('/v1/events/cs.sessions', `${ndjson([session('n1'), session('n2')])}\n${JSON.stringify(session('n3'))}`, 'application/x-ndjson');
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 3 });
    const mixed = await post('/v1/events', ndjson([{ topic: 'cs.sessions', ...session('n4') }, { topic: 'cs.qa', event_id: 'qa-n', event_time: Date.parse('2026-03-01T10:00:00Z'), business_unit: 'cards', product: 'credit-card', type: 'REVIEWED', review_id: 'r-n', contact_id: 'n4', agent_id: 'ag', channel: 'APP', score: 90, passed: true }]), 'application/x-ndjson; charset=utf-8');
    expect(mixed.status).toBe(202);
    const got = await readMessages([`${prefix}cs.qa`, `${prefix}cs.sessions`], 3 + 4 + 1); // with the first test's 3 sessions
    const ids = got.filter((m) => m.topic.endsWith('cs.sessions')).map((m) => decodeEvent('cs.sessions', m.value!)).map((d) => (d.ok ? d.event.session_id : d.detail));
    expect(ids).toEqual(expect.arrayContaining(['n1', 'n2', 'n3', 'n4']));
    expect(got.filter((m) => m.topic.endsWith('cs.qa'))).toHaveLength(1);
  });

  it('answers 400 for NDJSON with a bad line or an invalid event, naming the line or the event', async () => {
    const badLine = await post('/v1/events/cs.sessions', `${JSON.stringify(session('l1'))}\n{"event_id":\n`, 'application/x-ndjson');
    expect(badLine.status).toBe(400);
    expect(((await badLine.json()) as { error: string }).error).toMatch(/^line 2 of the NDJSON body is not valid JSON/);
    const invalid = await post('/v1/events/cs.sessions', ndjson([session('l2'), session('l3', { entry: 'ROBOT' })]), 'application/x-ndjson');
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as { error: string; invalid: { index: number; topic: string; issues: { field: string; reason: string }[] }[] };
    expect(body.error).toBe('1 of 2 events are invalid; nothing was accepted');
    expect(body.invalid).toEqual([{ index: 1, topic: 'cs.sessions', issues: [{ field: 'entry', reason: 'must be one of SELF_SERVICE, HUMAN; got "ROBOT"' }] }]);
    const noTopic = await post('/v1/events', ndjson([session('l4')]), 'application/x-ndjson');
    expect(noTopic.status).toBe(400);
    expect(((await noTopic.json()) as { invalid: { issues: { field: string }[] }[] }).invalid[0]!.issues[0]!.field).toBe('topic');
  });

  it('answers 405 with Allow for a wrong method on an event route, 404 for an unknown path, 415 for another content type', async () => {
    for (const [method, path] of [['GET', '/v1/events/cs.sessions'], ['PUT', '/v1/events/cs.calls'], ['DELETE', '/v1/events'], ['GET', '/v1/events']]) {
      const res = await fetch(`${base}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(((await res.json()) as { error: string }).error).toBe(`method ${method} is not allowed on ${path}; allowed: POST`);
    }
    const post405 = await fetch(`${base}/healthz`, { method: 'POST' });
    expect(post405.status).toBe(405);
    expect(post405.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${base}/v1/events/cs.nope`)).status).toBe(404);
    const unknown = await fetch(`${base}/v2/things`);
    expect(unknown.status).toBe(404);
    const text = await post('/v1/events/cs.sessions', JSON.stringify(session('t1')), 'text/plain');
    expect(text.status).toBe(415);
    expect(((await text.json()) as { error: string }).error).toBe('Content-Type must be application/json or application/x-ndjson, got "text/plain"');
    const empty = await fetch(`${base}/v1/events/cs.sessions`, { method: 'POST' });
    expect(empty.status).toBe(400);
    expect(await post('/v1/events/cs.sessions', [])).toHaveProperty('status', 400);
  });
});

describe('ingest API: OpenAPI 3.1 document', () => {
  let doc: { openapi: string; paths: Record<string, Record<string, { operationId?: string; requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, unknown> }>>; components: { schemas: Record<string, { title?: string; properties: Record<string, { type?: unknown; enum?: unknown[] }>; required: string[]; additionalProperties: boolean }> } };
  beforeAll(async () => {
    const res = await fetch(`${base}/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as typeof doc;
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(doc.openapi).toBe('3.1.0');
  });

  it('has every topic route with its JSON and NDJSON bodies and its answers, and the operations routes', () => {
    for (const topic of TOPICS) {
      const op = doc.paths[`/v1/events/${topic}`]?.post;
      expect(op, topic).toBeDefined();
      expect(Object.keys(op!.requestBody!.content).sort()).toEqual(['application/json', 'application/x-ndjson']);
      expect(Object.keys(op!.responses).sort()).toEqual(['202', '400', '401', '403', '413', '415', '429', '503']);
      expect(JSON.stringify(op!.requestBody!.content['application/x-ndjson']!.schema)).toContain(`#/components/schemas/${doc.components.schemas[schemaName(topic)]!.title}`);
    }
    expect(doc.paths['/v1/events']?.post).toBeDefined();
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) expect(doc.paths[path]?.get, path).toBeDefined();
  });

  /** The topic's latest .avsc, read here from the file (not through the code under test). */
  const avsc = (topic: Topic) => {
    const dir = join(SCHEMA_DIR, topic);
    const latest = readdirSync(dir).filter((f) => /^v\d+\.avsc$/.test(f)).sort((a, b) => parseInt(a.slice(1)) - parseInt(b.slice(1))).at(-1)!;
    return JSON.parse(readFileSync(join(dir, latest), 'utf8')) as { name: string; fields: { name: string; type: unknown }[] };
  };
  const schemaName = (topic: Topic) => avsc(topic).name;

  it("describes each topic's events with exactly the fields of its Avro schema", () => {
    for (const topic of TOPICS) {
      const record = avsc(topic);
      const schema = doc.components.schemas[record.name];
      expect(schema, topic).toBeDefined();
      expect(Object.keys(schema!.properties), topic).toEqual(record.fields.map((f) => f.name));
      const nullable = (t: unknown) => Array.isArray(t) && t.includes('null');
      expect(schema!.required, topic).toEqual(record.fields.filter((f) => !nullable(f.type)).map((f) => f.name));
      expect(schema!.additionalProperties).toBe(false);
      for (const f of record.fields) {
        const t = nullable(f.type) ? (f.type as unknown[]).find((b) => b !== 'null') : f.type;
        const prop = schema!.properties[f.name]!;
        if (typeof t === 'object' && t !== null && (t as { type: string }).type === 'enum') {
          expect(prop.enum?.filter((v) => v !== null), `${topic}.${f.name}`).toEqual((t as { symbols: string[] }).symbols);
        }
        if (nullable(f.type)) expect(JSON.stringify(prop), `${topic}.${f.name}`).toContain('null');
      }
    }
  });

  it('agrees with the validator on valid and invalid events', () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    for (const [name, schema] of Object.entries(doc.components.schemas)) ajv.addSchema(schema, `#/components/schemas/${name}`);
    for (const topic of TOPICS) {
      const check = ajv.getSchema(`#/components/schemas/${schemaName(topic)}`)!;
      const sample = SAMPLES[topic] as unknown as Record<string, unknown>;
      expect(parseEvent(topic, sample).ok).toBe(true);
      expect(check(sample), `${topic}: ${JSON.stringify(check.errors)}`).toBe(true);
      const iso = { ...sample, event_time: '2026-03-01T10:00:00+08:00' };
      expect(check(iso)).toBe(parseEvent(topic, iso).ok);
      for (const bad of [{ ...sample, extra_field: 1 }, { ...sample, type: 'NOT_A_TYPE' }, { ...sample, event_time: 'yesterday' }, Object.fromEntries(Object.entries(sample).filter(([k]) => k !== 'event_id'))]) {
        expect(parseEvent(topic, bad).ok, `${topic} ${JSON.stringify(bad)}`).toBe(false);
        expect(check(bad), `${topic} ${JSON.stringify(bad)}`).toBe(false);
      }
    }
  });
});
