// JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) of a topic's JSON input, derived from the
// latest .avsc like the validators are, so the published API description cannot drift from them.
// It describes the shape parseEvent accepts; the semantic rules (semantic.ts) are listed in its text.
import { topicSchemas } from './catalog.ts';
import { fieldSpecs, type FieldSpec } from './fields.ts';
import type { Topic } from './types.ts';

export type JsonSchema = { [key: string]: unknown };

const INT32 = { minimum: -(2 ** 31), maximum: 2 ** 31 - 1 };

function valueSchema(f: FieldSpec): JsonSchema {
  switch (f.kind) {
    case 'string':
      return { type: 'string' };
    case 'boolean':
      return { type: 'boolean' };
    case 'int':
      return { type: 'integer', ...INT32 };
    case 'float':
    case 'double':
      return { type: 'number' };
    case 'enum':
      return { type: 'string', enum: [...f.symbols] };
    case 'long':
      return f.timestampMillis
        ? { oneOf: [{ type: 'integer', description: 'epoch milliseconds' }, { type: 'string', format: 'date-time', description: 'ISO-8601 date-time with a time zone, e.g. 2026-11-27T09:00:00+08:00' }] }
        : { type: 'integer' };
  }
}

/** A nullable field accepts null too (and may be left out: it is not `required`). */
function nullable(s: JsonSchema): JsonSchema {
  if (typeof s.type === 'string') {
    const out: JsonSchema = { ...s, type: [s.type, 'null'] };
    if (Array.isArray(s.enum)) out.enum = [...(s.enum as unknown[]), null];
    return out;
  }
  return { anyOf: [s, { type: 'null' }] };
}

/** The JSON Schema of one event of `topic` (fields of its latest Avro schema; no other properties). */
export function eventJsonSchema(topic: Topic): JsonSchema {
  const record = topicSchemas(topic).latest.schema;
  const docs = new Map(record.fields.map((f) => [f.name, f.doc]));
  const properties: Record<string, JsonSchema> = {};
  for (const f of fieldSpecs(record)) {
    const schema = f.nullable ? nullable(valueSchema(f)) : valueSchema(f);
    const doc = docs.get(f.name);
    properties[f.name] = doc ? { ...schema, description: doc } : schema;
  }
  return {
    type: 'object',
    title: record.name,
    description: `${record.doc ?? `A ${topic} event.`} Avro schema ${record.namespace ? `${record.namespace}.` : ''}${record.name}; event ids must be non-empty, durations (*_ms) ≥ 0, scores within their range, and event_time at most 1 h ahead of now.`,
    properties,
    required: fieldSpecs(record).filter((f) => !f.nullable).map((f) => f.name),
    additionalProperties: false,
  };
}
