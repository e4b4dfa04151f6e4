import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { createCodec, decodeEvent, encodeEvent, EventValidationError } from '../src/codec.ts';
import { buildTopicSchemas, REGISTRY_FILE, topicSchemas, type RecordSchema, type SchemaFile } from '../src/catalog.ts';
import { TOPICS, type CallEvent, type Topic } from '../src/types.ts';
import { SAMPLES } from './samples.ts';

const REGISTRY = JSON.parse(readFileSync(REGISTRY_FILE, 'utf8')) as Record<string, number>;

function decodeError(topic: Topic, bytes: Uint8Array): string {
  const r = decodeEvent(topic, bytes);
  if (r.ok || r.reason !== 'decode') throw new Error(`expected a decode error, got ${JSON.stringify(r)}`);
  return r.detail;
}

describe('round trip', () => {
  it.each(TOPICS)('%s in single-object and Confluent framing', (topic) => {
    for (const framing of ['single-object', 'confluent'] as const) {
      const bytes = encodeEvent(topic, SAMPLES[topic], { framing });
      expect(decodeEvent(topic, bytes)).toEqual({ ok: true, event: SAMPLES[topic], schemaVersion: 1 });
      // Plain Uint8Array views (not Buffers) at an offset decode too.
      const copy = new Uint8Array(bytes.length + 3);
      copy.set(bytes, 3);
      expect(decodeEvent(topic, copy.subarray(3))).toMatchObject({ ok: true, event: SAMPLES[topic] });
    }
  });

  it('keeps event_time a number of epoch ms', () => {
    const r = decodeEvent('cs.sessions', encodeEvent('cs.sessions', SAMPLES['cs.sessions']));
    expect(r.ok && typeof r.event.event_time).toBe('number');
  });

  it.each(TOPICS)('%s: Confluent framing is 0x00 + the big-endian id from registry.json', (topic) => {
    const bytes = encodeEvent(topic, SAMPLES[topic], { framing: 'confluent' });
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(REGISTRY[`${topic}/v1`]);
  });

  it('treats omitted optional fields as null when encoding', () => {
    const { intent: _i, agent_id: _a, ...rest } = SAMPLES['cs.sessions'];
    const r = decodeEvent('cs.sessions', encodeEvent('cs.sessions', rest as typeof SAMPLES['cs.sessions']));
    expect(r.ok && [r.event.intent, r.event.agent_id]).toEqual([null, null]);
  });
});

describe('bad bytes are decode errors, never exceptions', () => {
  const good = encodeEvent('cs.calls', SAMPLES['cs.calls']);

  it('reports empty, wrong magic, JSON and truncated headers', () => {
    expect(decodeError('cs.calls', Buffer.alloc(0))).toBe('empty message');
    expect(decodeError('cs.calls', Buffer.from([0x01, 0x02]))).toMatch(/^unknown magic byte 0x01;/);
    expect(decodeError('cs.calls', Buffer.from('{"event_id":"x"}'))).toMatch(/looks like JSON/);
    expect(decodeError('cs.calls', Buffer.from([0xc3, 0x02, 1, 2, 3, 4, 5, 6, 7, 8]))).toMatch(/bad single-object marker 0xc302/);
    expect(decodeError('cs.calls', good.subarray(0, 6))).toMatch(/truncated single-object header/);
    expect(decodeError('cs.calls', Buffer.from([0, 0, 0]))).toMatch(/truncated Confluent header/);
  });

  it('reports unknown fingerprints and ids, and schemas of another topic', () => {
    const fp = Buffer.from(good);
    fp[5] = (fp[5] ?? 0) ^ 0xff;
    expect(decodeError('cs.calls', fp)).toMatch(/^unknown schema fingerprint/);
    expect(decodeError('cs.calls', Buffer.from([0, 0, 0, 0x30, 0x39, 2]))).toBe('unknown schema id 12345');
    expect(decodeError('cs.calls', encodeEvent('cs.qa', SAMPLES['cs.qa']))).toMatch(/is cs\.qa\/v1, not a cs\.calls schema/);
    expect(decodeError('cs.calls', encodeEvent('cs.qa', SAMPLES['cs.qa'], { framing: 'confluent' }))).toMatch(
      /schema id 7 is cs\.qa\/v1, not a cs\.calls schema/,
    );
    expect(decodeError('cs.nope' as Topic, good)).toMatch(/unknown topic/);
  });

  it('reports every truncation and trailing bytes of a valid message', () => {
    for (let n = 0; n < good.length; n++) {
      expect(decodeEvent('cs.calls', good.subarray(0, n)).ok).toBe(false);
    }
    expect(decodeError('cs.calls', Buffer.concat([good, Buffer.from([0])]))).toMatch(/body does not decode: trailing data/);
  });

  it('survives random garbage, with and without a valid header', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const header = good.subarray(0, 10);
    for (let i = 0; i < 3000; i++) {
      const body = Buffer.from(Array.from({ length: Math.floor(rand() * 80) }, () => Math.floor(rand() * 256)));
      for (const bytes of [body, Buffer.concat([header, body])]) {
        const r = decodeEvent('cs.calls', bytes);
        if (!r.ok) expect(['decode', 'invalid']).toContain(r.reason);
      }
    }
  });
});

