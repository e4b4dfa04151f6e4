/**
 * Files the dead-letter topic's records that the processor did not write itself:
 * - dead letters refused before reaching the processor — invalid lines of `npm run replay`,
 *   published with `"source"` — into cs.dead_letters, keyed by their position on the dead-letter topic;
 * - replay markers of `npm run dlq -- replay` (`"replay_of"`: the replayed dead letter's topic,
 *   partition and offset) into cs.dead_letter_replays, keyed by that dead letter.
 * The processor's own dead letters are already written with their flush, so they are skipped.
 * Re-reading a batch writes nothing new.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { createConsumer, type KafkaOptions } from '@cs/kafka';
import { counter, type Logger } from '@cs/runtime';
import { insertInto, TABLES, type DeadLetterReplayRow, type DeadLetterRow } from '@cs/storage';
import { untilTheStoreAnswers } from './store-retry.ts';

const sunk = counter('cs_dead_letter_sink_rows_total', 'Dead letters from outside the processor written to cs.dead_letters', ['reason']);

/** A replay marker (written by services/replay's dlq replay). */
interface ReplayMarker {
  replay_of: { topic: string; partition: number; offset: number };
  replay_id: string;
  replayed_at: number;
}

const isReplayMarker = (v: Partial<ReplayMarker>): v is ReplayMarker =>
  typeof v.replay_of?.topic === 'string' && Number.isInteger(v.replay_of.partition) && Number.isInteger(v.replay_of.offset) && typeof v.replay_id === 'string' && typeof v.replayed_at === 'number';

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
  const retry = untilTheStoreAnswers(opts.logger, 'insert of dead letters');
  await consumer.run(async (batch) => {
    const rows: DeadLetterRow[] = [];
    const replays: DeadLetterReplayRow[] = [];
    for (const m of batch.messages) {
      let letter: ExternalDeadLetter | null = null;
      try {
        const parsed = JSON.parse(m.value?.toString('utf8') ?? '') as Partial<ExternalDeadLetter> & Partial<ReplayMarker>;
        if (typeof parsed.source === 'string') letter = parsed as ExternalDeadLetter;
        else if (isReplayMarker(parsed)) replays.push({ ...parsed.replay_of, replay_id: parsed.replay_id, replayed_at: parsed.replayed_at });
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
    const token = `dead-letter-sink/${batch.topic}/${batch.partition}/${batch.messages[0]!.offset}-${last.offset}`;
    if (rows.length) await insertInto(opts.client, opts.db, TABLES.deadLetters, rows, { ...retry, dedupToken: token });
    if (replays.length) await insertInto(opts.client, opts.db, TABLES.deadLetterReplays, replays, { ...retry, dedupToken: token });
    // A commit refused during a rebalance only means the batch is read again: its rows are keyed by position.
    await consumer.commit([{ topic: batch.topic, partition: batch.partition, offset: String(Number(last.offset) + 1) }]).catch((err: Error) => {
      opts.logger.warn({ err: err.message, topic: batch.topic, partition: batch.partition }, 'dead-letter sink offset commit failed');
    });
  });
  return { stopped: consumer.stopped(), stop: () => consumer.disconnect() };
}
