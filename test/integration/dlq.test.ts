/**
 * `npm run dlq` with the real broker, engine and processor. A call's OFFERED is held up in
 * telephony for more than the allowed lateness, so its ANSWERED is dead-lettered `orphan` once
 * stream time passes it. The fix: the operator raises CS_ALLOWED_LATENESS and the OFFERED is sent;
 * `dlq replay` re-publishes the orphan's original bytes, the call's figures in cs.metrics follow, and
 * replaying the same selection again publishes nothing and changes nothing. (No idle flush here:
 * one would close every window up to the wall clock, after which nothing older could be replayed.)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSqlEndpoint, writeEndpointFile, type SqlEndpoint } from '@cs/clickhouse';
import { createAdmin, createProducer, type Producer } from '@cs/kafka';
import type { RunningProcessor } from '@cs/processor';
import { wrapProducer } from '@cs/producer';
import type { CallEvent } from '@cs/schemas';
import { createTopics, kafkaOptions, openTestStore, query, startTestProcessor, uniquePrefix, waitFor, type TestStore } from '../support/pipeline.ts';
import { readMessages } from '../support/read-topic.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');
const prefix = uniquePrefix('dlq');
const MINUTE = 60_000;
const NO_IDLE = { CS_IDLE_FLUSH: '1h' };

let store: TestStore;
let processor: RunningProcessor;
let producer: Producer;
let endpoint: SqlEndpoint;
let endpointFile: string;

/** `npm run dlq -- <args>` as a user runs it, reading through the pipeline's SQL endpoint. */
function dlq(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, KAFKA_BROKERS: inject('kafkaBrokers').join(','), CS_TOPIC_PREFIX: prefix, CS_SQL_ENDPOINT_FILE: endpointFile, CS_DATA_DIR: store.dataDir, LOG_LEVEL: 'warn' };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', tsx, join(root, 'services/replay/src/dlq-main.ts'), ...args], { cwd: root, env }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const callFigures = async () => {
  const rows = await query<{ metric: string; numerator: number; denominator: number }>(
    store.client,
    `SELECT metric, sum(numerator) AS numerator, sum(denominator) AS denominator FROM cs.metrics
     WHERE grain = 'day' AND metric IN ('human_answer_rate', 'service_level_20s') AND business_unit = 'dlq-bu' GROUP BY metric ORDER BY metric`,
  );
  return Object.fromEntries(rows.map((r) => [r.metric, [Number(r.numerator), Number(r.denominator)]]));
};
const highWatermark = async (topic: string) => {
  const admin = createAdmin(kafkaOptions());
  await admin.connect();
  try {
    return await admin.highWatermark(topic, 0);
  } finally {
    await admin.disconnect();
  }
};

beforeAll(async () => {
  await createTopics(prefix, 1);
  store = await openTestStore('UTC');
  processor = await startTestProcessor(store, prefix, 'UTC', 'kafkajs', NO_IDLE);
  producer = createProducer(kafkaOptions('kafkajs', 'dlq-test'));
  await producer.connect();
  endpoint = await startSqlEndpoint(store.client, { port: 0, database: store.db });
  endpointFile = join(mkdtempSync(join(tmpdir(), 'cs-dlq-')), 'sql-endpoint.json');
  writeEndpointFile({ url: endpoint.url, dataDir: store.dataDir, database: store.db }, endpointFile);
});
afterAll(async () => {
  await endpoint?.close();
  await producer?.disconnect();
  await processor?.stop();
  await store?.client.close();
});

