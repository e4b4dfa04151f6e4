import { createConsumer } from '@cs/kafka';
import type { ConsumedMessage } from '@cs/kafka';
import { kafkaOptions, waitFor } from './pipeline.ts';

/** Reads `count` messages from `topics` with a fresh group (then leaves it). */
export async function readMessages(topics: string[], count: number, timeoutMs = 60_000): Promise<ConsumedMessage[]> {
  const consumer = createConsumer(kafkaOptions(), { groupId: `reader-${Date.now()}-${Math.random()}`, topics, fromBeginning: true });
  const got: ConsumedMessage[] = [];
  await consumer.connect();
  try {
    await consumer.run(async (batch) => {
      got.push(...batch.messages);
    });
    await waitFor(`${count} messages on ${topics.join(', ')}`, async () => got.length >= count, timeoutMs);
    // A little longer, so an unexpected extra message would be seen too.
    await new Promise((r) => setTimeout(r, 500));
    return got;
  } finally {
    await consumer.disconnect();
  }
}
