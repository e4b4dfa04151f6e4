/**
 * The forecaster's reads and writes in ClickHouse.
 *
 * History comes from the raw event tables, not from cs.metrics: the minute grain of cs.metrics is
 * kept 35 days and the hour grain is too coarse for half-hour slots, while the raw tables keep every
 * accepted event (the processor's dedup and dead-lettering applied) for good; and calls offered per
 * queue exist only there (cs.metrics has no queue dimension). A contact is a STARTED session event
 * (what the `contacts` metric counts), a call an OFFERED call event. Human AHT is read from
 * cs.metrics (human_aht_seconds, day grain); caller patience from the waits of offered calls.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { insertInto, tablesIn, TABLES, type ForecastAccuracyRow, type ForecastRow, type ForecastRunRow, type QualifiedTables, type StaffingRow } from '@cs/storage';
import type { ForecastEvent } from './calendar.ts';
import { SLOTS_PER_DAY, SlotGrid, daysBetween, type Slot } from './grid.ts';
import { SERIES_KINDS, seriesId, type SeriesHistory, type SeriesKey, type SeriesKind } from './series.ts';

const SOURCES: Record<SeriesKind, { table: 'rawSessions' | 'rawCalls'; type: string; segment: string }> = {
  contacts: { table: 'rawSessions', type: 'STARTED', segment: 'channel' },
  calls: { table: 'rawCalls', type: 'OFFERED', segment: 'queue' },
};

const at = (ms: number) => `fromUnixTimestamp64Milli(toInt64(${Math.round(ms)}))`;

/** Issued forecast of one series, role and local day, per slot (summed over a repeated hour's two intervals). */
export interface IssuedDay {
  key: SeriesKey;
  role: string;
  date: string;
  model: string;
  issuedAt: number;
  point: Float64Array;
}

export class ForecastStore {
  private readonly t: QualifiedTables;

  constructor(
    readonly client: ClickHouseClient,
    readonly db: string,
    readonly grid: SlotGrid,
  ) {
    this.t = tablesIn(db);
  }

  private async rows<T>(query: string): Promise<T[]> {
    return (await this.client.query({ query, format: 'JSONEachRow' })).json<T>();
  }

  /** Every series' slot counts from `fromDate` up to (excluding) the slot `until`. */
  async readHistories(fromDate: string, until: Slot, kinds: readonly SeriesKind[] = SERIES_KINDS): Promise<SeriesHistory[]> {
    const length = daysBetween(fromDate, until.date) * SLOTS_PER_DAY + until.slot;
    const from = this.grid.dayStart(fromDate);
    const to = this.grid.instants(until.date, until.slot)[0] ?? this.grid.dayStart(until.date) + until.slot * 1_800_000;
    const out = new Map<string, SeriesHistory>();
    for (const kind of kinds) {
      const s = SOURCES[kind];
      const rows = await this.rows<{ business_unit: string; segment: string; day: string; slot: number; n: string }>(
        `SELECT business_unit, ${s.segment} AS segment, toString(toDate(event_time)) AS day,
                toHour(event_time) * 2 + intDiv(toMinute(event_time), 30) AS slot, count() AS n
         FROM ${this.t[s.table]}
         WHERE type = '${s.type}' AND event_time >= ${at(from)} AND event_time < ${at(to)}
         GROUP BY business_unit, segment, day, slot`,
      );
      for (const r of rows) {
        const key: SeriesKey = { kind, businessUnit: r.business_unit, segment: r.segment };
        const id = seriesId(key);
        let h = out.get(id);
        if (!h) out.set(id, (h = { key, start: fromDate, values: new Float64Array(length) }));
        const i = daysBetween(fromDate, r.day) * SLOTS_PER_DAY + Number(r.slot);
        if (i >= 0 && i < length) h.values[i]! += Number(r.n);
      }
    }
    return [...out.values()].sort((a, b) => seriesId(a.key).localeCompare(seriesId(b.key)));
  }

  async readEvents(): Promise<ForecastEvent[]> {
    const rows = await this.rows<{ name: string; kind: string; starts: string; ends: string; business_unit: string; channel: string; uplift: number | null }>(
      `SELECT name, kind, toString(starts) AS starts, toString(ends) AS ends, business_unit, channel, uplift
       FROM ${this.t.forecastEvents} FINAL WHERE NOT deleted ORDER BY starts, name`,
    );
    return rows.map((r) => ({ name: r.name, kind: r.kind, starts: r.starts, ends: r.ends, businessUnit: r.business_unit, channel: r.channel, uplift: r.uplift === null ? null : Number(r.uplift) }));
  }

  async writeEvents(events: readonly ForecastEvent[], note = ''): Promise<void> {
    const rows = events.map((e) => ({ name: e.name, kind: e.kind, starts: e.starts, ends: e.ends, business_unit: e.businessUnit, channel: e.channel, uplift: e.uplift, note }));
    if (rows.length) await insertInto(this.client, this.db, TABLES.forecastEvents, rows);
  }

  /** Issue times of contact forecasts issued in [from, to]. */
  async issuedBetween(from: number, to: number): Promise<number[]> {
    const rows = await this.rows<{ t: string }>(
      `SELECT DISTINCT toUnixTimestamp64Milli(issued_at) AS t FROM ${this.t.forecastRuns}
       WHERE kind = 'contacts' AND issued_at >= ${at(from)} AND issued_at <= ${at(to)}`,
    );
    return rows.map((r) => Number(r.t));
  }

