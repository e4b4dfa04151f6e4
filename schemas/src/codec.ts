// Kafka message values. Default framing is Avro single-object encoding:
//   C3 01 | 8-byte little-endian CRC-64-AVRO fingerprint of the writer schema | Avro binary body.
// Optional Confluent framing: 00 | 4-byte big-endian schema id (from registry.json) | body.
// Decoding recognises either framing by its first byte, reads any version of the topic's
// schema as the latest one, then applies the semantic checks. It never throws.
import type { Type } from 'avsc';
import { TOPICS, type AnyEvent, type EventByTopic, type Topic, type ValidationIssue } from './types.ts';
import { catalog, type SchemaVersion, type TopicSchemas } from './catalog.ts';
import { fingerprintBytes } from './fingerprint.ts';
import { formatIssues, semanticIssues } from './semantic.ts';
import { checkFields } from './validate.ts';

export type Framing = 'single-object' | 'confluent';

export interface EncodeOptions {
  /** Default 'single-object'. */
  framing?: Framing;
}

export type Decoded<T> =
  | { ok: true; event: T; schemaVersion: number }
  | { ok: false; reason: 'decode' | 'invalid'; detail: string; issues?: ValidationIssue[] };

/** Thrown by encodeEvent for an event that consumers would reject. */
export class EventValidationError extends Error {
  constructor(
    readonly topic: string,
    readonly issues: ValidationIssue[],
  ) {
    super(`invalid ${topic} event: ${formatIssues(issues)}`);
    this.name = 'EventValidationError';
  }
}

const SINGLE_OBJECT_MAGIC = 0xc3;
const SINGLE_OBJECT_MAGIC_2 = 0x01;
const CONFLUENT_MAGIC = 0x00;
const SINGLE_OBJECT_HEADER = 10;
const CONFLUENT_HEADER = 5;

interface Lookup {
  byFingerprint: Map<string, SchemaVersion>;
  byId: Map<number, SchemaVersion>;
  /** Header bytes for writing with each topic's latest version. */
  singleObjectHeader: Map<Topic, Buffer>;
  confluentHeader: Map<Topic, Buffer>;
}

function buildLookup(schemas: ReadonlyMap<Topic, TopicSchemas>): Lookup {
  const l: Lookup = { byFingerprint: new Map(), byId: new Map(), singleObjectHeader: new Map(), confluentHeader: new Map() };
  for (const t of schemas.values()) {
    for (const v of t.versions) {
      l.byFingerprint.set(v.fingerprintKey, v);
      if (v.registryId !== undefined) l.byId.set(v.registryId, v);
    }
    const latest = t.latest;
    l.singleObjectHeader.set(
      t.topic,
      Buffer.concat([Buffer.from([SINGLE_OBJECT_MAGIC, SINGLE_OBJECT_MAGIC_2]), fingerprintBytes(latest.fingerprint)]),
    );
    if (latest.registryId !== undefined) {
      const h = Buffer.alloc(CONFLUENT_HEADER);
      h.writeUInt8(CONFLUENT_MAGIC, 0);
      h.writeUInt32BE(latest.registryId, 1);
      l.confluentHeader.set(t.topic, h);
    }
  }
  return l;
}

// Reused encode buffer: avsc writes into it and we copy out exactly the used bytes.
let scratch = Buffer.allocUnsafe(64 * 1024);

function writeFramed(type: Type, header: Buffer, event: unknown): Buffer {
  header.copy(scratch, 0);
  let end = type.encode(event, scratch, header.length);
  while (end < 0) {
    // avsc returns minus the number of missing bytes when the buffer is too small.
    scratch = Buffer.allocUnsafe(2 * (scratch.length - end));
    header.copy(scratch, 0);
    end = type.encode(event, scratch, header.length);
  }
  const out = Buffer.allocUnsafe(end);
  scratch.copy(out, 0, 0, end);
  return out;
}

