/**
 * A processor asked to stop while a rebalance hands it partitions (server-mode.test.ts met it: one
 * member stopped, the group gave its partitions to the next one, which was being stopped too). The
 * stopping member must open nothing: a partition restored then wrote to the lmdb environment that
 * stop() had just closed, and lmdb ended the process ("The environment is already closed").
 *
 * The rebalance's timing is the broker's, so it is placed here: the real consumer's assignment hook
 * runs once more, with a partition the member never had, just as stop() leaves the group.
 */
import { expect, it } from 'vitest';
import { pino } from 'pino';
import { createAdmin, createConsumer, type Consumer, type ConsumerHooks, type TopicPartition } from '@cs/kafka';
import { loadProcessorConfig, StreamProcessor } from '@cs/processor';
import { createTopics, kafkaOptions, openTestStore, processorEnv, removeTestStore, uniquePrefix, waitFor, type TestStore } from '../support/pipeline.ts';

const TZ = 'Europe/Berlin';

it('a rebalance hook that runs while the processor stops opens no partition', { timeout: 120_000 }, async () => {
  const prefix = uniquePrefix('stop-rebalance');
  await createTopics(prefix, 3);
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const restored = (topic: string) => lines.filter((l) => l.includes('"partition restored"') && l.includes(`"topic":"${prefix}${topic}"`)).length;
  const config = loadProcessorConfig(processorEnv(prefix, TZ, { PROCESSOR_TOPICS: 'cs.sessions' }));
  const kafka = { ...kafkaOptions('kafkajs', `${prefix}processor`), logger };
  let store: TestStore | undefined;
  const admin = createAdmin({ ...kafka, clientId: `${prefix}admin` });
  try {
    store = await openTestStore(TZ);
    await admin.connect();
    const consumer = createConsumer(kafka, { groupId: config.groupId, topics: [`${prefix}cs.sessions`], fromBeginning: true, sessionTimeoutMs: config.sessionTimeoutMs });
    let hooks: ConsumerHooks = {};
    let owned: TopicPartition[] = [];
    let lateHook: Promise<void> | void = undefined;
    const racing: Consumer = {
      connect: () => consumer.connect(),
      run: (handle, h = {}) => {
        hooks = h;
        return consumer.run(handle, { ...h, onAssignment: (tps) => ((owned = tps), h.onAssignment?.(tps)) });
      },
      commit: (offsets) => consumer.commit(offsets),
      stopped: () => consumer.stopped(),
      // As a rebalance that lands while the member leaves: the hook runs, not awaited by the stop.
      disconnect: () => {
        lateHook = hooks.onAssignment?.([...owned, { topic: `${prefix}cs.calls`, partition: 0 }]);
        return consumer.disconnect();
      },
    };
    const processor = new StreamProcessor({ config, consumer: racing, admin, deadLetterProducer: null, client: store.client, db: store.db, logger, stateDir: `${store.dataDir}-state` });
    await processor.start();
    await waitFor('the three session partitions restored', async () => restored('cs.sessions') === 3, 60_000, 100);

    await processor.stop();
    await lateHook;
    expect(restored('cs.calls')).toBe(0);
    expect(lines.filter((l) => l.includes('"partitions assigned"'))).toHaveLength(1);
  } finally {
    await admin.disconnect();
    await removeTestStore(store);
  }
});
