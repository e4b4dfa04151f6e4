/**
 * npm run dlq -- list   [filters] [--json]             dead letters by topic, reason and time
 * npm run dlq -- replay [filters | --all] [--dry-run]   re-publish their original bytes after a fix
 *
 * Filters: --topic cs.calls  --reason orphan  --since 2h|2026-11-27T00:00:00Z  --until …  --limit N
 * Reads cs.dead_letters from the running pipeline's SQL endpoint, CLICKHOUSE_URL, or the embedded
 * store (as `npm run sql`); publishes with KAFKA_BROKERS / KAFKA_CLIENT; honours CS_TOPIC_PREFIX.
 */
import { parseArgs } from 'node:util';
import { loadClickHouseConfig, queryStoreRows, StoreQueryError } from '@cs/clickhouse';
import { createProducer, loadKafkaConfig } from '@cs/kafka';
import { createLogger, parseDuration } from '@cs/runtime';
import { countDeadLetters, listDeadLetters, replayDeadLetters, selectForReplay, type DeadLetterFilter, type ListedDeadLetter, type DeadLetterSource } from './dead-letters.ts';
import { progressBar } from './progress.ts';

const USAGE = `usage: npm run dlq -- list   [filters] [--json]
       npm run dlq -- replay [filters | --all] [--dry-run]
filters:
  --topic <cs.calls>        event topic the dead letters came from
  --reason <orphan>         decode, invalid, late, future, orphan
  --since <2h | ISO time>   dead-lettered at or after (a duration means that long ago)
  --until <2h | ISO time>   dead-lettered before
  --limit <N>               at most N dead letters (default 100 for list, 100000 for replay)
  --dead-letter-topic <t>   default cs.dead_letters
replay re-publishes each selected dead letter's original bytes to its topic once: dead letters
already replayed are skipped, so running the same replay again publishes nothing.
`;

class UsageError extends Error {}

function time(text: string, flag: string): number {
  const iso = Date.parse(text);
  if (/^\d{4}-\d\d-\d\d/.test(text) && !Number.isNaN(iso)) return iso;
  try {
    return Date.now() - parseDuration(text);
  } catch {
    throw new UsageError(`${flag}: expected a duration (30m, 2h, 7d) or an ISO date-time, got "${text}"`);
  }
}

const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());

function table(rows: ListedDeadLetter[]): string {
  const cells = rows.map((d) => [iso(d.dead_lettered_at), `${d.topic}[${d.partition}]@${d.offset}`, d.reason, d.event_id ?? '', iso(d.event_time), d.replayed_at === null ? '' : iso(d.replayed_at), d.detail.length > 80 ? `${d.detail.slice(0, 77)}...` : d.detail]);
  const head = ['dead_lettered_at', 'message', 'reason', 'event_id', 'event_time', 'replayed_at', 'detail'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [head, ...cells].map((c) => c.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      topic: { type: 'string' },
      reason: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string' },
      all: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      'dead-letter-topic': { type: 'string', default: 'cs.dead_letters' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0];
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if ((command !== 'list' && command !== 'replay') || positionals.length !== 1) throw new UsageError(`expected list or replay\n${USAGE}`);
  const limit = values.limit === undefined ? (command === 'list' ? 100 : 100_000) : Number(values.limit);
  if (!Number.isInteger(limit) || limit <= 0) throw new UsageError(`--limit: expected a positive integer, got "${values.limit}"`);
  const filter: DeadLetterFilter = {
    topic: values.topic,
    reason: values.reason,
    since: values.since === undefined ? undefined : time(values.since, '--since'),
    until: values.until === undefined ? undefined : time(values.until, '--until'),
    limit,
  };
  const cfg = loadClickHouseConfig();
  const topicPrefix = process.env.CS_TOPIC_PREFIX ?? '';
  const src: DeadLetterSource = { db: cfg.database, topicPrefix, query: (sql, params) => queryStoreRows(cfg, sql, params) };

  if (command === 'list') {
    const rows = await listDeadLetters(src, filter);
    if (values.json) {
      for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
      return 0;
    }
    const counts = await countDeadLetters(src, { ...filter, limit: undefined });
    process.stdout.write(`${counts.map((c) => `${c.topic}  ${c.reason}: ${c.dead_letters} dead letter(s), ${c.not_replayed} not replayed`).join('\n') || 'no dead letters match'}\n`);
    if (rows.length) process.stdout.write(`\n${table(rows)}\n${rows.length === limit ? `(first ${limit}; --limit for more)\n` : ''}`);
    return 0;
  }

  if (!values.all && !values.topic && !values.reason && !values.since && !values.until) throw new UsageError('replay: give a filter (--topic, --reason, --since, --until) or --all');
  const letters = await selectForReplay(src, filter);
  if (letters.length === 0) {
    process.stdout.write('nothing to replay: no dead letter of an event topic matches that has not been replayed already\n');
    return 0;
  }
  if (values['dry-run']) {
    process.stdout.write(`would replay ${letters.length} dead letter(s):\n${table(letters)}\n`);
    return 0;
  }
  const logger = createLogger('dlq', process.env.LOG_LEVEL ?? 'warn');
  const producer = createProducer({ ...loadKafkaConfig(process.env, 'kafkajs', 'cs-dlq'), logger });
  await producer.connect();
  try {
    const bar = progressBar(letters.length, 'dlq replay', 'dead letters');
    const result = await replayDeadLetters({ letters, producer, deadLetterTopic: topicPrefix + values['dead-letter-topic']!, topicPrefix, onProgress: (done) => bar.update(done, '') });
    bar.finish(result.replayed, 'done');
    process.stdout.write(`${JSON.stringify(result.byTopic)}\nreplayed ${result.replayed} dead letter(s) (replay ${result.replayId}); each is marked and will not be replayed again\n`);
  } finally {
    await producer.disconnect();
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const known = err instanceof UsageError || err instanceof StoreQueryError;
    process.stderr.write(`dlq: ${known ? (err as Error).message : `error: ${(err as Error).stack ?? String(err)}`}\n`);
    process.exit(known && err instanceof UsageError ? 2 : 1);
  },
);
