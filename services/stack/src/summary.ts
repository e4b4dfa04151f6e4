/** The live console summary of `npm start`: throughput, lag, contacts per minute, dead letters, live KPIs. */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin } from '@cs/kafka';
import { registry } from '@cs/runtime';
import { tablesIn } from '@cs/storage';
import { formatKpis, kpiSql, type KpiRow } from './kpis.ts';

export interface SummaryDeps {
  client: ClickHouseClient;
  db: string;
  admin: Admin;
  groupId: string;
  topics: string[];
  urls: Record<string, string>;
}

async function counterTotal(name: string): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

async function one<T>(client: ClickHouseClient, query: string): Promise<T | undefined> {
  const rows = await (await client.query({ query, format: 'JSONEachRow' })).json<T>();
  return rows[0];
}

export function startSummary(deps: SummaryDeps, intervalMs = 2000): { stop(): void } {
  let lastEvents = 0;
  let lastAt = Date.now();
  let busy = false;
  const tty = process.stdout.isTTY;
  const render = async () => {
    if (busy) return;
    busy = true;
    try {
      const events = await counterTotal('cs_processor_events_total');
      const now = Date.now();
      const rate = ((events - lastEvents) * 1000) / Math.max(1, now - lastAt);
      lastEvents = events;
      lastAt = now;
      const lag = (await deps.admin.lag(deps.groupId, deps.topics)).reduce((s, p) => s + p.lag, 0);
      const t = tablesIn(deps.db);
      const perMinute = await one<{ minute: string; contacts: number }>(
        deps.client,
        `SELECT toString(bucket) AS minute, sum(numerator) AS contacts FROM ${t.metrics}
         WHERE grain = 'minute' AND metric = 'contacts' AND bucket >= now() - INTERVAL 3 MINUTE AND bucket < toStartOfMinute(now())
         GROUP BY bucket ORDER BY bucket DESC LIMIT 1`,
      ).catch(() => undefined);
      const totals = await one<{ contacts: string; closed: string; final: string; dead: string }>(
        deps.client,
        `SELECT (SELECT sum(numerator) FROM ${t.metrics} WHERE grain = 'day' AND metric = 'contacts') AS contacts,
                (SELECT count() FROM ${t.contacts}) AS closed, (SELECT countIf(final) FROM ${t.contacts}) AS final,
                (SELECT count() FROM ${t.deadLetters} FINAL) AS dead`,
      );
      const kpis = formatKpis(await (await deps.client.query({ query: kpiSql(deps.db), format: 'JSONEachRow' })).json<KpiRow>());
      const status = [
        `  events/s processed      ${rate.toFixed(0)}`,
        `  events processed        ${events}`,
        `  consumer lag            ${lag}`,
        `  contacts last minute    ${perMinute ? `${Number(perMinute.contacts)}  (${perMinute.minute})` : '—'}`,
        `  contacts started        ${Number(totals?.contacts ?? 0)}`,
        `  contacts ended          ${Number(totals?.closed ?? 0)}  (cs.contacts; ${Number(totals?.final ?? 0)} final)`,
        `  dead letters            ${Number(totals?.dead ?? 0)}`,
      ];
      const lines = [
        `cs-analytics — live   ${new Date().toISOString()}`,
        '',
        ...status,
        '',
        ...kpis,
        '',
        ...Object.entries(deps.urls).map(([k, v]) => `  ${k.padEnd(22)}  ${v}`),
        '',
        '  Ctrl-C stops everything cleanly.',
      ];
      // Without a terminal (a log file, CI): one line of status and one of KPIs per refresh.
      const oneLine = (ls: string[]) => ls.join(' |').replace(/\s+/g, ' ').trim();
      process.stdout.write(tty ? `\x1b[2J\x1b[H${lines.join('\n')}\n` : `${oneLine(status)}\n${oneLine(kpis)}\n`);
    } catch (err) {
      process.stdout.write(`summary unavailable: ${(err as Error).message}\n`);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void render(), tty ? intervalMs : Math.max(intervalMs, 5000));
  void render();
  return { stop: () => clearInterval(timer) };
}
