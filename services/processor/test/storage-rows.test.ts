// The rows the processor writes are the rows @cs/storage describes (and checks against the engine):
// the same columns (and, where the processor types its rows, types the compiler accepts as the
// storage row types).
import type { ConsumedMessage } from '@cs/kafka';
import { TOPICS, type OutreachEvent, type SessionEvent } from '@cs/schemas';
import { RAW_TABLES, ROW_COLUMNS, rawColumns, type DeadLetterRow, type MetricSumRow, type OutreachOutcomeRow } from '@cs/storage';
import { describe, expect, it } from 'vitest';
import { Buckets } from '../src/buckets.ts';
import { FlushOutputs } from '../src/engine/outputs.ts';
import { LOGIC } from '../src/logic/index.ts';
import { outreachLogic } from '../src/logic/outreach.ts';
import { sessionsLogic } from '../src/logic/sessions.ts';
import { latestRows, runLogic } from './harness.ts';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const columnsOf = (table: keyof typeof ROW_COLUMNS) => Object.keys(ROW_COLUMNS[table]).sort();
const keysOf = (row: object) => Object.keys(row).sort();
const msg = (topic: string): ConsumedMessage => ({ topic, partition: 2, offset: '41', key: Buffer.from('u1'), value: Buffer.from('x'), timestamp: T0 });

const session = (type: SessionEvent['type'], time: number): SessionEvent => ({
  event_id: `s-${type}`,
  event_time: time,
  business_unit: 'b',
  product: 'p',
  type,
  session_id: 's1',
  user_id: 'u1',
  channel: 'APP',
  entry: type === 'STARTED' ? 'SELF_SERVICE' : null,
  intent: null,
  agent_id: null,
});

const outreach = (type: OutreachEvent['type'], time: number): OutreachEvent => ({
  event_id: `o-${type}`,
  event_time: time,
  business_unit: 'b',
  product: 'p',
  type,
  outreach_id: type === 'CONTACTED' ? 'o1' : null,
  user_id: 'u1',
  campaign: 'winback',
  channel: 'SMS',
});

describe('rows written by the processor', () => {
  it("raw rows: each topic's logic names its raw table, and a row has exactly its columns", () => {
    for (const topic of TOPICS) expect(LOGIC[topic].rawTable, topic).toBe(RAW_TABLES[topic]);
    const event = session('STARTED', T0);
    const out = new FlushOutputs(new Buckets('UTC'), T0);
    out.raw('raw_sessions', event, 2, 41);
    const raw = out.raws.get('raw_sessions')!;
    expect([...raw.columns].sort()).toEqual(Object.keys(rawColumns('raw_sessions')).sort());
    const [line, rest] = raw.body.bytes.toString('utf8').split('\n');
    expect(rest).toBe('');
    expect(line!.split('\t')).toHaveLength(raw.columns.length);
    expect(line!.split('\t').slice(-2)).toEqual(['2', '41']);
  });

  it('contact rows (provisional, then final) and FCR rows have exactly their tables columns, later versions higher', () => {
    const r = runLogic(sessionsLogic, [[session('STARTED', T0), session('ENDED', T0 + 90_000)], []], { idleCloseAt: T0 + 3 * 86_400_000 });
    const rows = r.rows.get('contacts_local') ?? [];
    expect(rows.map((c) => c.final)).toEqual([false, true]);
    expect(Number(rows[1]!.version)).toBeGreaterThan(Number(rows[0]!.version));
    for (const c of rows) expect(keysOf(c)).toEqual(columnsOf('contacts_local'));
    const fcr = r.rows.get('contact_fcr') ?? [];
    expect(fcr.map((x) => x.fcr_state)).toEqual(['resolved']);
    for (const x of fcr) expect(keysOf(x)).toEqual(columnsOf('contact_fcr'));
  });

  it('outreach outcome rows have exactly the outreach_outcomes columns', () => {
    const r = runLogic(outreachLogic, [[outreach('CONTACTED', T0), outreach('RETAINED', T0 + 86_400_000)]], { idleCloseAt: T0 + 40 * 86_400_000 });
    const rows = (r.rows.get('outreach_outcomes') ?? []) as unknown as OutreachOutcomeRow[];
    expect(rows.map((o) => o.final)).toEqual([false, true]); // decided live, then final
    expect(latestRows(r, 'outreach_outcomes', 'outreach_id')).toHaveLength(1);
    for (const o of rows) expect(keysOf(o)).toEqual(columnsOf('outreach_outcomes'));
  });

  it('metric sum rows and dead letters have exactly their tables columns', () => {
    const out = new FlushOutputs(new Buckets('UTC'), T0);
    out.metric('contacts', T0, { business_unit: 'b', product: 'p', channel: 'APP' }, 1, 0);
    out.deadLetter(msg('cs.sessions'), 'decode', 'bad bytes');
    const sums: MetricSumRow[] = out.metricRows();
    expect(sums.map((row) => row.grain)).toEqual(['minute', 'hour', 'day']);
    for (const row of sums) expect(keysOf(row), row.grain).toEqual(columnsOf('metric_sums'));
    const letters: DeadLetterRow[] = out.deadLetters;
    expect(keysOf(letters[0]!)).toEqual(columnsOf('dead_letters'));
  });
});
