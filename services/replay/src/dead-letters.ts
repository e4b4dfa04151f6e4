/**
 * Dead letters after a fix: list them (cs.dead_letters with whether and when each was replayed) and
 * replay a selection — re-publish each one's ORIGINAL bytes (`payload`) with its key to the topic it
 * came from, so the pipeline processes it again as if it had just arrived.
 *
 * Each replayed dead letter is marked with a replay marker on the dead-letter topic
 * (`{"replay_of": {topic, partition, offset}, replay_id, replayed_at}`), which the processor's
 * dead-letter sink files into cs.dead_letter_replays; a replay selects only dead letters without
 * a row there, so replaying the same selection again publishes nothing. Should a replay stop
 * between a batch and its markers, the next one publishes that batch again and the pipeline drops
 * the copies by event_id (redelivered events never change a metric).
 */
import { randomUUID } from 'node:crypto';
import type { Producer, ProduceRecord } from '@cs/kafka';
import { isTopic, TOPICS } from '@cs/schemas';
import { tablesIn, type DeadLetterRow } from '@cs/storage';

/** Runs a read-only query (parameters bound as `{name:Type}`) and returns its rows. */
export type RowQuery = <T>(sql: string, params: Record<string, string>) => Promise<T[]>;

export interface DeadLetterFilter {
  /** Event topic (without CS_TOPIC_PREFIX), e.g. cs.calls. */
  topic?: string;
  reason?: string;
  /** dead_lettered_at ≥ since (epoch ms). */
  since?: number;
  /** dead_lettered_at < until (epoch ms). */
  until?: number;
  limit?: number;
}

/** A dead letter as stored, and when it was replayed (epoch ms), or null. */
export interface ListedDeadLetter extends DeadLetterRow {
  replayed_at: number | null;
}

