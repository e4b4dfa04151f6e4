import { describe, it, expect } from 'vitest';
import { fieldSpecs } from '../src/fields.ts';
import type { RecordSchema } from '../src/catalog.ts';

const record = (fields: RecordSchema['fields']): RecordSchema => ({ type: 'record', name: 'R', namespace: 'cs.events', fields });

describe('fieldSpecs', () => {
  it('resolves enums referenced by short or full name in later fields', () => {
    const specs = fieldSpecs(
      record([
        { name: 'a', type: { type: 'enum', name: 'SiteType', symbols: ['IN_HOUSE', 'OUTSOURCED'] } },
        { name: 'b', type: ['null', 'SiteType'], default: null },
        { name: 'c', type: 'cs.events.SiteType' },
      ]),
    );
    expect(specs.map((f) => [f.name, f.kind, f.nullable, f.symbols])).toEqual([
      ['a', 'enum', false, ['IN_HOUSE', 'OUTSOURCED']],
      ['b', 'enum', true, ['IN_HOUSE', 'OUTSOURCED']],
      ['c', 'enum', false, ['IN_HOUSE', 'OUTSOURCED']],
    ]);
  });

  it('refuses shapes the JSON validator does not handle, naming the field', () => {
    expect(() => fieldSpecs(record([{ name: 'tags', type: { type: 'array', items: 'string' } }]))).toThrow(/R\.tags: unsupported/);
    expect(() => fieldSpecs(record([{ name: 'x', type: ['null', 'int', 'string'] }]))).toThrow(/R\.x: only \["null", X\] unions/);
  });
});
