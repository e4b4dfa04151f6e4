/**
 * `npm run ingest-key -- --name <who> [--topics cs.sessions,cs.calls]`: makes an ingest API key.
 * Prints the key (give it to the producer; it is not stored anywhere) and the entry to add to
 * CS_INGEST_API_KEYS / CS_INGEST_API_KEYS_FILE, which holds only the key's SHA-256.
 */
import { parseArgs } from 'node:util';
import { isTopic, TOPICS, type Topic } from '@cs/schemas';
import { newApiKey } from './api-keys.ts';

const USAGE = `usage: npm run ingest-key -- --name <who> [--topics ${TOPICS.slice(0, 2).join(',')}]\n`;
const { values } = parseArgs({ options: { name: { type: 'string' }, topics: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (values.help || !values.name) {
  process.stderr.write(USAGE);
  process.exit(values.help ? 0 : 2);
}
let topics: Topic[] | undefined;
if (values.topics) {
  const list = values.topics.split(',').map((t) => t.trim()).filter(Boolean);
  const wrong = list.filter((t) => !isTopic(t));
  if (wrong.length) {
    process.stderr.write(`unknown topic(s): ${wrong.join(', ')}; expected ${TOPICS.join(', ')}\n`);
    process.exit(2);
  }
  topics = list as Topic[];
}
const { key, entry } = newApiKey(values.name, topics);
process.stdout.write(`key (give it to ${values.name}; shown only now):\n  ${key}\nentry for CS_INGEST_API_KEYS (a JSON array of these) or CS_INGEST_API_KEYS_FILE:\n  ${JSON.stringify(entry)}\n`);
