// The hand-written TS types must say what the .avsc files say (the files are the truth).
import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import { EVENT_SHAPES, ENUM_FIELDS, TOPICS, TYPES_BY_TOPIC, type FieldShape } from '../src/types.ts';
import { SCHEMA_DIR, topicSchemas } from '../src/catalog.ts';
import { fieldSpecs, type FieldSpec } from '../src/fields.ts';

const KIND_IN_TS: Record<FieldSpec['kind'], string> = {
  string: 'string',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  boolean: 'boolean',
  enum: 'enum',
};

describe('TypeScript types mirror the Avro schemas', () => {
  it('TOPICS lists exactly the topic folders under avro/', () => {
    const dirs = readdirSync(SCHEMA_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect([...dirs].sort()).toEqual([...TOPICS].sort());
  });

  it.each(TOPICS)('%s: field names, order, optionality and kinds', (topic) => {
    const specs = fieldSpecs(topicSchemas(topic).latest.schema);
    const fromAvro = Object.fromEntries(
      specs.map((f) => [f.name, `${f.nullable ? 'optional' : 'required'} ${KIND_IN_TS[f.kind]}` as FieldShape]),
    );
    expect(EVENT_SHAPES[topic]).toEqual(fromAvro);
    expect(Object.keys(EVENT_SHAPES[topic])).toEqual(specs.map((f) => f.name));
  });

  it.each(TOPICS)('%s: `type` symbols and other enum symbols', (topic) => {
    const specs = fieldSpecs(topicSchemas(topic).latest.schema);
    const symbols = (name: string) => specs.find((f) => f.name === name)?.symbols;
    expect(symbols('type')).toEqual([...TYPES_BY_TOPIC[topic]]);
    const enums = specs.filter((f) => f.kind === 'enum' && f.name !== 'type');
    expect(Object.fromEntries(enums.map((f) => [f.name, [...f.symbols]]))).toEqual(
      Object.fromEntries(Object.entries(ENUM_FIELDS[topic]).map(([k, v]) => [k, [...(v as readonly string[])]])),
    );
  });

  it('every event_time is a timestamp-millis long and every record lives in cs.events', () => {
    for (const topic of TOPICS) {
      const { schema } = topicSchemas(topic).latest;
      expect(schema.namespace).toBe('cs.events');
      expect(fieldSpecs(schema).find((f) => f.name === 'event_time')).toMatchObject({ kind: 'long', timestampMillis: true, nullable: false });
    }
  });
});
