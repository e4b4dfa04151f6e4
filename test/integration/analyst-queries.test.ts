/**
 * docs/analysts.md, executed. Every ```sql block of the guide is extracted (so the guide and this
 * test cannot drift), its `{name:Type}` parameters bound to the defaults the guide declares, and run
 * read-only — the way `npm run sql -p name=value` runs it — against a store loaded with simulated
 * days through the real broker and processor, plus a few bad messages so cs.dead_letters has rows.
 * Each query must run, return rows and exactly the columns its `<!-- columns: … -->` comment
 * declares; the recomputation query must reproduce cs.metrics. Also: the analyst grants DDL in
 * deploy/clickhouse/grants/analyst.sql is valid ClickHouse SQL.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEmbeddedQuery, splitStatements } from '@cs/clickhouse';
import { createProducer } from '@cs/kafka';
import { encodeEvent, type CallEvent, type SessionEvent } from '@cs/schemas';
import { loadSimulatedDays, type LoadedStore } from '../support/loaded-store.ts';
import { createTopics, kafkaOptions, query, startTestProcessor, uniquePrefix, waitFor } from '../support/pipeline.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const DOC = read('docs/analysts.md');
const GRANTS = read('deploy/clickhouse/grants/analyst.sql');
const USERS_XML = read('deploy/clickhouse/users.d/cs-users.xml');

// ---------------------------------------------------------------------------------------------
// The guide, parsed.

interface Param {
  type: string;
  /** The Type column of the table (must repeat the placeholder's type). */
  declaredType: string;
  value: string;
}

interface DocQuery {
  n: number;
  question: string;
  columns: string[];
  sql: string;
}

