// The embedded store's shutdown (packages/clickhouse/src/exit-teardown.ts): the last client of a data
// directory detaches its databases before its connection closes, so the engine's exit teardown finds
// no table tasks running; a client still open keeps them; the next open has them back with their rows.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';
import { expect, it } from 'vitest';
import { openClickHouse } from '../../packages/clickhouse/src/index.ts';

it('detaches the store databases when its last client closes, and a reopen has them back with their rows', async () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'cs-exit-')), 'chdb');
  const open = () => openClickHouse({ mode: 'embedded', url: undefined, user: 'default', password: '', database: 'exit_probe', dataDir, timeZone: 'UTC' });
  const count = async (client: ReturnType<typeof open>) => Number((await (await client.query({ query: 'SELECT count() AS n FROM exit_probe.t', format: 'JSONEachRow' })).json<{ n: string | number }>())[0]!.n);
  const first = open();
  const second = open();
  await first.command({ query: 'CREATE DATABASE exit_probe' });
  await first.command({ query: 'CREATE TABLE exit_probe.t (n UInt32) ENGINE = MergeTree ORDER BY n' });
  await first.command({ query: 'INSERT INTO exit_probe.t VALUES (1), (2), (3)' });
  await first.close();
  expect(await count(second)).toEqual(3);

  // A raw engine session (not a client) keeps the engine's server up past the last client's close, to look.
  const observer = new Session(dataDir);
  try {
    await second.close();
    expect(observer.query("SELECT count() FROM system.databases WHERE name = 'exit_probe'", 'TSVRaw').trim()).toBe('0');
  } finally {
    observer.close();
  }

  const reopened = open();
  try {
    expect(await count(reopened)).toEqual(3);
  } finally {
    await reopened.close();
  }
});
