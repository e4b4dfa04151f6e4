/**
 * The producer SDK: typed events in, Avro on Kafka out. Validates before sending (a precise
 * error names the field), keys each event per SPEC §2, pseudonymises `user_id` when a key is
 * configured, and resolves only after the broker acknowledged (idempotent producer, acks=all).
 * kafkajs is the default transport; node-rdkafka is an optional peer dependency, loaded only when
 * chosen (`kafka: { client: 'rdkafka' }` or KAFKA_CLIENT=rdkafka).
 */
import { createProducer, loadKafkaConfig, type KafkaOptions, type ProduceRecord, type Producer } from '@cs/kafka';
import { encodeEvent, messageKey, parseEvent, type Topic, type ValidationIssue } from '@cs/schemas';
import type { TopicEventInput } from './events.ts';
import { loadPseudonymizer, pseudonymizeEvent, type Pseudonymizer } from './pseudonymize.ts';

export type { EventInput, TopicEvent, TopicEventInput } from './events.ts';
export { loadPseudonymizer, pseudonymizer, pseudonymizeEvent, PseudonymizeKeyError, PSEUDONYMIZE_KEY_ENV, MIN_PSEUDONYMIZE_KEY_BYTES, type Pseudonymizer } from './pseudonymize.ts';

/** Thrown by `send` when an event is invalid; nothing of that call was sent. */
export class InvalidEventError extends Error {
  constructor(
    readonly index: number,
    readonly topic: string,
    readonly issues: ValidationIssue[],
  ) {
    super(`event ${index} (${topic}) is invalid: ${issues.map((i) => `${i.field}: ${i.reason}`).join('; ')}`);
  }
}

export interface EventProducer {
  /** Validates all, then sends all; resolves after every event was acknowledged. */
  send(items: readonly TopicEventInput[]): Promise<void>;
  close(): Promise<void>;
}

export interface RecordOptions {
  /** Wire framing; default Avro single-object encoding. */
  framing?: 'single-object' | 'confluent';
  /** Prepended to the topic name (CS_TOPIC_PREFIX), for pipelines sharing a cluster. */
  topicPrefix?: string;
  /** When set, an event_time more than 1 h after this clock is invalid. */
  nowMs?: number;
  /** Replaces user_id with its keyed pseudonym (see loadPseudonymizer). */
  pseudonymize?: Pseudonymizer;
}

export interface EventProducerOptions extends Omit<RecordOptions, 'nowMs' | 'pseudonymize'> {
  /** Kafka settings over those of the environment (KAFKA_BROKERS, KAFKA_CLIENT, KAFKA_CLIENT_ID). */
  kafka?: Partial<KafkaOptions>;
  /**
   * The user_id pseudonymizer; default: the one of CS_PSEUDONYMIZE_KEY when that is set. `false`
   * sends user_id as given even when the key is set.
   */
  pseudonymize?: Pseudonymizer | false;
}

/** Validates and encodes one event into a Kafka record, or returns its issues. */
export function toRecord(topic: Topic, input: unknown, opts: RecordOptions = {}): ProduceRecord | ValidationIssue[] {
  const parsed = parseEvent(topic, input, opts.nowMs === undefined ? {} : { nowMs: opts.nowMs });
  if (!parsed.ok) return parsed.issues;
  if (opts.pseudonymize) pseudonymizeEvent(parsed.event, opts.pseudonymize);
  return { topic: (opts.topicPrefix ?? '') + topic, key: messageKey(topic, parsed.event), value: encodeEvent(topic, parsed.event, { framing: opts.framing ?? 'single-object' }) };
}

/** A Date event_time as epoch milliseconds (the other accepted forms are checked by the schema). */
function plain(event: object): unknown {
  const time = (event as { event_time?: unknown }).event_time;
  return time instanceof Date ? { ...event, event_time: time.getTime() } : event;
}

export function wrapProducer(producer: Producer, opts: Omit<RecordOptions, 'nowMs'> = {}): EventProducer {
  return {
    async send(items) {
      const records: ProduceRecord[] = [];
      const nowMs = Date.now();
      items.forEach(({ topic, event }, index) => {
        const record = toRecord(topic, plain(event), { ...opts, nowMs });
        if (Array.isArray(record)) throw new InvalidEventError(index, topic, record);
        records.push(record);
      });
      if (records.length) await producer.send(records);
    },
    close: () => producer.disconnect(),
  };
}

export async function createEventProducer(opts: EventProducerOptions = {}): Promise<EventProducer> {
  const kafka = { ...loadKafkaConfig(process.env, 'kafkajs', 'cs-producer'), ...opts.kafka };
  const pseudonymize = opts.pseudonymize === false ? undefined : (opts.pseudonymize ?? loadPseudonymizer());
  const producer = createProducer(kafka);
  await producer.connect();
  return wrapProducer(producer, { framing: opts.framing, topicPrefix: opts.topicPrefix ?? process.env.CS_TOPIC_PREFIX ?? '', pseudonymize });
}
