// How long the raw event tables (`raw_*`, one per topic) keep their rows: CS_RAW_RETENTION.
//
// The raw tables hold every accepted event with its user_id; an operation that must not keep personal
// data forever sets a retention, applied as a TTL on event_time. It is a setting, not a migration,
// because it differs per deployment; it is applied with the migrations (prepareStorage) and only
// when it differs from the tables' current TTL (changing a TTL rewrites parts, so not on every start).
import type { ClickHouseClient } from '@clickhouse/client';
import { ConfigError, envReader, type Logger } from '@cs/runtime';

/** `keep`: leave the tables' TTL as it is (unset variable); `forever`: no TTL; `ttl`: rows expire after `seconds`. */
export type RawRetention = { kind: 'keep' } | { kind: 'forever' } | { kind: 'ttl'; seconds: number };

const MIN_SECONDS = 86_400;

/**
 * `CS_RAW_RETENTION`: a duration of at least a day (`400d`, `90d`), `forever` to remove a retention,
 * or unset to leave the tables as they are. Services that run the migrations (the processor, the
 * migrations one-shot) apply it; one that lacks the variable therefore never undoes it.
 */
export function loadRawRetention(env: Record<string, string | undefined> = process.env): RawRetention {
  const r = envReader(env);
  const text = r.optional('CS_RAW_RETENTION');
  if (text === undefined) return { kind: 'keep' };
  if (text.trim().toLowerCase() === 'forever') return { kind: 'forever' };
  const seconds = Math.round(r.duration('CS_RAW_RETENTION', text) / 1000);
  if (seconds < MIN_SECONDS) throw new ConfigError(`CS_RAW_RETENTION must be at least 1d (or "forever"), got "${text}"`);
  return { kind: 'ttl', seconds };
}

/** The TTL expression as ClickHouse prints it in system.tables.engine_full (compared as text). */
export function rawTtlExpression(seconds: number): string {
  return `toDateTime(event_time) + toIntervalSecond(${seconds})`;
}

/** Sets, changes or removes the TTL of every `<db>.raw_*` table to match `retention`; returns the tables changed. */
export async function applyRawRetention(client: ClickHouseClient, db: string, retention: RawRetention, logger?: Logger): Promise<string[]> {
  if (retention.kind === 'keep') return [];
  const rs = await client.query({
    query: `SELECT name, engine_full FROM system.tables WHERE database = {db:String} AND name LIKE 'raw\\\\_%' AND engine LIKE '%MergeTree' ORDER BY name`,
    query_params: { db },
    format: 'JSONEachRow',
  });
  const wanted = retention.kind === 'ttl' ? rawTtlExpression(retention.seconds) : undefined;
  const changed: string[] = [];
  for (const { name, engine_full } of await rs.json<{ name: string; engine_full: string }>()) {
    const current = / TTL (.+?)(?: SETTINGS |$)/.exec(engine_full)?.[1];
    if (current === wanted) continue;
    await client.command({ query: wanted ? `ALTER TABLE ${db}.${name} MODIFY TTL ${wanted}` : `ALTER TABLE ${db}.${name} REMOVE TTL` });
    changed.push(name);
  }
  if (changed.length > 0) logger?.info({ tables: changed, retention: retention.kind === 'ttl' ? `${retention.seconds}s` : 'forever' }, 'raw table retention applied');
  return changed;
}
