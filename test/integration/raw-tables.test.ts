/** The raw tables keep every field of their topic's latest Avro schema (the schemas are the source of truth). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS, topicSchemas } from '@cs/schemas';
import { openTestStore, query, type TestStore } from '../support/pipeline.ts';

let store: TestStore;
beforeAll(async () => {
  store = await openTestStore('UTC');
});
afterAll(async () => {
  await store?.client.close();
});

describe('raw tables', () => {
  it.each([...TOPICS])('cs.raw_* of %s has exactly the schema fields plus its Kafka position', async (topic) => {
    const table = `raw_${topic.slice('cs.'.length)}`;
    const columns = (await query<{ name: string }>(store.client, `SELECT name FROM system.columns WHERE database = 'cs' AND table = '${table}' ORDER BY position`)).map((c) => c.name);
    const fields = topicSchemas(topic).latest.schema.fields.map((f) => f.name);
    expect(columns).toEqual([...fields, 'kafka_partition', 'kafka_offset']);
  });
});
