/**
 * Puts dead letters that were refused before reaching the processor — invalid lines of
 * `npm run replay`, published on the dead-letter topic with `"source"` — into cs.dead_letters.
 * The processor's own dead letters are already written there with their flush, so they are skipped.
 * Each row is keyed by its position on the dead-letter topic: re-reading a batch writes nothing new.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { createConsumer, type KafkaOptions } from '@cs/kafka';
import { counter, type Logger } from '@cs/runtime';
import { insertInto, TABLES, type DeadLetterRow } from '@cs/storage';

const sunk = counter('cs_dead_letter_sink_rows_total', 'Dead letters from outside the processor written to cs.dead_letters', ['reason']);

interface ExternalDeadLetter {
  source: string;
  line?: number;
  reason?: string;
  detail?: string;
  payload_base64?: string;
  dead_lettered_at?: number;
}

export async function startDeadLetterSink(opts: { kafka: KafkaOptions; topic: string; groupId: string; sessionTimeoutMs: number; client: ClickHouseClient; db: string; logger: Logger }) {
  // The processor's session timeout: after a crash, joining waits for the dead member to expire.
  const consumer = createConsumer({ ...opts.kafka, logger: opts.logger }, { groupId: opts.groupId, topics: [opts.topic], fromBeginning: true, sessionTimeoutMs: opts.sessionTimeoutMs });
  await consumer.connect();
  await consumer.run(async (batch) => {
    const rows: DeadLetterRow[] = [];
    for (const m of batch.messages) {
      let letter: ExternalDeadLetter | null = null;
      try {
        const parsed = JSON.parse(m.value?.toString('utf8') ?? '') as Partial<ExternalDeadLetter>;
        if (typeof parsed.source === 'string') letter = parsed as ExternalDeadLetter;
      } catch {
        // Not one of ours: nothing to sink.
      }
      if (!letter) continue;
      const reason = letter.reason ?? 'invalid';
      rows.push({
        topic: m.topic,
        partition: m.partition,
        offset: Number(m.offset),
        reason,
        detail: `${letter.source}${letter.line ? `:${letter.line}` : ''}: ${letter.detail ?? ''}`,
        key: m.key ? m.key.toString('utf8') : null,
        payload_base64: letter.payload_base64 ?? '',
        event_id: null,
        event_time: null,
        dead_lettered_at: letter.dead_lettered_at ?? m.timestamp,
      });
      sunk.inc({ reason });
    }
    const last = batch.messages[batch.messages.length - 1];
    if (!last) return;
    if (rows.length) await insertInto(opts.client, opts.db, TABLES.deadLetters, rows, { dedupToken: `dead-letter-sink/${batch.topic}/${batch.partition}/${batch.messages[0]!.offset}-${last.offset}` });
    // A commit refused during a rebalance only means the batch is read again: its rows are keyed by position.
    await consumer.commit([{ topic: batch.topic, partition: batch.partition, offset: String(Number(last.offset) + 1) }]).catch((err: Error) => {
      opts.logger.warn({ err: err.message, topic: batch.topic, partition: batch.partition }, 'dead-letter sink offset commit failed');
    });
  });
  return { stopped: consumer.stopped(), stop: () => consumer.disconnect() };
}