export interface Codec {
  encode<T extends Topic>(topic: T, event: EventByTopic[T], opts?: EncodeOptions): Buffer;
  decode<T extends Topic>(topic: T, bytes: Uint8Array): Decoded<EventByTopic[T]>;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function hex(b: Uint8Array, from: number, to: number): string {
  return Buffer.from(b.buffer, b.byteOffset + from, to - from).toString('hex');
}

type Located = { version: SchemaVersion; bodyStart: number } | { error: string };

/** Finds the writer schema named by the message header. */
function locate(l: Lookup, topic: Topic, buf: Buffer): Located {
  if (buf.length === 0) return { error: 'empty message' };
  const first = buf[0];
  if (first === SINGLE_OBJECT_MAGIC) {
    if (buf.length < 2 || buf[1] !== SINGLE_OBJECT_MAGIC_2) {
      return { error: `bad single-object marker 0x${hex(buf, 0, Math.min(2, buf.length))}, expected 0xc301` };
    }
    if (buf.length < SINGLE_OBJECT_HEADER) {
      return { error: `truncated single-object header: ${buf.length} bytes, need ${SINGLE_OBJECT_HEADER}` };
    }
    const fp = () => hex(buf, 2, SINGLE_OBJECT_HEADER);
    const v = l.byFingerprint.get(buf.toString('latin1', 2, SINGLE_OBJECT_HEADER));
    if (!v) return { error: `unknown schema fingerprint ${fp()} (little-endian)` };
    if (v.topic !== topic) return { error: `schema fingerprint ${fp()} is ${v.topic}/v${v.version}, not a ${topic} schema` };
    return { version: v, bodyStart: SINGLE_OBJECT_HEADER };
  }
  if (first === CONFLUENT_MAGIC) {
    if (buf.length < CONFLUENT_HEADER) {
      return { error: `truncated Confluent header: ${buf.length} bytes, need ${CONFLUENT_HEADER}` };
    }
    const id = buf.readUInt32BE(1);
    const v = l.byId.get(id);
    if (!v) return { error: `unknown schema id ${id}` };
    if (v.topic !== topic) return { error: `schema id ${id} is ${v.topic}/v${v.version}, not a ${topic} schema` };
    return { version: v, bodyStart: CONFLUENT_HEADER };
  }
  const hint = first === 0x7b ? ' (looks like JSON)' : '';
  return {
    error: `unknown magic byte 0x${hex(buf, 0, 1)}${hint}; expected 0xc301 (Avro single-object) or 0x00 (Confluent)`,
  };
}

/**
 * A codec over a set of topic schemas. The package-level encodeEvent/decodeEvent use the one
 * built from the avro/ folder; tests build others to exercise schema evolution.
 */
export function createCodec(schemas: ReadonlyMap<Topic, TopicSchemas>): Codec {
  const l = buildLookup(schemas);

  function encode<T extends Topic>(topic: T, event: EventByTopic[T], opts: EncodeOptions = {}): Buffer {
    const t = schemas.get(topic);
    if (!t) throw new Error(`unknown topic "${String(topic)}"; expected one of ${TOPICS.join(', ')}`);
    const framing = opts.framing ?? 'single-object';
    const header = (framing === 'confluent' ? l.confluentHeader : l.singleObjectHeader).get(topic);
    if (!header) throw new Error(`no Confluent schema id for ${topic}/v${t.latest.version} in registry.json`);
    let bytes: Buffer;
    try {
      bytes = writeFramed(t.latest.type, header, event); // avsc checks types as it writes
    } catch (err) {
      const { issues } = checkFields(topic, event, 'typed');
      throw new EventValidationError(topic, issues.length > 0 ? issues : [{ field: '', reason: errorText(err) }]);
    }
    const semantic = semanticIssues(topic, event);
    if (semantic.length > 0) throw new EventValidationError(topic, [...semantic]);
    return bytes;
  }

  function decode<T extends Topic>(topic: T, bytes: Uint8Array): Decoded<EventByTopic[T]> {
    const t = schemas.get(topic);
    if (!t) return { ok: false, reason: 'decode', detail: `unknown topic "${String(topic)}"; expected one of ${TOPICS.join(', ')}` };
    // avsc reads strings with Buffer methods, so a plain Uint8Array is viewed (not copied) as a Buffer.
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const at = locate(l, topic, buf);
    if ('error' in at) return { ok: false, reason: 'decode', detail: at.error };
    const { version } = at;
    let event: EventByTopic[T];
    try {
      event = t.latest.type.fromBuffer(buf.subarray(at.bodyStart), version.resolver) as EventByTopic[T];
    } catch (err) {
      return { ok: false, reason: 'decode', detail: `${topic}/v${version.version} body does not decode: ${errorText(err)}` };
    }
    const issues = semanticIssues(topic, event);
    if (issues.length > 0) return { ok: false, reason: 'invalid', detail: formatIssues(issues), issues: [...issues] };
    return { ok: true, event, schemaVersion: version.version };
  }

  return { encode, decode };
}

let defaultCodec: Codec | undefined;

function codec(): Codec {
  return (defaultCodec ??= createCodec(catalog()));
}

/**
 * Encodes an event with the latest schema of its topic. Throws EventValidationError if it does
 * not fit the schema or fails a semantic check, so a producer learns at once, not via the DLQ.
 */
export function encodeEvent<T extends Topic>(topic: T, event: EventByTopic[T], opts?: EncodeOptions): Buffer {
  return codec().encode(topic, event, opts);
}

/**
 * Decodes a message of a topic written with any version of its schema, as the latest version.
 * Never throws; an unknown topic name (e.g. from configuration) is a decode error.
 */
export function decodeEvent<T extends Topic>(topic: T, bytes: Uint8Array): Decoded<EventByTopic[T]>;
export function decodeEvent(topic: string, bytes: Uint8Array): Decoded<AnyEvent>;
export function decodeEvent(topic: string, bytes: Uint8Array): Decoded<AnyEvent> {
  return codec().decode(topic as Topic, bytes);
}