describe('npm run dlq', () => {
  const t0 = Date.parse('2026-03-01T10:00:00Z');
  const call = (type: CallEvent['type'], at: number, extra: Partial<CallEvent> = {}): CallEvent => ({
    event_id: `dlq-c1-${type}`, event_time: at, business_unit: 'dlq-bu', product: 'dlq-product', type, call_id: 'dlq-c1', session_id: null, user_id: 'dlq-u1',
    queue: 'general', agent_id: null, site_type: null, wait_ms: null, talk_ms: null, hold_ms: null, acw_ms: null, ...extra,
  });

  it('lists a call event without its OFFERED as an orphan', async () => {
    // The ANSWERED, then another call 70 min later: stream time − 1 h lateness passes the ANSWERED.
    await wrapProducer(producer, { topicPrefix: prefix }).send([
      { topic: 'cs.calls', event: call('ANSWERED', t0 + 15_000, { agent_id: 'ag1', site_type: 'IN_HOUSE', wait_ms: 15_000 }) },
      { topic: 'cs.calls', event: { ...call('OFFERED', t0 + 70 * MINUTE), event_id: 'dlq-c2-OFFERED', call_id: 'dlq-c2', business_unit: 'dlq-other' } },
    ]);
    await waitFor('the orphan in cs.dead_letters', async () => (await query(store.client, `SELECT 1 FROM cs.dead_letters FINAL WHERE reason = 'orphan' AND event_id = 'dlq-c1-ANSWERED'`)).length === 1, 90_000);
    const list = await dlq(['list', '--topic', 'cs.calls', '--reason', 'orphan']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(`${prefix}cs.calls  orphan: 1 dead letter(s), 1 not replayed`);
    expect(list.stdout).toMatch(/dlq-c1-ANSWERED .*call dlq-c1 has no OFFERED/);
    const json = await dlq(['list', '--json', '--since', '1h']);
    const rows = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event_id: string; reason: string; replayed_at: number | null });
    expect(rows.map((r) => [r.event_id, r.reason, r.replayed_at])).toEqual([['dlq-c1-ANSWERED', 'orphan', null]]);
    expect((await dlq(['list', '--reason', 'late'])).stdout).toContain('no dead letters match');
    expect(await callFigures()).toEqual({});
  });

  it('replays the original bytes after the fix, the figures follow, and a second replay changes nothing', async () => {
    // The fix: a lateness that covers the telephony outage, and the missing OFFERED.
    await processor.stop();
    processor = await startTestProcessor(store, prefix, 'UTC', 'kafkajs', { ...NO_IDLE, CS_ALLOWED_LATENESS: '3h' });
    await wrapProducer(producer, { topicPrefix: prefix }).send([{ topic: 'cs.calls', event: call('OFFERED', t0) }]);
    await waitFor('the OFFERED counted', async () => JSON.stringify(await callFigures()) === JSON.stringify({ human_answer_rate: [0, 1], service_level_20s: [0, 1] }), 60_000);

    expect((await dlq(['replay'])).code).toBe(2); // a replay needs a filter or --all
    const dry = await dlq(['replay', '--reason', 'orphan', '--dry-run']);
    expect(dry.stdout).toMatch(/^would replay 1 dead letter\(s\)/);
    const before = Number(await highWatermark(`${prefix}cs.calls`));
    const replay = await dlq(['replay', '--topic', 'cs.calls', '--reason', 'orphan']);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toContain('replayed 1 dead letter(s)');
    expect(replay.stderr).toMatch(/dlq replay \[.*\] 100% \| 1\/1 dead letters/); // the cli-progress bar
    expect(Number(await highWatermark(`${prefix}cs.calls`))).toBe(before + 1);

    // The very bytes that were dead-lettered, with their key, are on the topic again.
    const [original] = await query<{ payload_base64: string; key: string }>(store.client, `SELECT payload_base64, key FROM cs.dead_letters FINAL WHERE event_id = 'dlq-c1-ANSWERED'`);
    const onTopic = await readMessages([`${prefix}cs.calls`], 4);
    const again = onTopic[onTopic.length - 1]!;
    expect(again.value!.toString('base64')).toBe(original!.payload_base64);
    expect(again.key!.toString()).toBe(original!.key);

    await waitFor('the replayed ANSWERED counted', async () => JSON.stringify(await callFigures()) === JSON.stringify({ human_answer_rate: [1, 1], service_level_20s: [1, 1] }), 60_000);
    await waitFor('the replay recorded in cs.dead_letter_replays', async () => (await query(store.client, `SELECT 1 FROM cs.dead_letter_replays FINAL WHERE topic = '${prefix}cs.calls'`)).length === 1, 60_000);
    const listed = await dlq(['list', '--topic', 'cs.calls']);
    expect(listed.stdout).toContain('orphan: 1 dead letter(s), 0 not replayed');

    const second = await dlq(['replay', '--topic', 'cs.calls', '--reason', 'orphan']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^nothing to replay/);
    expect(Number(await highWatermark(`${prefix}cs.calls`))).toBe(before + 1);
    await new Promise((r) => setTimeout(r, 3000)); // a flush or two later
    expect(await callFigures()).toEqual({ human_answer_rate: [1, 1], service_level_20s: [1, 1] });
  });
});
