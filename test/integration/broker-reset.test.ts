/**
 * A processor restarted on its store after the broker lost the topics' data (a broker reset: topics
 * deleted and recreated, storage formatted): its log is ahead of every topic's high watermark. It
 * used to wait for offsets that may never come — nothing processed, no message, and ready. It now
 * says so (an error naming the partition and what to do), is not ready, and commits none of its log's offsets.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { TOPICS } from '@cs/schemas';
import { createTrafficGenerator } from '@cs/simulator';
import { produce } from '../correctness/run.ts';
import { ChildProcessor, childProcessorEnv, freePort } from '../support/child.ts';
import { createTopics, groupLag, groupOffsets, uniquePrefix, waitFor } from '../support/pipeline.ts';

const TZ = 'UTC';
const START = Date.parse('2025-06-01T08:00:00Z');
const AHEAD = "this store's log is ahead of the broker's topic";

/** Deletes the event topics of `prefix` and recreates them empty, as a broker reset leaves them. */
async function resetTopics(prefix: string): Promise<void> {
  const topics = TOPICS.map((t) => `${prefix}${t}`);
  const admin = new Kafka({ brokers: inject('kafkaBrokers'), clientId: 'cs-test-reset', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics });
    await waitFor('the topics to be deleted', async () => !(await admin.listTopics()).some((t) => topics.includes(t)), 60_000, 500);
  } finally {
    await admin.disconnect();
  }
  // A deleted topic may still be marked for deletion for a moment: creating it fails until then.
  await waitFor('the topics to be recreated', () => createTopics(prefix, 1).then(() => true, () => false), 60_000, 500);
}

describe('a store kept over a broker reset', () => {
  it('is reported (error log, metric), the processor is not ready, and nothing is committed', async () => {
    const prefix = uniquePrefix('broker-reset');
    await createTopics(prefix, 1);
    const groupId = `${prefix}processor`;
    await produce(prefix, [...createTrafficGenerator({ seed: 5, start: START, end: START + 3_600_000, contactsPerDay: 2_400, timeZone: TZ })]);

    const httpPort = await freePort();
    const env = childProcessorEnv(prefix, TZ, mkdtempSync(join(tmpdir(), 'cs-broker-reset-')), { CS_IDLE_FLUSH: '1s' });
    // On a port the test knows (childProcessorEnv picks any free one, which the child does not report).
    const processor = new ChildProcessor({ ...env, PROCESSOR_HTTP_PORT: String(httpPort) });
    const http = (path: string) => fetch(`http://127.0.0.1:${httpPort}${path}`);
    try {
      await processor.start();
      await waitFor('the processor to process and commit everything', async () => (await groupLag(prefix, groupId)) === 0, 120_000, 1000);
      // Its HTTP server starts after the consumer: ready there once it answers.
      await waitFor('the processor to be ready', () => http('/readyz').then((r) => r.status === 200, () => false), 30_000, 500);
      expect(await processor.stop()).toBe(0);

      await resetTopics(prefix);

      await processor.start();
      const child = processor.child!;
      const sessionsError = () => child.output().split('\n').find((l) => l.includes(AHEAD) && l.includes(`"topic":"${prefix}cs.sessions"`));
      await waitFor("the error naming the sessions partition's log ahead of the broker", async () => sessionsError() !== undefined, 60_000, 500);
      const logged = JSON.parse(sessionsError()!) as { level: number; partition: number; highWatermark: number; nextOffset: number };
      expect(logged).toMatchObject({ level: 50, partition: 0, highWatermark: 0 });
      expect(logged.nextOffset).toBeGreaterThan(0);

      // Well past the idle interval (1 s), when an idle commit or flush would have committed the log's offsets.
      await new Promise((r) => setTimeout(r, 5_000));
      expect((await http('/readyz')).status).toBe(503);
      expect(await (await http('/metrics')).text()).toMatch(new RegExp(`cs_processor_partitions_ahead_of_broker_total\\{topic="${prefix.replace(/\./g, '\\.')}cs\\.sessions",partition="0"\\} 1`));
      // The partitions that had no events may commit offset 0 (their idle flushes); none commits its log's offsets.
      const offsets = await groupOffsets(prefix, groupId);
      expect(offsets.filter((p) => p.committed !== null && BigInt(p.committed) > BigInt(p.high))).toEqual([]);
      expect(child.proc.exitCode).toBeNull();
      expect(await processor.stop()).toBe(0);
    } finally {
      await processor.kill();
    }
  }, 240_000);
});