interface RawRow {
  topic: string;
  partition: number;
  offset: string;
  reason: string;
  detail: string;
  key: string | null;
  payload_base64: string;
  event_id: string | null;
  event_time_ms: string | null;
  dead_lettered_at_ms: string;
  replayed_at_ms: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The dead letters matching `filter` (newest first, or Kafka order for a replay), with their replay. */
function selectSql(db: string, filter: DeadLetterFilter, topicPrefix: string, forReplay: boolean): { sql: string; params: Record<string, string> } {
  if (!IDENTIFIER.test(db)) throw new Error(`not a database name: ${db}`);
  const t = tablesIn(db);
  const where = ['startsWith(d.topic, {prefix:String})'];
  const params: Record<string, string> = { prefix: topicPrefix, limit: String(filter.limit ?? 100) };
  if (filter.topic !== undefined) {
    where.push('d.topic = {topic:String}');
    params.topic = topicPrefix + filter.topic;
  }
  if (filter.reason !== undefined) {
    where.push('d.reason = {reason:String}');
    params.reason = filter.reason;
  }
  if (filter.since !== undefined) {
    where.push('d.dead_lettered_at >= fromUnixTimestamp64Milli({since:Int64})');
    params.since = String(filter.since);
  }
  if (filter.until !== undefined) {
    where.push('d.dead_lettered_at < fromUnixTimestamp64Milli({until:Int64})');
    params.until = String(filter.until);
  }
  if (forReplay) {
    // Only what can be re-published: a message of an event topic, never replayed.
    where.push('has({eventTopics:Array(String)}, d.topic)', "d.payload_base64 != ''", 'r.replayed_at_ms = 0');
    params.eventTopics = `[${TOPICS.map((t) => `'${topicPrefix}${t}'`).join(',')}]`;
  }
  const sql = `
    SELECT d.topic AS topic, d.partition AS partition, toString(d.offset) AS offset, d.reason AS reason, d.detail AS detail,
           d.key AS key, d.payload_base64 AS payload_base64, d.event_id AS event_id,
           toString(toUnixTimestamp64Milli(d.event_time)) AS event_time_ms,
           toString(toUnixTimestamp64Milli(d.dead_lettered_at)) AS dead_lettered_at_ms,
           toString(r.replayed_at_ms) AS replayed_at_ms -- 0: not replayed (LEFT JOIN default; join_use_nulls is a setting a read-only session may not change)
    FROM (SELECT * FROM ${t.deadLetters} FINAL) AS d
    LEFT JOIN (
      SELECT topic, partition, offset, max(toUnixTimestamp64Milli(replayed_at)) AS replayed_at_ms
      FROM ${t.deadLetterReplays} GROUP BY topic, partition, offset
    ) AS r ON d.topic = r.topic AND d.partition = r.partition AND d.offset = r.offset
    WHERE ${where.join(' AND ')}
    ORDER BY ${forReplay ? 'd.topic, d.partition, d.offset' : 'd.dead_lettered_at DESC, d.topic, d.partition, d.offset'}
    LIMIT {limit:UInt64}`;
  return { sql, params };
}

const toRow = (r: RawRow): ListedDeadLetter => ({
  topic: r.topic,
  partition: Number(r.partition),
  offset: Number(r.offset),
  reason: r.reason,
  detail: r.detail,
  key: r.key,
  payload_base64: r.payload_base64,
  event_id: r.event_id,
  event_time: r.event_time_ms === null ? null : Number(r.event_time_ms),
  dead_lettered_at: Number(r.dead_lettered_at_ms),
  replayed_at: Number(r.replayed_at_ms) > 0 ? Number(r.replayed_at_ms) : null,
});

export interface DeadLetterSource {
  query: RowQuery;
  db: string;
  /** CS_TOPIC_PREFIX of this pipeline. */
  topicPrefix: string;
}

/** Dead letters matching the filter, newest first, replayed or not. */
export async function listDeadLetters(src: DeadLetterSource, filter: DeadLetterFilter): Promise<ListedDeadLetter[]> {
  const { sql, params } = selectSql(src.db, filter, src.topicPrefix, false);
  return (await src.query<RawRow>(sql, params)).map(toRow);
}

/** Counts per topic and reason (all, and not yet replayed), for the list's summary. */
export async function countDeadLetters(src: DeadLetterSource, filter: DeadLetterFilter): Promise<{ topic: string; reason: string; dead_letters: number; not_replayed: number }[]> {
  const { sql, params } = selectSql(src.db, { ...filter, limit: Number.MAX_SAFE_INTEGER }, src.topicPrefix, false);
  const rows = await src.query<{ topic: string; reason: string; dead_letters: string; not_replayed: string }>(
    `SELECT topic, reason, count() AS dead_letters, countIf(toInt64(replayed_at_ms) = 0) AS not_replayed FROM (${sql}) GROUP BY topic, reason ORDER BY topic, reason`,
    params,
  );
  return rows.map((r) => ({ topic: r.topic, reason: r.reason, dead_letters: Number(r.dead_letters), not_replayed: Number(r.not_replayed) }));
}

/** The dead letters a replay of `filter` re-publishes: of event topics, never replayed, in Kafka order. */
export async function selectForReplay(src: DeadLetterSource, filter: DeadLetterFilter): Promise<ListedDeadLetter[]> {
  const { sql, params } = selectSql(src.db, filter, src.topicPrefix, true);
  return (await src.query<RawRow>(sql, params)).map(toRow);
}

export interface ReplayDeadLettersOptions {
  letters: ListedDeadLetter[];
  producer: Producer;
  /** The dead-letter topic (with CS_TOPIC_PREFIX): where the replay markers go. */
  deadLetterTopic: string;
  topicPrefix: string;
  batchSize?: number;
  onProgress?: (done: number) => void;
}

export interface DeadLetterReplayResult {
  replayId: string;
  replayed: number;
  byTopic: Record<string, number>;
}

/**
 * Re-publishes each letter's original bytes and key to its topic, a batch at a time, then the
 * batch's replay markers; each send is acknowledged (acks=all) before the next.
 */
export async function replayDeadLetters(opts: ReplayDeadLettersOptions): Promise<DeadLetterReplayResult> {
  const { letters, producer, deadLetterTopic, topicPrefix, batchSize = 1000 } = opts;
  const result: DeadLetterReplayResult = { replayId: randomUUID(), replayed: 0, byTopic: {} };
  for (let i = 0; i < letters.length; i += batchSize) {
    const batch = letters.slice(i, i + batchSize);
    const records: ProduceRecord[] = batch.map((d) => {
      const topic = d.topic.slice(topicPrefix.length);
      if (!d.topic.startsWith(topicPrefix) || !isTopic(topic)) throw new Error(`dead letter ${d.topic}[${d.partition}]@${d.offset} is not from an event topic; it cannot be replayed`);
      return { topic: d.topic, key: d.key, value: Buffer.from(d.payload_base64, 'base64') };
    });
    await producer.send(records);
    const replayedAt = Date.now();
    await producer.send(
      batch.map((d) => ({
        topic: deadLetterTopic,
        key: `${d.topic}/${d.partition}/${d.offset}`,
        value: Buffer.from(JSON.stringify({ replay_of: { topic: d.topic, partition: d.partition, offset: d.offset }, replay_id: result.replayId, replayed_at: replayedAt })),
      })),
    );
    for (const d of batch) result.byTopic[d.topic] = (result.byTopic[d.topic] ?? 0) + 1;
    result.replayed += batch.length;
    opts.onProgress?.(result.replayed);
  }
  return result;
}
