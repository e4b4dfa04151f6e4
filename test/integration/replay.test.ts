/** `npm run replay` of a JSONL export with one bad line: every good event on its topic, the bad line reported by number and dead-lettered. */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject, describe, expect, it } from 'vitest';
import { decodeEvent } from '@cs/schemas';
import { tablesIn } from '@cs/storage';
import { createTopics, openTestStore, query, startTestProcessor, uniquePrefix, waitFor } from '../support/pipeline.ts';
import { readMessages } from '../support/read-topic.ts';

/** The tables of the processor's database (`cs`), qualified. */
const cs = tablesIn('cs');

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');

describe('replay', () => {
  it('publishes every good line in order, reports and dead-letters the bad one', async () => {
    const prefix = uniquePrefix('replay');
    await createTopics(prefix, 1);
    const base = { business_unit: 'loans', product: 'mortgage', channel: 'WEB' };
    const lines = [
      { topic: 'cs.sessions', event_id: 'r1', event_time: '2026-02-01T09:00:00Z', type: 'STARTED', session_id: 'rs1', user_id: 'ru1', entry: 'SELF_SERVICE', ...base },
      { topic: 'cs.sessions', event_id: 'r2', event_time: '2026-02-01T09:01:00Z', type: 'BOT_TURN', session_id: 'rs1', user_id: 'ru1', ...base },
      { topic: 'cs.sessions', event_id: 'r3', event_time: '2026-02-01T09:02:00Z', type: 'ENDED', session_id: 'rs1', user_id: 'ru1', ...base, score: 5 },
      { topic: 'cs.qa', event_id: 'r4', event_time: '2026-02-01T10:00:00Z', business_unit: 'loans', product: 'mortgage', type: 'REVIEWED', review_id: 'q1', contact_id: 'rs1', agent_id: 'a1', channel: 'HOTLINE', score: 91, passed: true },
      { topic: 'cs.sessions', event_id: 'r5', event_time: '2026-02-01T09:03:00Z', type: 'STARTED', session_id: 'rs2', user_id: 'ru1', entry: 'HUMAN', ...base },
    ].map((l) => JSON.stringify(l));
    const file = join(mkdtempSync(join(tmpdir(), 'cs-replay-')), 'export.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);

    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', tsx, join(root, 'services/replay/src/main.ts'), file], { cwd: root, env: { ...process.env, KAFKA_BROKERS: inject('kafkaBrokers').join(','), CS_TOPIC_PREFIX: prefix } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    // Line 3 carries a field the schema does not have: reported by number, exit code 1.
    expect(result.stderr).toMatch(/line 3: .*score/);
    expect(result.stdout).toContain('published 4 events from 5 lines; 1 invalid line(s) dead-lettered: 3');
    expect(result.code).toBe(1);

    const sessions = await readMessages([`${prefix}cs.sessions`], 3);
    expect(sessions.map((m) => (decodeEvent('cs.sessions', m.value!) as { ok: true; event: { event_id: string } }).event.event_id)).toEqual(['r1', 'r2', 'r5']);
    const qa = await readMessages([`${prefix}cs.qa`], 1);
    expect(qa).toHaveLength(1);
    const dead = await readMessages([`${prefix}cs.dead_letters`], 1);
    const letter = JSON.parse(dead[0]!.value!.toString()) as { line: number; detail: string; payload_base64: string };
    expect(letter.line).toBe(3);
    expect(Buffer.from(letter.payload_base64, 'base64').toString()).toBe(lines[2]);

    // The pipeline puts it in cs.dead_letters too, with the original line as its payload.
    const store = await openTestStore('UTC');
    const processor = await startTestProcessor(store, prefix, 'UTC', 'kafkajs');
    try {
      let rows: { reason: string; detail: string; payload: string }[] = [];
      await waitFor('the replay dead letter in cs.dead_letters', async () => (rows = await query(store.client, `SELECT reason, detail, payload FROM ${cs.deadLetters} FINAL WHERE topic = '${prefix}cs.dead_letters'`)).length > 0);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.reason).toBe('invalid');
      expect(rows[0]!.detail).toMatch(/export\.jsonl:3: .*score/);
      expect(rows[0]!.payload).toBe(lines[2]);
    } finally {
      await processor.stop();
      await store.client.close();
    }
  });
});
