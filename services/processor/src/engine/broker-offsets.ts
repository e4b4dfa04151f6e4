/**
 * What the broker says of a partition's offsets: its high watermark (bounded, unknown on failure),
 * and whether a restored task's log is ahead of it.
 */
import type { Admin } from '@cs/kafka';
import { counter, type Logger } from '@cs/runtime';
import type { PartitionRef } from './log-store.ts';

/** A broker that does not answer within this is unknown, not a reason to wait. */
const HIGH_WATERMARK_TIMEOUT_MS = 3000;

const aheadCount = counter(
  'cs_processor_partitions_ahead_of_broker_total',
  "Partitions restored with a log ahead of the broker's topic (its next offset beyond the high watermark: the broker was reset or lost its data while the store was kept); they are not processed and the processor is not ready",
  ['topic', 'partition'],
);

/** The partition's high watermark, or null when the broker's answer failed or took over 3 s. */
export async function highWatermark(admin: Pick<Admin, 'highWatermark'>, topic: string, partition: number): Promise<number | null> {
  const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), HIGH_WATERMARK_TIMEOUT_MS).unref());
  return Promise.race([admin.highWatermark(topic, partition).then(Number, () => null), timeout]);
}

/**
 * True (logged as an error, counted) when a restored log's next offset is beyond the partition's
 * high watermark. Its offsets were read from the topic, and a high watermark only grows: the topic
 * lost its data (the broker reset while the store was kept), and the task would wait for offsets
 * that may never come, or step another incarnation's messages as if they followed its own. An
 * unknown high watermark flags nothing.
 */
export async function aheadOfBroker(admin: Pick<Admin, 'highWatermark'>, ref: PartitionRef, nextOffset: number, logger: Logger): Promise<boolean> {
  if (nextOffset === 0) return false;
  const high = await highWatermark(admin, ref.topic, ref.partition);
  if (high === null || nextOffset <= high) return false;
  logger.error(
    { topic: ref.topic, partition: ref.partition, nextOffset, highWatermark: high },
    "this store's log is ahead of the broker's topic (the broker was reset or its data lost while the store was kept); the partition is not processed: " +
      "start with the broker's original data, or remove the processor's store (.stack/state and .stack/chdb under npm start) to reprocess from the start",
  );
  aheadCount.inc({ topic: ref.topic, partition: ref.partition });
  return true;
}
