/**
 * The ingest HTTP API on Fastify:
 *   POST /v1/events/<topic>   one event, a JSON array, or NDJSON lines of that topic
 *   POST /v1/events           events that each carry their `topic`
 *   GET  /healthz /readyz /metrics /openapi.json
 * All or nothing: a request with any invalid event is answered 400 with every event's reasons and
 * nothing is sent; 202 only after the broker acknowledged all. A wrong method on a known path is 405
 * with `Allow`; an unknown topic is 404.
 */
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifySchemaCompiler } from 'fastify';
import type { Producer, ProduceRecord } from '@cs/kafka';
import { toRecord } from '@cs/producer';
import { counter, registry, type Logger } from '@cs/runtime';
import { isTopic, TOPICS, type Topic, type ValidationIssue } from '@cs/schemas';
import { findApiKey, presentedKey, type ApiKeyEntry } from './api-keys.ts';
import { BODY_TYPES, HttpError, registerBodyParsers } from './body.ts';
import type { IngestConfig } from './config.ts';
import { eventBody, eventResponses, eventSchemaId, eventSecurity, mixedBody, openApiBase, sharedSchemas } from './openapi.ts';
import type { BrokerReadiness } from './readiness.ts';

const requests = counter('cs_ingest_requests_total', 'Ingest API requests by status', ['status']);
const events = counter('cs_ingest_events_total', 'Events received by topic and result', ['topic', 'result']);

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key entry the request authenticated with (undefined when the API is open). */
    apiKey: ApiKeyEntry | undefined;
  }
}

interface EventError {
  index: number;
  topic: string | null;
  issues: ValidationIssue[];
}

/** A request's events after validation: the Kafka records they become, and their topics. */
interface ValidatedBatch {
  records: ProduceRecord[];
  topics: Set<Topic>;
}

/** How long a request waits for the producer's first connection before it is answered 503. */
const CONNECT_WAIT_MS = 5_000;

export interface IngestServerDeps {
  config: IngestConfig;
  producer: Producer;
  readiness: BrokerReadiness;
  logger: Logger;
}

/**
 * The body validator of an event route (Fastify's validation step): each item is checked against
 * its topic's Avro-derived schema and semantic rules by the SDK's `toRecord` (which also
 * pseudonymises user_id when configured), and the body becomes the records to send.
 */
function eventsValidator(topicOfPath: Topic | null, config: IngestConfig): FastifySchemaCompiler<unknown> {
  return () => (body) => {
    const items = Array.isArray(body) ? body : [];
    if (items.length === 0) return { error: new HttpError(400, 'no events in the body') };
    const nowMs = Date.now();
    const batch: ValidatedBatch = { records: [], topics: new Set() };
    const errors: EventError[] = [];
    items.forEach((item, index) => {
      let topic: unknown = topicOfPath;
      let fields = item;
      if (!topicOfPath) {
        const { topic: t, ...rest } = (item !== null && typeof item === 'object' ? item : {}) as Record<string, unknown>;
        topic = t;
        fields = rest;
      }
      if (!isTopic(topic)) {
        errors.push({ index, topic: null, issues: [{ field: 'topic', reason: `must be one of ${TOPICS.join(', ')}` }] });
        return;
      }
      const record = toRecord(topic, fields, { nowMs, topicPrefix: config.topicPrefix, pseudonymize: config.pseudonymize });
      if (Array.isArray(record)) errors.push({ index, topic, issues: record });
      else {
        batch.records.push(record);
        batch.topics.add(topic);
      }
    });
    if (errors.length === 0) return { value: batch };
    for (const e of errors) events.inc({ topic: e.topic ?? 'unknown', result: 'invalid' });
    return { error: new HttpError(400, `${errors.length} of ${items.length} events are invalid; nothing was accepted`, { invalid: errors }) };
  };
}

/** 401 without a known key (when keys are configured); 403 when the key may not send to `topic`. */
function authenticate(config: IngestConfig, topic: Topic | null) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (config.apiKeys.length === 0) return;
    const key = presentedKey(req.headers);
    const entry = key === undefined ? undefined : findApiKey(config.apiKeys, key);
    if (!entry) {
      reply.header('www-authenticate', 'Bearer');
      throw new HttpError(401, key === undefined ? 'an API key is required: send "Authorization: Bearer <key>" or "X-API-Key: <key>"' : 'unknown API key');
    }
    req.apiKey = entry;
    if (topic) authorize(entry, [topic]);
  };
}

function authorize(entry: ApiKeyEntry, topics: Iterable<Topic>): void {
  const refused = [...topics].filter((t) => !entry.topics.has(t));
  if (refused.length) throw new HttpError(403, `API key "${entry.name}" may not send to ${refused.join(', ')} (it may send to ${[...entry.topics].join(', ')})`);
}

/** Answers for Fastify's own errors, in the API's `{ error }` form. */
function errorAnswer(err: Error & { statusCode?: number; code?: string }, req: FastifyRequest, config: IngestConfig): { status: number; body: Record<string, unknown> } {
  if (err instanceof HttpError) return { status: err.statusCode, body: { error: err.message, ...err.extra } };
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { error: `body larger than ${config.maxBodyBytes} bytes` } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: { error: `Content-Type must be ${BODY_TYPES.join(' or ')}, got ${req.headers['content-type'] ? `"${req.headers['content-type']}"` : 'none'}` } };
  }
  const status = err.statusCode ?? 500;
  return { status, body: { error: status >= 500 ? 'internal error' : err.message } };
}

