/**
 * Fault scenario 5b (docs/reliability.md): schema evolution mid-stream, with test-only versions of
 * cs.surveys (the repository's schemas are not touched): a schema directory (CS_SCHEMA_DIR) holding
 * every committed schema plus a v2.
 *
 * - Compatible v2 (a new optional field `comment`), rolled out readers first: the processor is given v2
 *   and raw_surveys its column; producers then write v1, v2, v1 again. Every survey is processed (v2
 *   ones with their comment in raw_surveys) and the figures equal the reference. Negative control: a
 *   processor without v2 (deployed in the wrong order) — the check must fail.
 * - Incompatible v2 (a new field without a default: it cannot read v1): a producer given it (npm run
 *   replay) refuses it before sending anything, naming the topic and versions; the topic stays empty.
 *   Negative control: a producer that skips the check (its own Avro encoder) puts bytes on the topic —
 *   the emptiness check must report them.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { createProducer } from '@cs/kafka';
import { avroType, buildTopicSchemas, createCodec, fingerprintBytes, canonicalForm, rabin64, messageKey, readSchemaFiles, REGISTRY_FILE, SCHEMA_DIR, TOPICS, type RecordSchema, type SurveyEvent, type Topic, type TopicSchemas } from '@cs/schemas';
import { TZ } from '../correctness/event-set.ts';
import { produce } from '../correctness/run.ts';
import { ChildProcessor, childProcessorEnv, sqlRows } from '../support/child.ts';
import { createTopics, kafkaOptions, openTestStore, uniquePrefix } from '../support/pipeline.ts';
import { exitedWithin } from '../support/child.ts';
import { CRASH_ENV } from './support/crash.ts';
import { describe as explain, exact, faultEventSet, oracle, readToEnd, type Reader } from './support/oracle.ts';
import { converged, record, settledVerdict } from './support/run.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');
const v1 = JSON.parse(readFileSync(join(SCHEMA_DIR, 'cs.surveys/v1.avsc'), 'utf8')) as RecordSchema;

/** A schema directory like the package's (CS_SCHEMA_DIR) with a test-only cs.surveys v2. */
function schemaDirWith(v2: RecordSchema): string {
  const dir = mkdtempSync(join(tmpdir(), 'cs-schemas-'));
  cpSync(SCHEMA_DIR, join(dir, 'avro'), { recursive: true });
  mkdirSync(join(dir, 'avro/cs.surveys'), { recursive: true });
  writeFileSync(join(dir, 'avro/cs.surveys/v2.avsc'), JSON.stringify(v2, null, 2));
  const ids = JSON.parse(readFileSync(REGISTRY_FILE, 'utf8')) as Record<string, number>;
  writeFileSync(join(dir, 'registry.json'), JSON.stringify({ ...ids, 'cs.surveys/v2': 1000 }));
  return dir;
}

const compatibleV2: RecordSchema = { ...v1, fields: [...v1.fields, { name: 'comment', type: ['null', 'string'], default: null, doc: 'test-only v2' }] };
const incompatibleV2: RecordSchema = { ...v1, fields: [...v1.fields, { name: 'language', type: 'string', doc: 'test-only v2 without a default: cannot read v1' }] };

/** The codec of a schema directory, for the test's own encoding and decoding. */
function codecOf(dir: string) {
  const ids = JSON.parse(readFileSync(join(dir, 'registry.json'), 'utf8')) as Record<string, number>;
  return createCodec(new Map<Topic, TopicSchemas>(TOPICS.map((t) => [t, buildTopicSchemas(t, readSchemaFiles(join(dir, 'avro', t)), ids)])));
}

const surveys = () => faultEventSet().filter((e) => e.topic === 'cs.surveys').map((e) => e.event as SurveyEvent);

/** v2's column in raw_surveys: the migration that ships with the schema version. */
async function migrateRawSurveys(processor: ChildProcessor): Promise<void> {
  const store = await openTestStore(TZ, await processor.ensureStore());
  try {
    await store.client.command({ query: `ALTER TABLE ${store.db}.raw_surveys ADD COLUMN IF NOT EXISTS comment Nullable(String)` });
  } finally {
    await store.client.close();
  }
}