  /** Has a nightly (or backfill) run been issued with its origin at this local midnight or later today? */
  async nightlyIssuedSince(origin: number): Promise<boolean> {
    const rows = await this.rows<{ n: string }>(
      `SELECT count() AS n FROM ${this.t.forecastRuns} WHERE run IN ('nightly', 'backfill') AND origin >= toDateTime(${Math.floor(origin / 1000)})`,
    );
    return Number(rows[0]?.n ?? 0) > 0;
  }

  async writeForecasts(rows: readonly ForecastRow[], token: string): Promise<void> {
    const chunk = 50_000;
    for (let i = 0; i < rows.length; i += chunk) await insertInto(this.client, this.db, TABLES.forecasts, rows.slice(i, i + chunk), { dedupToken: `${token}/forecasts/${i / chunk}` });
  }

  async writeRuns(rows: readonly ForecastRunRow[], token: string): Promise<void> {
    if (rows.length) await insertInto(this.client, this.db, TABLES.forecastRuns, rows, { dedupToken: `${token}/runs` });
  }

  async writeAccuracy(rows: readonly ForecastAccuracyRow[]): Promise<void> {
    if (rows.length) await insertInto(this.client, this.db, TABLES.forecastAccuracy, rows);
  }

  async writeStaffing(rows: readonly StaffingRow[], token: string): Promise<void> {
    if (rows.length) await insertInto(this.client, this.db, TABLES.staffing, rows, { dedupToken: `${token}/staffing` });
  }

  /**
   * The latest forecast of each contacts series, role and slot issued at or before the local midnight
   * `horizonDays − 1` days before the slot's day (1 = issued before the day began, 7 = a week ahead),
   * for the days in [fromDate, toDate).
   */
  async issuedDays(fromDate: string, toDate: string, horizonDays: number): Promise<IssuedDay[]> {
    const rows = await this.rows<{ business_unit: string; segment: string; role: string; day: string; slot: number; point: number; model: string; issued: string }>(
      `SELECT business_unit, segment, role, toString(toDate(interval)) AS day,
              toHour(interval) * 2 + intDiv(toMinute(interval), 30) AS slot,
              sum(point) AS point, any(model) AS model, toUnixTimestamp64Milli(max(issued)) AS issued
       FROM (
         SELECT business_unit, segment, role, interval, argMax(point, issued_at) AS point,
                argMax(model, issued_at) AS model, max(issued_at) AS issued
         FROM ${this.t.forecasts}
         WHERE kind = 'contacts'
           AND interval >= toDateTime(${Math.floor(this.grid.dayStart(fromDate) / 1000)})
           AND interval < toDateTime(${Math.floor(this.grid.dayStart(toDate) / 1000)})
           AND issued_at <= toStartOfDay(interval) - INTERVAL ${horizonDays - 1} DAY
         GROUP BY business_unit, segment, role, interval
       )
       GROUP BY business_unit, segment, role, day, slot`,
    );
    const out = new Map<string, IssuedDay>();
    for (const r of rows) {
      const key: SeriesKey = { kind: 'contacts', businessUnit: r.business_unit, segment: r.segment };
      const id = `${seriesId(key)}|${r.role}|${r.day}`;
      let d = out.get(id);
      if (!d) out.set(id, (d = { key, role: r.role, date: r.day, model: r.model, issuedAt: Number(r.issued), point: new Float64Array(SLOTS_PER_DAY) }));
      d.point[Number(r.slot)] = Number(r.point);
      d.issuedAt = Math.max(d.issuedAt, Number(r.issued));
    }
    return [...out.values()];
  }

  /** Human AHT per business unit over [from, to) from cs.metrics (day grain). */
  async humanAht(from: number, to: number): Promise<Map<string, number>> {
    const rows = await this.rows<{ business_unit: string; aht: number | null }>(
      `SELECT business_unit, sum(numerator) / nullIf(sum(denominator), 0) AS aht FROM ${this.t.metrics}
       WHERE grain = 'day' AND metric = 'human_aht_seconds' AND bucket >= toDateTime(${Math.floor(from / 1000)}) AND bucket < toDateTime(${Math.floor(to / 1000)})
       GROUP BY business_unit`,
    );
    return new Map(rows.filter((r) => r.aht !== null && Number(r.aht) > 0).map((r) => [r.business_unit, Number(r.aht)]));
  }

  /**
   * Abandoned calls and the total wait of offered calls (answered: wait until answer; abandoned: until
   * abandoning) per business unit over [from, to): mean patience = Σ waits / abandons, the maximum-
   * likelihood estimate for exponential patience with waits censored by answers.
   */
  async patience(from: number, to: number): Promise<Map<string, { abandons: number; waitSeconds: number }>> {
    const rows = await this.rows<{ business_unit: string; abandons: string; wait: number }>(
      `SELECT business_unit, countIf(type = 'ABANDONED') AS abandons, sum(ifNull(wait_ms, 0)) / 1000 AS wait
       FROM ${this.t.rawCalls}
       WHERE type IN ('ANSWERED', 'ABANDONED') AND event_time >= ${at(from)} AND event_time < ${at(to)}
       GROUP BY business_unit`,
    );
    return new Map(rows.map((r) => [r.business_unit, { abandons: Number(r.abandons), waitSeconds: Number(r.wait) }]));
  }
}
