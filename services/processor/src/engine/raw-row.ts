import type { ConsumedMessage } from '@cs/kafka';
import type { AnyEvent } from '@cs/schemas';

/** A raw-table row: the event's own fields plus where it was read from. */
export function rawRow(event: AnyEvent, msg: ConsumedMessage): Record<string, unknown> {
  return { ...event, kafka_partition: msg.partition, kafka_offset: Number(msg.offset) };
}
