import type { ClickHouseClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { InsertCoalescer, mergedToken } from '../src/insert-coalescer.ts';
import type { RawInsert } from '../src/insert.ts';

/** A client that records the inserts it is given (unit test: no engine), failing those the test names. */
function recordingClient(failTables: string[] = []) {
  const inserts: { table: string; token: string | undefined; body: string }[] = [];
  const client = {
    async exec(params: { values: { insert: RawInsert } }) {
      const { table, settings, values } = params.values.insert;
      if (failTables.includes(table)) throw Object.assign(new Error(`refused ${table}`), { code: '60', type: 'UNKNOWN_TABLE' });
      inserts.push({ table, token: settings.insert_deduplication_token as string | undefined, body: values.toString('utf8') });
      return { stream: { destroy() {} } };
    },
  } as unknown as ClickHouseClient;
  return { client, inserts };
}

describe('InsertCoalescer', () => {
  it('writes what is submitted in one turn of the event loop as one insert per table, with a token naming every write', async () => {
    const { client, inserts } = recordingClient();
    const coalescer = new InsertCoalescer(client);
    await Promise.all([
      coalescer.rows('cs.sums', [{ a: 1, b: 'x' }], { dedupToken: 'p0/1/sums' }),
      coalescer.rows('cs.sums', [{ a: 2, b: 'y' }], { dedupToken: 'p1/7/sums' }),
      coalescer.rows('cs.log', [{ seq: 1 }], { dedupToken: 'p0/1/done' }),
    ]);
    expect(inserts.map((i) => i.table).sort()).toEqual(['cs.log', 'cs.sums']);
    const sums = inserts.find((i) => i.table === 'cs.sums')!;
    expect(sums.body).toBe('1\tx\n2\ty\n');
    expect(sums.token).toBe(mergedToken(['p0/1/sums', 'p1/7/sums']));
    expect(sums.token).not.toBe('p0/1/sums');
    // Alone, a write keeps its own token: a redo of it alone is then dropped as a duplicate.
    expect(inserts.find((i) => i.table === 'cs.log')!.token).toBe('p0/1/done');
  });

  it('writes submitted in later turns go in later inserts', async () => {
    const { client, inserts } = recordingClient();
    const coalescer = new InsertCoalescer(client);
    await coalescer.rows('cs.sums', [{ a: 1 }], { dedupToken: 't1' });
    await coalescer.rows('cs.sums', [{ a: 2 }], { dedupToken: 't2' });
    expect(inserts.map((i) => [i.body, i.token])).toEqual([
      ['1\n', 't1'],
      ['2\n', 't2'],
    ]);
  });

  it('a write marked alone gets an insert of its own, with its own token', async () => {
    const { client, inserts } = recordingClient();
    const coalescer = new InsertCoalescer(client);
    await Promise.all([
      coalescer.rows('cs.sums', [{ a: 1 }], { dedupToken: 'p0/1/sums', alone: true }),
      coalescer.rows('cs.sums', [{ a: 2 }], { dedupToken: 'p1/7/sums', alone: true }),
      coalescer.rows('cs.raw', [{ a: 3 }], { dedupToken: 'p0/1/raw' }),
      coalescer.rows('cs.raw', [{ a: 4 }], { dedupToken: 'p1/7/raw' }),
    ]);
    expect(inserts.filter((i) => i.table === 'cs.sums').map((i) => [i.body, i.token])).toEqual([
      ['1\n', 'p0/1/sums'],
      ['2\n', 'p1/7/sums'],
    ]);
    expect(inserts.filter((i) => i.table === 'cs.raw').map((i) => i.body)).toEqual(['3\n4\n']);
  });

  it('sends the writes marked alone, then those marked first (shared), before the other shared inserts of the same turn', async () => {
    const { client, inserts } = recordingClient();
    const coalescer = new InsertCoalescer(client);
    await Promise.all([
      coalescer.rows('cs.raw', [{ a: 1 }], { dedupToken: 'p0/1/raw' }),
      coalescer.rows('cs.sums', [{ a: 2 }], { dedupToken: 'p0/1/sums', alone: true }),
      coalescer.rows('cs.raw', [{ a: 3 }], { dedupToken: 'p1/7/raw' }),
      coalescer.rows('cs.sums', [{ a: 4 }], { dedupToken: 'p1/7/sums', alone: true }),
      coalescer.rows('cs.marked', [{ a: 5 }], { dedupToken: 'p0/1/marked', first: true }),
      coalescer.rows('cs.marked', [{ a: 6 }], { dedupToken: 'p1/7/marked', first: true }),
    ]);
    expect(inserts.map((i) => [i.table, i.body])).toEqual([
      ['cs.sums', '2\n'],
      ['cs.sums', '4\n'],
      ['cs.marked', '5\n6\n'],
      ['cs.raw', '1\n3\n'],
    ]);
  });

  it('keeps different column lists of one table apart', async () => {
    const { client, inserts } = recordingClient();
    const coalescer = new InsertCoalescer(client);
    await Promise.all([coalescer.rows('cs.t', [{ a: 1 }]), coalescer.rows('cs.t', [{ b: 2 }])]);
    expect(inserts.map((i) => i.body).sort()).toEqual(['1\n', '2\n']);
  });

  it('a failed insert fails every write it carried, and only those', async () => {
    const { client, inserts } = recordingClient(['cs.bad']);
    const coalescer = new InsertCoalescer(client);
    const results = await Promise.allSettled([
      coalescer.rows('cs.bad', [{ a: 1 }], { dedupToken: 'x' }),
      coalescer.rows('cs.bad', [{ a: 2 }], { dedupToken: 'y' }),
      coalescer.rows('cs.good', [{ a: 3 }], { dedupToken: 'z' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason.message).toMatch(/insert into cs.bad failed after 1 attempt: refused cs.bad/);
    expect(inserts.map((i) => i.table)).toEqual(['cs.good']);
  });

  it('a merged token is stable for the same writes and has no token when one write has none', () => {
    expect(mergedToken(['a', 'b'])).toBe(mergedToken(['a', 'b']));
    expect(mergedToken(['a', 'b'])).not.toBe(mergedToken(['b', 'a']));
    expect(mergedToken(['a', undefined])).toBeUndefined();
    expect(mergedToken(['a'])).toBe('a');
  });
});
