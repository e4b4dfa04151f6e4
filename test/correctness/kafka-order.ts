/** Reads back what the broker holds, in partition order: the reference's input is what Kafka delivered. */
import type { AnyEvent, Topic } from '@cs/schemas';
import { decodeEvent, TOPICS } from '@cs/schemas';
import { readMessages } from '../support/read-topic.ts';

export interface Delivered {
  events: { topic: Topic; event: AnyEvent; arrival: number }[];
  partitionOf: (topic: Topic, key: string) => number;
}

export async function delivered(prefix: string, count: number): Promise<Delivered> {
  const messages = await readMessages(TOPICS.map((t) => prefix + t), count, 120_000);
  messages.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition || Number(a.offset) - Number(b.offset)));
  const partitions = new Map<string, number>();
  const events = messages.map((m, arrival) => {
    const topic = m.topic.slice(prefix.length) as Topic;
    const decoded = decodeEvent(topic, m.value!);
    if (!decoded.ok) throw new Error(`undecodable test event at ${m.topic}/${m.partition}/${m.offset}: ${decoded.detail}`);
    partitions.set(`${topic}|${m.key!.toString()}`, m.partition);
    return { topic, event: JSON.parse(JSON.stringify(decoded.event)) as AnyEvent, arrival };
  });
  return {
    events,
    partitionOf: (topic, key) => {
      const p = partitions.get(`${topic}|${key}`);
      if (p === undefined) throw new Error(`no partition seen for ${topic} key ${key}`);
      return p;
    },
  };
}
