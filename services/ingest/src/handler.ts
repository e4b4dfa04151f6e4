/**
 * POST /v1/events/<topic> with one JSON event or an array of them, or POST /v1/events with
 * events that each carry their `topic`. All-or-nothing: if any event is invalid the answer is 400
 * with every event's reasons and nothing is sent; 202 only after the broker acknowledged all.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Producer, ProduceRecord } from '@cs/kafka';
import { toRecord } from '@cs/producer';
import { counter, readBody, sendJson, type Handler, type Logger } from '@cs/runtime';
import { isTopic, TOPICS, type Topic, type ValidationIssue } from '@cs/schemas';
import type { IngestConfig } from './config.ts';

const requests = counter('cs_ingest_requests_total', 'Ingest API requests by status', ['status']);
const events = counter('cs_ingest_events_total', 'Events received by topic and result', ['topic', 'result']);

interface EventError {
  index: number;
  topic: string | null;
  issues: ValidationIssue[];
}

/** Validates and encodes a batch; returns the records, or the errors of every invalid event. */
function prepareBatch(items: unknown[], topicOfPath: Topic | null, nowMs: number, topicPrefix = ''): { records: ProduceRecord[]; errors: EventError[] } {
  const records: ProduceRecord[] = [];
  const errors: EventError[] = [];
  items.forEach((item, index) => {
    let topic: unknown = topicOfPath;
    let fields = item;
    if (!topicOfPath) {
      const { topic: t, ...rest } = (item ?? {}) as Record<string, unknown>;
      topic = t;
      fields = rest;
    }
    if (!isTopic(topic)) {
      errors.push({ index, topic: null, issues: [{ field: 'topic', reason: `must be one of ${TOPICS.join(', ')}` }] });
      return;
    }
    const record = toRecord(topic, fields, { nowMs, topicPrefix });
    if (Array.isArray(record)) errors.push({ index, topic, issues: record });
    else records.push(record);
  });
  return { records, errors };
}

export function ingestHandler(producer: Producer, config: IngestConfig, logger: Logger): Handler {
  return async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const reply = (status: number, body: unknown) => {
      requests.inc({ status: String(status) });
      sendJson(res, status, body);
    };
    const segment = url.pathname.replace(/^\/v1\/events\/?/, '');
    const topicOfPath = segment === '' ? null : segment;
    if (topicOfPath !== null && !isTopic(topicOfPath)) return reply(404, { error: `unknown topic "${topicOfPath}"; expected one of ${TOPICS.join(', ')}` });
    let body: Buffer;
    try {
      body = await readBody(req, config.maxBodyBytes);
    } catch (err) {
      const status = (err as { status?: number }).status ?? 400;
      return reply(status, { error: (err as Error).message });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return reply(400, { error: `body is not valid JSON: ${(err as Error).message}` });
    }
    const items = Array.isArray(parsed) ? parsed : [parsed];
    if (items.length === 0) return reply(400, { error: 'no events in the body' });
    if (items.length > config.maxBatchEvents) return reply(413, { error: `at most ${config.maxBatchEvents} events per request, got ${items.length}` });
    const { records, errors } = prepareBatch(items, topicOfPath, Date.now(), config.topicPrefix);
    if (errors.length) {
      for (const e of errors) events.inc({ topic: e.topic ?? 'unknown', result: 'invalid' });
      return reply(400, { error: `${errors.length} of ${items.length} events are invalid; nothing was accepted`, invalid: errors });
    }
    try {
      await producer.send(records);
    } catch (err) {
      logger.error({ err }, 'kafka send failed');
      return reply(503, { error: `events not accepted: Kafka unavailable (${(err as Error).message}); retry` });
    }
    for (const r of records) events.inc({ topic: r.topic, result: 'accepted' });
    return reply(202, { accepted: records.length });
  };
}