/** The parameter table: | `{name:Type}` | Type | `default` | meaning | */
function docParams(doc: string): Map<string, Param> {
  const params = new Map<string, Param>();
  for (const m of doc.matchAll(/^\| `\{(\w+):(\w+)\}` \| (\w+) \| `([^`]*)` \|/gm)) params.set(m[1]!, { type: m[2]!, declaredType: m[3]!, value: m[4]! });
  return params;
}

/** Every worked query: `### N. question`, `<!-- columns: a, b -->`, the ```sql block, then "How to read it:". */
function docQueries(doc: string): DocQuery[] {
  const shape = /^### (\d+)\. (.+)\n\n<!-- columns: ([^>]+?) -->\n```sql\n([\s\S]*?)\n```\n\nHow to read it: \S/gm;
  return [...doc.matchAll(shape)].map((m) => ({ n: Number(m[1]), question: m[2]!, columns: m[3]!.split(',').map((c) => c.trim()), sql: m[4]! }));
}

const PARAMS = docParams(DOC);
const QUERIES = docQueries(DOC);
const SQL_BLOCKS = [...DOC.matchAll(/^```sql$/gm)].length;

describe('docs/analysts.md is well-formed', () => {
  it('has exactly ten worked queries, each with a question, its columns and how to read it', () => {
    // A ```sql block the shape above does not match (no heading, no columns comment, no reading) is counted here but not there.
    expect(SQL_BLOCKS).toBe(10);
    expect(QUERIES.map((q) => q.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const q of QUERIES) expect(q.columns.length, q.question).toBeGreaterThan(0);
  });

  it('declares a default for every parameter', () => {
    expect([...PARAMS.keys()].sort()).toEqual(['days', 'min_contacts', 'outreach_days', 'top', 'weeks']);
    for (const [name, p] of PARAMS) {
      expect(p.declaredType, `type column of {${name}}`).toBe(p.type);
      expect(p.value, `default of {${name}}`).not.toBe('');
    }
  });

  it('every query uses stable names only and declared parameters', () => {
    const internal = /\b(metric_sums|contacts_local|contact_fcr|watermarks|processor_log|processor_snapshots|schema_migrations)\b/;
    for (const q of QUERIES) {
      expect(q.sql, `query ${q.n}`).not.toMatch(internal);
      // Every table reference is qualified with the cs database.
      for (const m of q.sql.matchAll(/\b(?:FROM|JOIN)\s+([A-Za-z_][\w.]*)/g)) expect(m[1], `query ${q.n}`).toMatch(/^cs\.\w+$/);
      for (const m of q.sql.matchAll(/\{(\w+):(\w+)\}/g)) {
        expect(PARAMS.get(m[1]!), `query ${q.n}: parameter {${m[1]}:${m[2]}} must be in the parameter table`).toBeDefined();
        expect(PARAMS.get(m[1]!)!.type, `query ${q.n}: type of {${m[1]}}`).toBe(m[2]);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The queries, run.

type Row = Record<string, unknown>;
interface Result {
  columns: string[];
  rows: Row[];
}

let store: LoadedStore;
const results = new Map<number, Result>();

/** Runs a guide query as an analyst would: read-only session, parameters bound as text (like `param_x` over HTTP). */
async function runAsAnalyst(sql: string): Promise<Result> {
  const used = new Set([...sql.matchAll(/\{(\w+):\w+\}/g)].map((m) => m[1]!));
  const params = Object.fromEntries([...used].map((name) => [name, PARAMS.get(name)!.value]));
  // A ClickHouse server (container backend) gets the same read-only request over HTTP.
  const body =
    store.config.mode === 'server'
      ? await (await store.client.exec({ query: sql, query_params: params, clickhouse_settings: { readonly: '1', default_format: 'JSON' } })).stream.toArray().then((chunks) => Buffer.concat(chunks as Buffer[]))
      : (await runEmbeddedQuery(store.dataDir, { sql, database: store.db, defaultFormat: 'JSON', params, readonly: 1 })).body;
  const json = JSON.parse(body.toString('utf8')) as { meta: { name: string }[]; data: Row[] };
  return { columns: json.meta.map((c) => c.name), rows: json.data };
}

/**
 * Bad input on a topic set of its own, consumed by a second processor on the same store: garbage
 * bytes (decode), a second STARTED (invalid), an event after its contact ended (late), a session
 * event with no STARTED and a call event with no OFFERED (orphan), an event 3 h ahead (future).
 * The two contacts it opens start on the first simulated day, outside the guide's default look-back.
 */
async function injectDeadLetters(s: LoadedStore): Promise<{ orphanEventId: string }> {
  const prefix = uniquePrefix('analyst-dlq');
  await createTopics(prefix, 1);
  const t0 = s.from + 3_600_000;
  let n = 0;
  const session = (sid: string, type: SessionEvent['type'], at: number): SessionEvent => ({
    event_id: `e-dl-${++n}`,
    event_time: at,
    business_unit: 'cards',
    product: 'credit-card',
    type,
    session_id: sid,
    user_id: `u-dl-${sid}`,
    channel: 'APP',
    entry: type === 'STARTED' ? 'SELF_SERVICE' : null,
    intent: null,
    agent_id: null,
  });
  const orphan = session('s-dl-3', 'BOT_TURN', t0 + 3000);
  const sessions: SessionEvent[] = [
    session('s-dl-1', 'STARTED', t0),
    session('s-dl-1', 'ENDED', t0 + 60_000),
    session('s-dl-1', 'BOT_TURN', t0 + 120_000), // after ENDED: late when the contact closes
    session('s-dl-2', 'STARTED', t0 + 1000),
    session('s-dl-2', 'STARTED', t0 + 2000), // a second STARTED: invalid
    orphan,
    session('s-dl-4', 'STARTED', Date.now() + 3 * 3_600_000), // future
  ];
  const answered: CallEvent = {
    event_id: `e-dl-${++n}`,
    event_time: t0,
    business_unit: 'cards',
    product: 'credit-card',
    type: 'ANSWERED',
    call_id: 'c-dl-1',
    session_id: null,
    user_id: 'u-dl-call',
    queue: 'cards.general',
    agent_id: 'a-dl-1',
    site_type: 'IN_HOUSE',
    wait_ms: 5000,
    talk_ms: null,
    hold_ms: null,
    acw_ms: null,
  };
  const producer = createProducer(kafkaOptions());
  await producer.connect();
  try {
    await producer.send([
      { topic: `${prefix}cs.sessions`, key: 'u-dl-0', value: Buffer.from('definitely not avro') },
      ...sessions.map((e) => ({ topic: `${prefix}cs.sessions`, key: e.user_id, value: encodeEvent('cs.sessions', e) })),
      { topic: `${prefix}cs.calls`, key: answered.user_id, value: encodeEvent('cs.calls', answered) },
    ]);
  } finally {
    await producer.disconnect();
  }
  const processor = await startTestProcessor(s, prefix, s.timeZone, 'kafkajs');
  try {
    await waitFor(
      'the bad messages to be dead-lettered',
      async () => Number((await query<{ n: string }>(s.client, `SELECT count() AS n FROM ${s.tables.deadLetters} FINAL`))[0]?.n) >= 6,
      60_000,
      500,
    );
  } finally {
    await processor.stop();
  }
  return { orphanEventId: orphan.event_id };
}

describe('the worked queries of docs/analysts.md, on a loaded store', () => {
  let orphanEventId = '';

  beforeAll(async () => {
    // Eight days so the week-over-week query sees two weeks.
    store = await loadSimulatedDays({ days: 8, contactsPerDay: 3000 });
    ({ orphanEventId } = await injectDeadLetters(store));
    for (const q of QUERIES) {
      try {
        results.set(q.n, await runAsAnalyst(q.sql));
      } catch (err) {
        throw new Error(`query ${q.n} (${q.question}) failed: ${(err as Error).message}`, { cause: err });
      }
    }
  });

  afterAll(async () => {
    await store?.client.close();
  });

  it.each(QUERIES.map((q) => [q.n, q.question, q] as const))('%i. %s — runs read-only, returns rows and the declared columns', (n, _question, q) => {
    const r = results.get(n)!;
    expect(r.columns).toEqual(q.columns);
    expect(r.rows.length).toBeGreaterThanOrEqual(1);
  });

  it('the recomputation from cs.contacts equals the cs.metrics figure, day by day', async () => {
    const q = QUERIES.find((x) => x.columns.includes('recomputed_share') && x.columns.includes('metrics_share'));
    expect(q, 'a query with recomputed_share and metrics_share columns').toBeDefined();
    const rows = results.get(q!.n)!.rows;
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const r of rows) {
      expect(Number(r.recomputed_denominator), `day ${r.day}`).toBeGreaterThan(0);
      expect(Number(r.recomputed_numerator), `day ${r.day}`).toBe(Number(r.metrics_numerator));
      expect(Number(r.recomputed_denominator), `day ${r.day}`).toBe(Number(r.metrics_denominator));
      expect(r.recomputed_share, `day ${r.day}`).toBe(r.metrics_share);
    }
    // And the published side is what cs.metrics really says (the query does not just compare contacts with themselves).
    const days = rows.map((r) => `'${String(r.day)}'`).join(', ');
    const [published] = await query<{ n: number; d: number }>(
      store.client,
      `SELECT sum(numerator) AS n, sum(denominator) AS d FROM ${store.tables.metrics}
       WHERE grain = 'day' AND metric = 'self_service_share' AND toDate(bucket) IN (${days})`,
    );
    expect(rows.reduce((s, r) => s + Number(r.recomputed_numerator), 0)).toBe(Number(published!.n));
    expect(rows.reduce((s, r) => s + Number(r.recomputed_denominator), 0)).toBe(Number(published!.d));
  });

  it('the ratio queries re-aggregate numerators and denominators (no avg of value)', () => {
    for (const q of QUERIES) expect(q.sql, `query ${q.n}`).not.toMatch(/\bavg\s*\(\s*value\s*\)/i);
    // Query 1 spot check: the share is its own columns' ratio.
    for (const r of results.get(1)!.rows) {
      expect(Number(r.self_service_share)).toBeCloseTo(Number(r.self_service_contacts) / Number(r.ended_contacts), 4);
    }
  });

  it('the dead-letter query shows the refused messages by topic and reason', () => {
    const rows = results.get(10)!.rows;
    const reasons = new Set(rows.map((r) => `${String(r.topic).replace(/^.*?(cs\.\w+)$/, '$1')}/${String(r.reason)}`));
    for (const want of ['cs.sessions/decode', 'cs.sessions/invalid', 'cs.sessions/late', 'cs.sessions/orphan', 'cs.sessions/future', 'cs.calls/orphan']) {
      expect(reasons, want).toContain(want);
    }
  });

  it('documented caveat: an event refused when its window closes is in its raw table and in cs.dead_letters', async () => {
    const [row] = await query<{ raw: string; dead: string }>(
      store.client,
      `SELECT (SELECT uniqExact(event_id) FROM ${store.tables.rawSessions} WHERE event_id = '${orphanEventId}') AS raw,
              (SELECT count() FROM ${store.tables.deadLetters} FINAL WHERE event_id = '${orphanEventId}' AND reason = 'orphan') AS dead`,
    );
    expect(Number(row!.raw)).toBe(1);
    expect(Number(row!.dead)).toBe(1);
  });

  // -------------------------------------------------------------------------------------------
  // deploy/clickhouse/grants/analyst.sql

  it('the analyst grants DDL is valid ClickHouse SQL (parsed by the engine; chdb cannot apply it)', async () => {
    expect(GRANTS).toMatch(/\{\{db\}\}/);
    const sql = GRANTS.replace(/\{\{db\}\}/g, store.db).replace(/\{\{analyst_password\}\}/g, 'analyst-test-password');
    expect(sql, 'no other placeholders').not.toMatch(/\{\{/);
    const statements = splitStatements(sql);
    expect(statements.map((s) => /^(?:--.*\n|\s)*(\w+\s+\w+(?:\s+\w+)?)/.exec(s)?.[1])).toEqual([
      'CREATE ROLE IF',
      'GRANT SELECT ON',
      'CREATE SETTINGS PROFILE',
      'CREATE USER IF',
      'GRANT cs_analyst TO',
      'ALTER USER analyst',
    ]);

    // Applying it for real needs a writable user directory; the embedded engine has only its built-in default user.
    let applied = false;
    try {
      await store.client.command({ query: statements[0]! });
      applied = true;
    } catch (err) {
      expect((err as Error).message).toMatch(/Not enough privileges|ACCESS_STORAGE_FOR_INSERTION_NOT_FOUND|no writeable access storage/);
    }
    if (applied) {
      for (const s of statements.slice(1)) await store.client.command({ query: s });
      const grants = await query<Record<string, string>>(store.client, 'SHOW GRANTS FOR cs_analyst');
      expect(JSON.stringify(grants)).toContain(`GRANT SELECT ON ${store.db}.* TO cs_analyst`);
    }

    // Either way, the engine's own parser must accept every statement: formatQuery parses without executing.
    const formatted: string[] = [];
    for (const statement of statements) {
      const rs = await store.client.query({ query: 'SELECT formatQuery({q:String}) AS f', query_params: { q: statement }, format: 'JSONEachRow' });
      const [row] = await rs.json<{ f: string }>();
      expect(row?.f, statement).toBeTruthy();
      formatted.push(row!.f);
    }
    expect(formatted).toContain(`GRANT SELECT ON ${store.db}.* TO cs_analyst`);
    expect(formatted.find((f) => f.startsWith('CREATE USER'))).toMatch(/SETTINGS readonly = 2/);

    // Setting names are not checked by the parser: they must exist.
    const names = [...sql.replace(/--.*$/gm, '').matchAll(/^\s*(?:SETTINGS\s+)?([a-z_]+) = \d+/gm)].map((m) => m[1]!);
    expect(names).toEqual(expect.arrayContaining(['readonly', 'max_execution_time', 'max_memory_usage']));
    const known = await query<{ name: string }>(store.client, `SELECT name FROM system.settings WHERE name IN (${names.map((x) => `'${x}'`).join(', ')})`);
    expect(new Set(known.map((k) => k.name))).toEqual(new Set(names));
  });

  it('the grants DDL matches the analyst profile of the compose users.d XML', () => {
    const profile = /<cs_analyst>([\s\S]*?)<\/cs_analyst>/.exec(USERS_XML)![1]!;
    const xmlValue = (name: string) => new RegExp(`^\\s*<${name}>(\\d+)</${name}>`, 'm').exec(profile)?.[1];
    const xmlMax = (name: string) => new RegExp(`<${name}>\\s*<max>(\\d+)</max>`).exec(profile)?.[1];
    expect(GRANTS).toMatch(new RegExp(`readonly = ${xmlValue('readonly')}\\b`));
    for (const name of ['max_execution_time', 'max_memory_usage']) {
      expect(GRANTS).toMatch(new RegExp(`${name} = ${xmlValue(name)} MAX ${xmlMax(name)}\\b`));
    }
    expect(USERS_XML).toMatch(/GRANT SELECT ON cs\.\*/);
  });
});
