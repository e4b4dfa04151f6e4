import { describe, it, expect } from 'vitest';
import avro from 'avsc';
import { canonicalForm, fingerprintBytes, rabin64, schemaFingerprint } from '../src/fingerprint.ts';
import { catalog } from '../src/catalog.ts';
import { encodeEvent } from '../src/codec.ts';
import { TOPICS } from '../src/types.ts';
import { SAMPLES } from './samples.ts';

// Test vectors of the Avro project (share/test/data/schema-tests.txt): input schema,
// Parsing Canonical Form, and CRC-64-AVRO fingerprint as a signed 64-bit integer.
const VECTORS: Array<[input: string, canonical: string, fingerprint?: string]> = [
  ['"null"', '"null"', '7195948357588979594'],
  ['{"type":"null"}', '"null"'],
  ['"boolean"', '"boolean"', '-6970731678124411036'],
  ['"int"', '"int"', '8247732601305521295'],
  ['{"type":"int"}', '"int"'],
  ['"long"', '"long"', '-3434872931120570953'],
  ['"float"', '"float"', '5583340709985441680'],
  ['"double"', '"double"', '-8181574048448539266'],
  ['"bytes"', '"bytes"', '5746618253357095269'],
  ['"string"', '"string"', '-8142146995180207161'],
  ['[  ]', '[]', '-1241056759729112623'],
  ['[ "int"  ]', '["int"]', '-5232228896498058493'],
  ['[ "int" , {"type":"boolean"} ]', '["int","boolean"]', '5392556393470105090'],
  ['{"fields":[], "type":"record", "name":"foo"}', '{"name":"foo","type":"record","fields":[]}', '-4824392279771201922'],
  ['{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}', '{"name":"x.y.foo","type":"record","fields":[]}', '5916914534497305771'],
  ['{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}', '{"name":"a.b.foo","type":"record","fields":[]}', '-4616218487480524110'],
  ['{"fields":[], "type":"record", "name":"foo", "doc":"Useful info"}', '{"name":"foo","type":"record","fields":[]}', '-4824392279771201922'],
  ['{"fields":[], "type":"record", "name":"foo", "aliases":["foo","bar"]}', '{"name":"foo","type":"record","fields":[]}', '-4824392279771201922'],
  [
    '{"fields":[{"type":{"type":"boolean"}, "name":"f1"}], "type":"record", "name":"foo"}',
    '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}',
    '7843277075252814651',
  ],
  [
    '{ "fields":[{"type":"boolean", "aliases":[], "name":"f1", "default":"true"}, {"order":"descending","name":"f2","doc":"Hello","type":"int"}], "type":"record", "name":"foo" }',
    '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}',
    '-4860222112080293046',
  ],
  ['{"type":"enum", "name":"foo", "symbols":["A1"]}', '{"name":"foo","type":"enum","symbols":["A1"]}', '-6342190197741309591'],
  [
    '{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}',
    '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}',
    '-4448647247586288245',
  ],
  ['{"name":"foo","type":"fixed","size":15}', '{"name":"foo","type":"fixed","size":15}', '1756455273707447556'],
  [
    '{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}',
    '{"name":"x.y.z.foo","type":"fixed","size":32}',
    '-3064184465700546786',
  ],
  ['{ "items":{"type":"null"}, "type":"array"}', '{"type":"array","items":"null"}', '-589620603366471059'],
  ['{ "values":"string", "type":"map"}', '{"type":"map","values":"string"}', '-8732877298790414990'],
  [
    '{"name":"PigValue","type":"record", "fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}',
    '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
    '-1759257747318642341',
  ],
];

describe('Parsing Canonical Form and CRC-64-AVRO', () => {
  it.each(VECTORS)('%s', (input, canonical, fingerprint) => {
    expect(canonicalForm(JSON.parse(input))).toBe(canonical);
    if (fingerprint !== undefined) {
      expect(BigInt.asIntN(64, schemaFingerprint(JSON.parse(input))).toString()).toBe(fingerprint);
    }
  });

  it('matches the published single-object header of "int" (c3 01 8f 5c 39 3f 1a d5 75 72)', () => {
    expect(rabin64(Buffer.from('"int"')).toString(16)).toBe('7275d51a3f395c8f');
    expect(fingerprintBytes(schemaFingerprint('int')).toString('hex')).toBe('8f5c393f1ad57572');
  });

  it('strips logical types and repeats named types by full name only', () => {
    const schema = {
      type: 'record',
      name: 'R',
      namespace: 'n',
      fields: [
        { name: 't', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'a', type: { type: 'enum', name: 'E', symbols: ['X'] } },
        { name: 'b', type: ['null', 'E'], default: null },
      ],
    };
    expect(canonicalForm(schema)).toBe(
      '{"name":"n.R","type":"record","fields":[{"name":"t","type":"long"},{"name":"a","type":{"name":"n.E","type":"enum","symbols":["X"]}},{"name":"b","type":["null","n.E"]}]}',
    );
  });

  it.each(TOPICS)('%s: canonical form agrees with avsc and the wire header carries the fingerprint', (topic) => {
    for (const v of catalog().get(topic)?.versions ?? []) {
      // avsc's schema() without options is its rendering of the canonical form: a cross-check.
      expect(v.canonical).toBe(JSON.stringify(avro.Type.forSchema(v.schema as avro.Schema).schema()));
    }
    const latest = catalog().get(topic)?.latest;
    const bytes = encodeEvent(topic, SAMPLES[topic]);
    expect(bytes.subarray(0, 2).toString('hex')).toBe('c301');
    expect(bytes.readBigUInt64LE(2)).toBe(latest?.fingerprint);
  });
});
