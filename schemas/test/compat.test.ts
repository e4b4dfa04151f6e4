// SPEC §2: every schema version must read data written with all earlier versions.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { backwardIncompatibilities, compatibilityError } from '../src/compat.ts';
import { buildTopicSchemas, readSchemaFiles, REGISTRY_FILE, SCHEMA_DIR, schemaSource, topicSchemas, type RecordSchema, type SchemaFile } from '../src/catalog.ts';
import { TOPICS } from '../src/types.ts';

const clone = (s: RecordSchema): RecordSchema => JSON.parse(JSON.stringify(s)) as RecordSchema;
const v1 = topicSchemas('cs.sessions').versions[0]?.schema as RecordSchema;

function withV2(change: (s: RecordSchema) => void): SchemaFile[] {
  const v2 = clone(v1);
  change(v2);
  return [
    { version: 1, schema: v1 },
    { version: 2, schema: v2 },
  ];
}

describe('committed schemas', () => {
  it.each(TOPICS)('%s: every version reads all earlier versions', (topic) => {
    const files = readSchemaFiles(join(SCHEMA_DIR, topic));
    expect(files.map((f) => f.version)).toEqual(files.map((_, i) => i + 1));
    expect(backwardIncompatibilities(files)).toEqual([]);
  });

  it('registry.json gives every version a distinct Confluent id', () => {
    const ids = JSON.parse(readFileSync(REGISTRY_FILE, 'utf8')) as Record<string, number>;
    const keys = TOPICS.flatMap((t) => readSchemaFiles(join(SCHEMA_DIR, t)).map((f) => `${t}/v${f.version}`));
    expect(Object.keys(ids).sort()).toEqual([...keys].sort());
    expect(new Set(Object.values(ids)).size).toBe(keys.length);
    for (const id of Object.values(ids)) expect(Number.isInteger(id) && id > 0).toBe(true);
  });
});

describe('the check catches incompatible changes', () => {
  it('accepts compatible changes: new optional field, new enum symbol, optional → nullable', () => {
    expect(
      backwardIncompatibilities(
        withV2((s) => {
          s.fields.push({ name: 'language', type: ['null', 'string'], default: null });
          (s.fields.find((f) => f.name === 'type')?.type as { symbols: string[] }).symbols.push('RATED');
          const channel = s.fields.find((f) => f.name === 'channel');
          if (channel) channel.type = ['null', 'string'];
        }),
      ),
    ).toEqual([]);
  });

  it('rejects a new field without a default', () => {
    const problems = backwardIncompatibilities(withV2((s) => s.fields.push({ name: 'language', type: 'string' })));
    expect(problems).toEqual([expect.stringMatching(/^v2 cannot read v1: .*language/)]);
  });

  it('rejects a changed field type', () => {
    const problems = backwardIncompatibilities(
      withV2((s) => {
        const f = s.fields.find((x) => x.name === 'user_id');
        if (f) f.type = 'int';
      }),
    );
    expect(problems).toHaveLength(1);
  });

  it('rejects a dropped enum symbol and a renamed record', () => {
    expect(
      backwardIncompatibilities(
        withV2((s) => {
          const t = s.fields.find((f) => f.name === 'type')?.type as { symbols: string[] };
          t.symbols = t.symbols.filter((x) => x !== 'BOT_TURN');
        }),
      ),
    ).toHaveLength(1);
    expect(compatibilityError({ ...clone(v1), name: 'ContactEvent' }, v1)).toMatch(/alias/);
  });

  it('checks against every earlier version, not only the previous one', () => {
    const files = withV2((s) => s.fields.push({ name: 'language', type: ['null', 'string'], default: null }));
    const v3 = clone(files[1]?.schema as RecordSchema);
    v3.fields = v3.fields.filter((f) => f.name !== 'language');
    v3.fields.push({ name: 'entry_point', type: 'string' }); // no default: v3 cannot read v1 or v2
    const problems = backwardIncompatibilities([...files, { version: 3, schema: v3 }]);
    expect(problems.map((p) => p.slice(0, 19))).toEqual(['v3 cannot read v1: ', 'v3 cannot read v2: ']);
  });
});

describe('the catalog refuses an incompatible latest version', () => {
  it('names the topic and the versions, so a producer or consumer stops before using it', () => {
    const files = withV2((s) => s.fields.push({ name: 'language', type: 'string' }));
    expect(() => buildTopicSchemas('cs.sessions', files, {})).toThrow(/^cs\.sessions: schema v2 cannot read v1 \(not backward compatible\): .*language/);
    expect(buildTopicSchemas('cs.sessions', withV2((s) => s.fields.push({ name: 'language', type: ['null', 'string'], default: null })), {}).latest.version).toBe(2);
  });

  it('reads CS_SCHEMA_DIR when set, else the package files', () => {
    expect(schemaSource({})).toEqual({ schemaDir: SCHEMA_DIR, registryFile: REGISTRY_FILE });
    expect(schemaSource({ CS_SCHEMA_DIR: '/srv/schemas' })).toEqual({ schemaDir: '/srv/schemas/avro', registryFile: '/srv/schemas/registry.json' });
  });
});