export async function buildIngestServer(deps: IngestServerDeps): Promise<FastifyInstance> {
  const { config, producer, readiness, logger } = deps;
  const authRequired = config.apiKeys.length > 0;
  const app = Fastify({
    loggerInstance: logger.child({ component: 'http' }, { redact: ['req.headers.authorization', 'req.headers["x-api-key"]'] }) as FastifyBaseLogger,
    // One log line per request would drown the service's own; requests are counted in /metrics.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.maxBodyBytes,
  });
  app.decorateRequest('apiKey', undefined);
  registerBodyParsers(app, config.maxBatchEvents);
  for (const schema of sharedSchemas()) app.addSchema(schema);
  await app.register(swagger, {
    openapi: openApiBase(authRequired),
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  if (config.rateLimit > 0) {
    // Global, so that one store counts a key's requests on every event route together; the
    // operations routes opt out. The hook runs after a route's own onRequest (authentication).
    await app.register(rateLimit, {
      global: true,
      max: config.rateLimit,
      timeWindow: config.rateWindowMs,
      // Per key; an open API limits per client address.
      keyGenerator: (req: FastifyRequest) => (req.apiKey ? `key:${req.apiKey.name}` : `ip:${req.ip}`),
      errorResponseBuilder: (_req, ctx) =>
        new HttpError(429, `rate limit: at most ${ctx.max} requests per ${config.rateWindowMs} ms for this ${authRequired ? 'API key' : 'client'}; retry in ${ctx.after}`),
    });
  }

  // Methods per path, for the 405 answer's Allow header.
  const methods = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const set = methods.get(route.url) ?? new Set<string>();
    for (const m of [route.method].flat()) set.add(m);
    methods.set(route.url, set);
  });
  app.addHook('onResponse', async (req, reply) => {
    if (req.url.startsWith('/v1/events')) requests.inc({ status: String(reply.statusCode) });
  });
  app.setErrorHandler(async (err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const { status, body } = errorAnswer(err, req, config);
    if (status >= 500) req.log.error({ err }, 'ingest request failed');
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?')[0]!;
    const allowed = methods.get(path);
    if (allowed) {
      const allow = [...allowed].sort().join(', ');
      return reply.status(405).header('allow', allow).send({ error: `method ${req.method} is not allowed on ${path}; allowed: ${allow}` });
    }
    if (path.startsWith('/v1/events/')) {
      return reply.status(404).send({ error: `unknown topic "${decodeURIComponent(path.slice('/v1/events/'.length))}"; expected one of ${TOPICS.join(', ')}` });
    }
    return reply.status(404).send({ error: `no route ${req.method} ${path}` });
  });

  const send = async (req: FastifyRequest, reply: FastifyReply) => {
    const batch = req.body as ValidatedBatch;
    if (req.apiKey) authorize(req.apiKey, batch.topics);
    if (!(await readiness.connected(CONNECT_WAIT_MS))) {
      reply.header('retry-after', '5');
      throw new HttpError(503, `events not accepted: Kafka unavailable (${readiness.reason ?? 'not connected'}); retry`);
    }
    try {
      await producer.send(batch.records);
    } catch (err) {
      readiness.sendFailed(err as Error);
      req.log.error({ err }, 'kafka send failed');
      reply.header('retry-after', '5');
      throw new HttpError(503, `events not accepted: Kafka unavailable (${(err as Error).message}); retry`);
    }
    for (const r of batch.records) events.inc({ topic: r.topic.slice(config.topicPrefix.length), result: 'accepted' });
    return reply.status(202).send({ accepted: batch.records.length });
  };

  const eventRoute = (url: string, topic: Topic | null) =>
    app.post(url, {
      schema: {
        tags: ['events'],
        operationId: topic ? `send_${topic.replace(/^cs\./, '')}` : 'send_mixed',
        summary: topic ? `Send ${topic} events` : 'Send events of any topics, each with its topic',
        description: `Body: ${BODY_TYPES[0]} (one event or an array of events) or ${BODY_TYPES[1]} (one event per line)${topic ? '' : ', each event with its `topic`'}. All or nothing: one invalid event refuses the request (400, every invalid event with its reasons); 202 once Kafka acknowledged every event.`,
        security: eventSecurity(authRequired),
        body: topic ? eventBody(eventSchemaId(topic)) : mixedBody(),
        response: eventResponses(),
      },
      validatorCompiler: eventsValidator(topic, config),
      onRequest: authenticate(config, topic),
      // Without a body Fastify has no content type to validate by.
      preValidation: async (req) => {
        if (req.body === undefined) throw new HttpError(400, `no events in the body (send ${BODY_TYPES.join(' or ')})`);
      },
      handler: send,
    });
  for (const topic of TOPICS) eventRoute(`/v1/events/${topic}`, topic);
  eventRoute('/v1/events', null);

  const ops = (summary: string) => ({ schema: { tags: ['operations'], summary }, config: { rateLimit: false as const } });
  app.get('/healthz', ops('Liveness: the process answers'), async () => ({ status: 'ok' }));
  app.get('/readyz', ops('Readiness: the producer is connected and the broker answers'), async (_req, reply) =>
    reply.status(readiness.ready ? 200 : 503).send({ ready: readiness.ready, ...(readiness.reason ? { reason: readiness.reason } : {}) }),
  );
  app.get('/metrics', ops('Prometheus metrics'), async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  app.get('/openapi.json', ops('This API description (OpenAPI 3.1)'), async () => app.swagger());
  return app;
}
