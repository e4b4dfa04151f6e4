/**
 * The producer SDK: typed events in, Avro on Kafka out. Validates before sending (a precise
 * error names the field), keys each event per SPEC §2, and resolves only after the broker
 * acknowledged (idempotent producer, acks=all).
 */
import { createProducer, loadKafkaConfig, type KafkaOptions, type ProduceRecord, type Producer } from '@cs/kafka';
import { encodeEvent, messageKey, parseEvent, type AnyEvent, type Topic, type ValidationIssue } from '@cs/schemas';

export interface TopicEvent {
  topic: Topic;
  event: AnyEvent;
}

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
  send(items: TopicEvent[]): Promise<void>;
  close(): Promise<void>;
}

export interface RecordOptions {
  /** Wire framing; default Avro single-object encoding. */
  framing?: 'single-object' | 'confluent';
  /** Prepended to the topic name (CS_TOPIC_PREFIX), for pipelines sharing a cluster. */
  topicPrefix?: string;
  /** When set, an event_time more than 1 h after this clock is invalid. */
  nowMs?: number;
}

export interface EventProducerOptions extends Omit<RecordOptions, 'nowMs'> {
  kafka?: Partial<KafkaOptions>;
}

/** Validates and encodes one event into a Kafka record, or returns its issues. */
export function toRecord(topic: Topic, input: unknown, opts: RecordOptions = {}): ProduceRecord | ValidationIssue[] {
  const parsed = parseEvent(topic, input, opts.nowMs === undefined ? {} : { nowMs: opts.nowMs });
  if (!parsed.ok) return parsed.issues;
  return { topic: (opts.topicPrefix ?? '') + topic, key: messageKey(topic, parsed.event), value: encodeEvent(topic, parsed.event, { framing: opts.framing ?? 'single-object' }) };
}

export function wrapProducer(producer: Producer, opts: Omit<RecordOptions, 'nowMs'> = {}): EventProducer {
  return {
    async send(items) {
      const records: ProduceRecord[] = [];
      items.forEach(({ topic, event }, index) => {
        const record = toRecord(topic, event, { ...opts, nowMs: Date.now() });
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
  const producer = createProducer(kafka);
  await producer.connect();
  return wrapProducer(producer, { framing: opts.framing, topicPrefix: opts.topicPrefix ?? process.env.CS_TOPIC_PREFIX ?? '' });
}
