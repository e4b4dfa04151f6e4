import type { Admin } from '@cs/kafka';
import { TOPICS } from '@cs/schemas';

export const DEAD_LETTER_TOPIC = 'cs.dead_letters';

/** Creates the seven event topics and the dead-letter topic when missing. */
export async function ensureEventTopics(admin: Admin, partitions: number, prefix = ''): Promise<void> {
  await admin.ensureTopics([...TOPICS, DEAD_LETTER_TOPIC].map((topic) => ({ topic: prefix + topic, partitions })));
}