describe('semantic checks after decoding', () => {
  it('decodes well-typed but invalid events as reason "invalid" with issues', () => {
    const t = topicSchemas('cs.calls').latest;
    const bad: CallEvent = { ...SAMPLES['cs.calls'], wait_ms: -5, call_id: '' };
    const bytes = Buffer.concat([Buffer.from([0xc3, 0x01]), encodeEvent('cs.calls', SAMPLES['cs.calls']).subarray(2, 10), t.type.toBuffer(bad)]);
    expect(decodeEvent('cs.calls', bytes)).toEqual({
      ok: false,
      reason: 'invalid',
      detail: 'call_id: must be a non-empty id, got ""; wait_ms: must be a non-negative duration in milliseconds, got -5',
      issues: [
        { field: 'call_id', reason: 'must be a non-empty id, got ""' },
        { field: 'wait_ms', reason: 'must be a non-negative duration in milliseconds, got -5' },
      ],
    });
  });

  it('encodeEvent refuses what consumers would reject, naming the fields', () => {
    const bad = { ...SAMPLES['cs.surveys'], score: 9 };
    expect(() => encodeEvent('cs.surveys', bad)).toThrow(EventValidationError);
    expect(() => encodeEvent('cs.surveys', bad)).toThrow('invalid cs.surveys event: score: must be an integer 1–5, got 9');
    const mistyped = { ...SAMPLES['cs.surveys'], valid: 'yes' } as unknown as typeof bad;
    try {
      encodeEvent('cs.surveys', mistyped);
      expect.unreachable();
    } catch (err) {
      expect((err as EventValidationError).issues).toEqual([{ field: 'valid', reason: 'must be true or false, got "yes"' }]);
    }
  });
});

describe('schema evolution in the codec', () => {
  // A compatible v2 of cs.agents: a new optional field and a new enum symbol.
  const v1 = topicSchemas('cs.agents').versions[0]?.schema as RecordSchema;
  const v2: RecordSchema = JSON.parse(JSON.stringify(v1)) as RecordSchema;
  v2.fields.push({ name: 'team', type: ['null', 'string'], default: null });
  const typeField = v2.fields.find((f) => f.name === 'type') as { type: { symbols: string[] } };
  typeField.type.symbols.push('ON_BREAK');
  const files: SchemaFile[] = [
    { version: 1, schema: v1 },
    { version: 2, schema: v2 },
  ];
  const ids = { 'cs.agents/v1': 6, 'cs.agents/v2': 8 };
  const oldCodec = createCodec(new Map([['cs.agents', buildTopicSchemas('cs.agents', files.slice(0, 1), ids)]]));
  const newCodec = createCodec(new Map([['cs.agents', buildTopicSchemas('cs.agents', files, ids)]]));

  it('reads data written with v1 as v2 (fingerprint and id framing)', () => {
    for (const framing of ['single-object', 'confluent'] as const) {
      const r = newCodec.decode('cs.agents', oldCodec.encode('cs.agents', SAMPLES['cs.agents'], { framing }));
      expect(r).toEqual({ ok: true, event: { ...SAMPLES['cs.agents'], team: null }, schemaVersion: 1 });
    }
  });

  it('writes with the latest version', () => {
    const event = { ...SAMPLES['cs.agents'], team: 'night-shift' };
    const bytes = newCodec.encode('cs.agents', event);
    expect(newCodec.decode('cs.agents', bytes)).toEqual({ ok: true, event, schemaVersion: 2 });
    expect(bytes.readBigUInt64LE(2)).not.toBe(topicSchemas('cs.agents').latest.fingerprint);
  });

  it('avsc itself agrees the record is readable (sanity check of the fixture)', () => {
    expect(() => avro.Type.forSchema(v2 as avro.Schema).createResolver(avro.Type.forSchema(v1 as avro.Schema))).not.toThrow();
  });
});

describe('throughput', () => {
  it('decodes well over 100k small messages per second', () => {
    const msgs = Array.from({ length: 1000 }, (_, i) =>
      encodeEvent('cs.calls', { ...SAMPLES['cs.calls'], event_id: `ev-${i}`, call_id: `call-${i}` }),
    );
    const n = 200_000;
    let best = 0;
    for (let round = 0; round < 3; round++) {
      const t0 = performance.now();
      let ok = 0;
      for (let i = 0; i < n; i++) if (decodeEvent('cs.calls', msgs[i % 1000] as Buffer).ok) ok++;
      expect(ok).toBe(n);
      best = Math.max(best, n / ((performance.now() - t0) / 1000));
    }
    expect(best).toBeGreaterThan(100_000);
  });
});
