/**
 * The API description: route schemas (from which @fastify/swagger builds the OpenAPI 3.1 document
 * served at /openapi.json) and the shared event schemas, one per topic, derived from the Avro
 * schemas (eventJsonSchema). Fastify also serializes responses with the response schemas below.
 */
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { eventJsonSchema, TOPICS, type JsonSchema, type Topic } from '@cs/schemas';
import { JSON_TYPE, NDJSON_TYPE } from './body.ts';

export const API_VERSION = '1.0.0';

/** Component name of a topic's event schema: the Avro record name (SessionEvent, CallEvent, …). */
export const eventSchemaId = (topic: Topic): string => String(eventJsonSchema(topic).title);
const withTopicId = (topic: Topic) => `${eventSchemaId(topic)}WithTopic`;
const ref = (id: string) => ({ $ref: `${id}#` });

/** Shared schemas: each topic's event, the same with its `topic` (for POST /v1/events), the answers. */
export function sharedSchemas(): JsonSchema[] {
  const events = TOPICS.flatMap((topic) => {
    const schema = eventJsonSchema(topic);
    const properties = schema.properties as Record<string, JsonSchema>;
    return [
      { ...schema, $id: eventSchemaId(topic) },
      {
        ...schema,
        $id: withTopicId(topic),
        title: withTopicId(topic),
        description: `A ${topic} event with its topic, for POST /v1/events.`,
        properties: { topic: { type: 'string', const: topic }, ...properties },
        required: ['topic', ...(schema.required as string[])],
      },
    ];
  });
  const issue = { type: 'object', properties: { field: { type: 'string', description: "the field (dotted path; '' for the whole event)" }, reason: { type: 'string' } }, required: ['field', 'reason'] };
  return [
    ...events,
    {
      $id: 'Error',
      type: 'object',
      description: 'Why the request was refused. Nothing of a refused request was accepted.',
      properties: {
        error: { type: 'string' },
        invalid: {
          type: 'array',
          description: 'Every invalid event of the request (400 only).',
          items: { type: 'object', properties: { index: { type: 'integer', description: '0-based position in the request (array index or NDJSON line among the non-blank ones)' }, topic: { type: ['string', 'null'] }, issues: { type: 'array', items: issue } }, required: ['index', 'topic', 'issues'] },
        },
      },
      required: ['error'],
    },
    { $id: 'Accepted', type: 'object', properties: { accepted: { type: 'integer', description: 'events acknowledged by Kafka (all of the request)' } }, required: ['accepted'] },
  ];
}

const error = (description: string, headers?: Record<string, JsonSchema>) => ({ description, ...(headers ? { headers } : {}), content: { [JSON_TYPE]: { schema: ref('Error') } } });

/** The answers of an event route. */
export function eventResponses(): Record<string, unknown> {
  return {
    202: { description: 'Every event of the request is valid and was acknowledged by Kafka (acks=all).', content: { [JSON_TYPE]: { schema: ref('Accepted') } } },
    400: error('Invalid body or events: every invalid event with its reasons; nothing was accepted.'),
    401: error('No API key, or an unknown one (when the deployment configures keys).', { 'www-authenticate': { type: 'string' } }),
    403: error("The API key may not send to this topic."),
    413: error('The body is larger than INGEST_MAX_BODY_BYTES, or has more than INGEST_MAX_BATCH_EVENTS events.'),
    415: error(`Content-Type is neither ${JSON_TYPE} nor ${NDJSON_TYPE}.`),
    429: error('Too many requests for this API key; retry after Retry-After seconds.', { 'retry-after': { type: 'integer', description: 'seconds' } }),
    503: error('Kafka is unavailable: nothing was accepted; retry.', { 'retry-after': { type: 'integer', description: 'seconds' } }),
  };
}

/** The request body of an event route: JSON (one event or an array) or NDJSON (one per line). */
export function eventBody(schemaId: string): JsonSchema {
  return {
    content: {
      [JSON_TYPE]: { schema: { oneOf: [ref(schemaId), { type: 'array', items: ref(schemaId), minItems: 1 }] } },
      [NDJSON_TYPE]: { schema: ref(schemaId) },
    },
  };
}

export function mixedBody(): JsonSchema {
  const items = { oneOf: TOPICS.map((t) => ref(withTopicId(t))), discriminator: { propertyName: 'topic' } };
  return {
    content: {
      [JSON_TYPE]: { schema: { oneOf: [items, { type: 'array', items, minItems: 1 }] } },
      [NDJSON_TYPE]: { schema: items },
    },
  };
}

/** The document's top part (@fastify/swagger adds paths and components.schemas). */
export function openApiBase(authRequired: boolean): NonNullable<FastifyDynamicSwaggerOptions['openapi']> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'cs-analytics ingest API',
      version: API_VERSION,
      description:
        'Customer-service events into the cs-analytics pipeline. Each event is validated against its topic\'s Avro schema (the field ' +
        'lists below are derived from it) and the semantic rules; a request is accepted (202) only once Kafka acknowledged every event of it. ' +
        (authRequired ? 'Event routes need an API key.' : 'This deployment runs without API keys (CS_INGEST_API_KEYS unset): event routes are open.'),
    },
    tags: [
      { name: 'events', description: 'Send events' },
      { name: 'operations', description: 'Health, readiness, metrics and this document' },
    ],
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey' as const, in: 'header', name: 'X-API-Key' },
        bearer: { type: 'http' as const, scheme: 'bearer', description: 'the API key as a bearer token' },
      },
    },
  };
}

/** Security requirement of the event routes: a key, or (open deployment) none. */
export const eventSecurity = (authRequired: boolean): Array<Record<string, string[]>> => [{ apiKey: [] }, { bearer: [] }, ...(authRequired ? [] : [{}])];