/**
 * v1, v2 and v1 surveys on a fresh topic, then the processor: given v2 and raw_surveys' column first
 * (`rollout: 'readers first'`), given v2 without the column until it stopped (`'column late'`), or not
 * given v2 at all (`'no v2'`).
 */
async function evolutionRun(name: string, rollout: 'readers first' | 'column late' | 'no v2') {
  const dir = schemaDirWith(compatibleV2);
  const codec = codecOf(dir);
  const prefix = uniquePrefix(name);
  await createTopics(prefix, 3);
  const all = surveys();
  const third = Math.floor(all.length / 3);
  // Old producers (v1), a new one (v2, with a comment), old ones again.
  await produce(prefix, all.slice(0, third).map((event) => ({ topic: 'cs.surveys' as const, event })));
  const producer = createProducer(kafkaOptions());
  await producer.connect();
  const v2Events = all.slice(third, 2 * third).map((e) => ({ ...e, comment: `v2 comment of ${e.event_id}` }));
  try {
    await producer.send(v2Events.map((e) => ({ topic: `${prefix}cs.surveys`, key: messageKey('cs.surveys', e), value: codec.encode('cs.surveys', e as SurveyEvent) })));
  } finally {
    await producer.disconnect();
  }
  await produce(prefix, all.slice(2 * third).map((event) => ({ topic: 'cs.surveys' as const, event })));
  const expected = await oracle(prefix, { codec });
  expect(expected.input.events).toHaveLength(all.length);

  const processor = new ChildProcessor(childProcessorEnv(prefix, TZ, mkdtempSync(join(tmpdir(), `cs-fault-${name}-`)), { ...CRASH_ENV, ...(rollout !== 'no v2' ? { CS_SCHEMA_DIR: dir } : {}) }));
  let stopped: string | null = null;
  try {
    if (rollout === 'readers first') await migrateRawSurveys(processor);
    let url = await processor.start();
    if (rollout === 'column late') {
      // The first v2 survey stops the processor (its raw row has a column the table lacks); nothing is
      // committed past it, so after the migration a restart takes up exactly there.
      expect(await exitedWithin(processor.child!.exited, 120_000), 'the processor exits on the failed flush').toBe(true);
      expect(processor.child!.proc.exitCode).toBe(1);
      stopped = /No such column comment in table [\w.]+raw_surveys/.exec(processor.child!.output())?.[0] ?? null;
      await migrateRawSurveys(processor);
      url = await processor.start();
    }
    const read: Reader = (sql) => sqlRows(url, sql);
    const verdict = rollout !== 'no v2' ? await converged(expected, read, prefix) : await settledVerdict(expected, read, prefix);
    const v2Ids = v2Events.map((e) => `'${e.event_id}'`).join(', ');
    const [processed] = await read(`SELECT count() AS n, countIf(${rollout === 'no v2' ? '0' : `comment = concat('v2 comment of ', event_id)`}) AS commented FROM cs.raw_surveys FINAL WHERE event_id IN (${v2Ids})`);
    expect(await processor.stop()).toBe(0);
    return { verdict, v2: v2Events.length, v2Processed: Number(processed?.n ?? 0), v2Commented: Number(processed?.commented ?? 0), stopped };
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- processor output ---\n${processor.child?.output().slice(-4000)}`);
  } finally {
    await processor.kill();
  }
}

/** Runs `npm run replay` of one survey per line with CS_SCHEMA_DIR; resolves to its exit code and output. */
function replayWith(schemaDir: string, prefix: string, lines: object[]): Promise<{ code: number; output: string }> {
  const file = join(mkdtempSync(join(tmpdir(), 'cs-replay-')), 'surveys.jsonl');
  writeFileSync(file, lines.map((l) => JSON.stringify({ topic: 'cs.surveys', ...l })).join('\n'));
  return new Promise((resolve) =>
    execFile(process.execPath, ['--import', tsx, join(root, 'services/replay/src/main.ts'), file], { cwd: root, env: { ...process.env, KAFKA_BROKERS: inject('kafkaBrokers').join(','), CS_TOPIC_PREFIX: prefix, CS_SCHEMA_DIR: schemaDir } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    ),
  );
}

const messagesOn = async (topic: string) => (await readToEnd([topic], kafkaOptions('kafkajs', 'evolution-reader'))).length;

describe('schema evolution mid-stream', () => {
  it('a compatible v2 (migration and readers first): v1, v2, v1 surveys all processed, figures exact', async () => {
    const run = await evolutionRun('evolution', 'readers first');
    record({ scenario: 'schema evolution: compatible v2 mid-stream', kind: 'scenario', passed: exact(run.verdict) && run.v2Commented === run.v2, verdict: run.verdict, details: { v2Events: run.v2, v2Processed: run.v2Processed, withComment: run.v2Commented } });
    expect(run.v2Commented).toBe(run.v2);
    expect(exact(run.verdict), explain(run.verdict)).toBe(true);
  });

  it('a compatible v2 given to the processor before its column: it stops at the first v2 survey, and after the migration resumes exactly', async () => {
    const run = await evolutionRun('evolution-late', 'column late');
    record({ scenario: 'schema evolution: v2 before its raw column (stop, migrate, resume)', kind: 'scenario', passed: exact(run.verdict) && run.v2Commented === run.v2 && run.stopped !== null, verdict: run.verdict, details: { stopped: run.stopped, v2Events: run.v2, withComment: run.v2Commented } });
    expect(run.stopped).not.toBeNull();
    expect(run.v2Commented).toBe(run.v2);
    expect(exact(run.verdict), explain(run.verdict)).toBe(true);
  });

  it('negative control: a processor without v2 → the check fails', async () => {
    const run = await evolutionRun('evolution-ctl', 'no v2');
    record({ scenario: 'schema evolution control: processor without v2', kind: 'control', passed: !exact(run.verdict), verdict: run.verdict, details: { v2Events: run.v2, v2Processed: run.v2Processed } });
    expect(run.v2Processed).toBe(0);
    expect(exact(run.verdict)).toBe(false);
  });

  it('an incompatible v2 is refused by the producer before anything is sent; negative control: a producer without the check', async () => {
    const dir = schemaDirWith(incompatibleV2);
    const prefix = uniquePrefix('evolution-bad');
    await createTopics(prefix, 1);
    const lines = surveys().slice(0, 5).map((e) => ({ ...e, language: 'en' }));
    const replay = await replayWith(dir, prefix, lines);
    expect(replay.code, replay.output).not.toBe(0);
    expect(replay.output).toMatch(/cs\.surveys: schema v2 cannot read v1 \(not backward compatible\)/);
    const refused = await messagesOn(`${prefix}cs.surveys`);
    // Negative control: the same events encoded with v2 directly (no catalog, so no check) reach the topic.
    const type = avroType(incompatibleV2);
    const header = Buffer.concat([Buffer.from([0xc3, 0x01]), fingerprintBytes(rabin64(Buffer.from(canonicalForm(incompatibleV2))))]);
    const producer = createProducer(kafkaOptions());
    await producer.connect();
    try {
      await producer.send(lines.map((l) => ({ topic: `${prefix}cs.surveys`, key: l.user_id, value: Buffer.concat([header, type.toBuffer(l)]) })));
    } finally {
      await producer.disconnect();
    }
    const unchecked = await messagesOn(`${prefix}cs.surveys`);
    record({ scenario: 'schema evolution: incompatible v2 refused before producing', kind: 'scenario', passed: refused === 0, details: { exitCode: replay.code, messagesAfterRefusal: refused } });
    record({ scenario: 'schema evolution control: producer without the compatibility check', kind: 'control', passed: unchecked > 0, details: { messagesOnTopic: unchecked } });
    expect(refused).toBe(0);
    expect(unchecked, 'the emptiness check must see the unchecked producer').toBe(lines.length);
  });
});
