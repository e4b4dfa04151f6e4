/** npm run replay -- <file.jsonl> [--dead-letter-topic cs.dead_letters] */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createProducer, loadKafkaConfig } from '@cs/kafka';
import { loadPseudonymizer } from '@cs/producer';
import { createLogger } from '@cs/runtime';
import { replayFile } from './replay.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'dead-letter-topic': { type: 'string', default: 'cs.dead_letters' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help || positionals.length !== 1) {
  process.stderr.write('usage: npm run replay -- <file.jsonl> [--dead-letter-topic cs.dead_letters]\n  Publishes one event per line ({"topic": "cs.sessions", ...fields}) in file order.\n');
  process.exit(values.help ? 0 : 2);
}
const file = positionals[0]!;
if (!existsSync(file)) {
  process.stderr.write(`replay: no such file: ${file}\n`);
  process.exit(2);
}
const logger = createLogger('replay', process.env.LOG_LEVEL ?? 'warn');
const producer = createProducer({ ...loadKafkaConfig(process.env, 'kafkajs', 'cs-replay'), logger });
await producer.connect();
try {
  const result = await replayFile({
    file,
    producer,
    deadLetterTopic: values['dead-letter-topic']!,
    topicPrefix: process.env.CS_TOPIC_PREFIX ?? '',
    progress: true,
    pseudonymize: loadPseudonymizer(),
    onInvalid: (l) => process.stderr.write(`\nline ${l.line}: ${l.reason} (dead-lettered)\n`),
  });
  process.stdout.write(`${JSON.stringify(result.byTopic)}\npublished ${result.published} events from ${result.lines} lines; ${result.invalid.length} invalid line(s) dead-lettered${result.invalid.length ? `: ${result.invalid.map((l) => l.line).join(', ')}` : ''}\n`);
  process.exitCode = result.invalid.length ? 1 : 0;
} finally {
  await producer.disconnect();
}
