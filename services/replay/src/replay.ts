/**
 * Publishes a JSONL export (one `{ "topic": ..., ...event fields }` per line) in file order.
 * Invalid lines are reported by line number and dead-lettered on the dead-letter topic with the
 * original line; they are never silently dropped. Valid events go out in batches, each awaited
 * (acks=all) before the next, so file order is kept.
 */
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Producer, ProduceRecord } from '@cs/kafka';
import { toRecord, type Pseudonymizer } from '@cs/producer';
import { formatIssues, isTopic, TOPICS, type Topic } from '@cs/schemas';
import { progressBar } from './progress.ts';

export interface InvalidLine {
  line: number;
  reason: string;
}

export interface ReplayResult {
  lines: number;
  published: number;
  invalid: InvalidLine[];
  byTopic: Record<string, number>;
}

export interface ReplayOptions {
  file: string;
  producer: Producer;
  deadLetterTopic: string;
  /** Prepended to every topic name (CS_TOPIC_PREFIX). */
  topicPrefix?: string;
  batchSize?: number;
  progress?: boolean;
  /** Called for each invalid line as it is found. */
  onInvalid?: (line: InvalidLine) => void;
  /** user_id → keyed pseudonym, as the SDK and the ingest API do (CS_PSEUDONYMIZE_KEY). */
  pseudonymize?: Pseudonymizer;
}

function parseLine(text: string, topicPrefix: string, pseudonymize: Pseudonymizer | undefined): { topic: Topic; record: ProduceRecord } | { reason: string } {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    return { reason: `not valid JSON: ${(err as Error).message}` };
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return { reason: 'not a JSON object' };
  const { topic, ...fields } = obj as Record<string, unknown>;
  if (!isTopic(topic)) return { reason: `topic: must be one of ${TOPICS.join(', ')}` };
  const record = toRecord(topic, fields, { topicPrefix, pseudonymize });
  return Array.isArray(record) ? { reason: formatIssues(record) } : { topic, record };
}

export async function replayFile(opts: ReplayOptions): Promise<ReplayResult> {
  const { file, producer, deadLetterTopic, topicPrefix = '', batchSize = 5000 } = opts;
  const size = statSync(file).size;
  const bar = opts.progress ? progressBar(size, 'replay', 'bytes') : null;
  const result: ReplayResult = { lines: 0, published: 0, invalid: [], byTopic: {} };
  let batch: ProduceRecord[] = [];
  let bytes = 0;
  const flush = async () => {
    if (!batch.length) return;
    await producer.send(batch);
    batch = [];
  };
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const text of lines) {
    result.lines++;
    bytes += Buffer.byteLength(text) + 1;
    if (text.trim() === '') continue;
    const parsed = parseLine(text, topicPrefix, opts.pseudonymize);
    if ('reason' in parsed) {
      const invalid = { line: result.lines, reason: parsed.reason };
      result.invalid.push(invalid);
      opts.onInvalid?.(invalid);
      batch.push({
        topic: topicPrefix + deadLetterTopic,
        key: null,
        value: Buffer.from(JSON.stringify({ topic: 'replay', source: file, line: invalid.line, reason: 'invalid', detail: invalid.reason, payload_base64: Buffer.from(text).toString('base64'), dead_lettered_at: Date.now() })),
      });
    } else {
      batch.push(parsed.record);
      result.published++;
      result.byTopic[parsed.topic] = (result.byTopic[parsed.topic] ?? 0) + 1;
    }
    if (batch.length >= batchSize) await flush();
    bar?.update(bytes, `${result.published} events, ${result.invalid.length} invalid`);
  }
  await flush();
  bar?.finish(size, `${result.published} events, ${result.invalid.length} invalid`);
  return result;
}
