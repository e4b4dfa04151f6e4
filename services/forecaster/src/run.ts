/**
 * One forecasting cycle, as of an instant:
 *
 *  1. issue — every series (contacts per business unit × channel, calls per business unit × queue)
 *     is forecast from the first half-hour slot not yet begun (the origin) with the data before it:
 *     a `nightly` run (the first of a local day) to the end of CS_FORECAST_HORIZON_DAYS days, with
 *     the seasonal-naive baseline beside the model; an `intraday` run otherwise, to the end of
 *     tomorrow. Rows go to cs.forecasts (never overwritten) and one row per series to
 *     cs.forecast_runs (model issued, status, reason).
 *  2. backfill — each of the last CS_FORECAST_BACKFILL_DAYS (+6) local midnights with no forecast
 *     issued around it gets one as of that midnight (run `backfill`, issued_at = the midnight), so
 *     a store loaded with history has forecasts to score.
 *  3. score — each complete day's 1-day- and 7-day-ahead contact forecasts against the actuals, into
 *     cs.forecast_accuracy (read by cs.metrics).
 *  4. staff — agents required per business unit and interval from the calls forecast (cs.staffing).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { counter, gauge, histogram, type Logger } from '@cs/runtime';
import { dayScore } from './accuracy.ts';
import { HORIZONS } from './backtest.ts';
import type { ForecastEvent } from './calendar.ts';
import type { ForecasterConfig } from './config.ts';
import { requiredAgents } from './erlang.ts';
import { forecastSeries, type SeriesForecast } from './forecast.ts';
import { SLOTS_PER_DAY, SlotGrid, addDays, daysBetween, type Slot } from './grid.ts';
import { seriesId, type SeriesHistory, type SeriesKind } from './series.ts';
import type { ForecastAccuracyRow, ForecastRow, ForecastRunRow, StaffingRow } from '@cs/storage';
import { ForecastStore } from './store.ts';

export type RunKind = 'nightly' | 'intraday' | 'backfill' | 'on_demand';

const seriesCounter = counter('cs_forecaster_series_total', 'Series forecast, by run kind and status (ok, fallback, skipped)', ['run', 'status']);
const runSeconds = histogram('cs_forecaster_run_seconds', 'Duration of a forecasting run', ['run'], [0.5, 1, 2, 5, 10, 30, 60, 120, 300]);
const lastRun = gauge('cs_forecaster_last_run_timestamp_seconds', 'When the last run of each kind finished', ['run']);
const accuracyRows = counter('cs_forecaster_accuracy_rows_total', 'Accuracy rows written to forecast_accuracy');

export interface RunSummary {
  run: RunKind;
  issuedAt: number;
  origin: Slot;
  series: number;
  byStatus: Record<string, number>;
  forecastRows: number;
  seconds: number;
}

export interface CycleSummary {
  runs: RunSummary[];
  accuracyRows: number;
  staffingRows: number;
}

export class Forecaster {
  readonly grid: SlotGrid;
  readonly store: ForecastStore;

  constructor(
    private readonly deps: { client: ClickHouseClient; db: string; config: ForecasterConfig; logger: Logger },
  ) {
    this.grid = new SlotGrid(deps.config.timeZone);
    this.store = new ForecastStore(deps.client, deps.db, this.grid);
  }

  private get config(): ForecasterConfig {
    return this.deps.config;
  }

  /** The slot forecasting starts from at wall time `now`: the one after the last that is complete and settled. */
  originAt(now: number): Slot {
    return this.grid.slotAt(this.grid.slotStart(now - this.config.delayMs));
  }

  /** A scheduled cycle: backfill, then a nightly or intraday run, scoring and staffing. */
  async cycle(now: number, run?: 'on_demand', signal?: AbortSignal): Promise<CycleSummary> {
    const runs: RunSummary[] = [];
    if (this.config.backfillDays > 0) runs.push(...(await this.backfill(now, signal)));
    const origin = this.originAt(now);
    const midnight = this.grid.dayStart(origin.date);
    const nightly = run === 'on_demand' || origin.slot === 0 || !(await this.store.nightlyIssuedSince(midnight));
    const kind: RunKind = run ?? (nightly ? 'nightly' : 'intraday');
    const lastDay = nightly ? addDays(origin.date, this.config.horizonDays - 1) : addDays(origin.date, 1);
    const issued = await this.issue({ run: kind, issuedAt: now, origin, lastDay, baseline: nightly, kinds: ['contacts', 'calls'], signal });
    runs.push(issued.summary);
    const accuracy = await this.score(now, nightly ? this.config.scoreDays : 2);
    const staffing = await this.staff(issued.forecasts, now);
    return { runs, accuracyRows: accuracy, staffingRows: staffing };
  }

  /**
   * Issues forecasts for every series from `origin` to the end of `lastDay`.
   * `baseline`: store the seasonal-naive forecast beside the issued one.
   */
  async issue(opts: {
    run: RunKind;
    issuedAt: number;
    origin: Slot;
    lastDay: string;
    baseline: boolean;
    kinds: readonly SeriesKind[];
    events?: readonly ForecastEvent[];
    /** Checked between series: an aborted run writes nothing. */
    signal?: AbortSignal;
  }): Promise<{ summary: RunSummary; forecasts: SeriesForecast[] }> {
    const began = performance.now();
    const { run, issuedAt, origin } = opts;
    const log = this.deps.logger;
    const fromDate = addDays(origin.date, -this.config.historyDays);
    const horizon = (daysBetween(origin.date, opts.lastDay) + 1) * SLOTS_PER_DAY - origin.slot;
    const [histories, events] = await Promise.all([this.store.readHistories(fromDate, origin, opts.kinds), opts.events ?? this.store.readEvents()]);
    const forecasts: SeriesForecast[] = [];
    const rows: ForecastRow[] = [];
    const runRows: ForecastRunRow[] = [];
    const byStatus: Record<string, number> = {};
    const originInstant = this.instantOf(origin);
    for (const h of histories) {
      opts.signal?.throwIfAborted();
      const f = forecastSeries(h, origin, horizon, events, this.config.forecast);
      forecasts.push(f);
      byStatus[f.status] = (byStatus[f.status] ?? 0) + 1;
      seriesCounter.inc({ run, status: f.status });
      if (f.status !== 'ok') log.warn({ run, series: seriesId(h.key), status: f.status, reason: f.reason, historyDays: f.historyDays }, `forecast ${f.status}: ${f.reason}`);
      runRows.push({
        issued_at: issuedAt,
        run,
        kind: h.key.kind,
        business_unit: h.key.businessUnit,
        segment: h.key.segment,
        origin: originInstant / 1000,
        horizon_intervals: horizon,
        model: f.primary?.model ?? '',
        status: f.status,
        reason: f.reason,
        history_days: f.historyDays,
        fit_ms: f.fitMs,
      });
      rows.push(...this.forecastRows(f, h, { issuedAt, run, originInstant, baseline: opts.baseline }));
      // WASM fits are synchronous: let the rest of the process breathe between series.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const token = `forecaster/${run}/${issuedAt}/${originInstant}/${opts.kinds.join('+')}`;
    await this.store.writeForecasts(rows, token);
    await this.store.writeRuns(runRows, token);
    const seconds = (performance.now() - began) / 1000;
    runSeconds.observe({ run }, seconds);
    lastRun.set({ run }, Date.now() / 1000);
    const summary: RunSummary = { run, issuedAt, origin, series: histories.length, byStatus, forecastRows: rows.length, seconds };
    // A backfill origin before the history begins has nothing to forecast: not worth a line per cycle.
    if (histories.length > 0 || run !== 'backfill') log.info({ ...summary, origin: `${origin.date} slot ${origin.slot}`, horizon }, `forecast run ${run} issued`);
    return { summary, forecasts };
  }

  private instantOf(slot: Slot): number {
    return slot.slot === 0 ? this.grid.dayStart(slot.date) : (this.grid.instants(slot.date, slot.slot)[0] ?? this.grid.dayStart(slot.date) + slot.slot * 1_800_000);
  }

  /** cs.forecasts rows of one series: each slot at its instant(s), a repeated hour's volume split over both. */
  private forecastRows(f: SeriesForecast, h: SeriesHistory, o: { issuedAt: number; run: RunKind; originInstant: number; baseline: boolean }): ForecastRow[] {
    const out: ForecastRow[] = [];
    const outputs = [['primary', f.primary, f.status === 'ok' ? '' : f.reason] as const, ...(o.baseline ? [['baseline', f.baseline, ''] as const] : [])];
    for (let i = 0; i < f.horizon; i++) {
      const s = f.origin.slot + i;
      const date = addDays(f.origin.date, Math.floor(s / SLOTS_PER_DAY));
      const instants = this.grid.instants(date, s % SLOTS_PER_DAY);
      for (const [role, output, note] of outputs) {
        if (!output) continue;
        const share = 1 / instants.length;
        for (const interval of instants) {
          out.push({
            issued_at: o.issuedAt,
            run: o.run,
            kind: h.key.kind,
            business_unit: h.key.businessUnit,
            segment: h.key.segment,
            role,
            model: output.model,
            origin: o.originInstant / 1000,
            interval: interval / 1000,
            horizon_minutes: Math.max(0, Math.round((interval - o.originInstant) / 60_000)),
            point: output.forecast.point[i]! * share,
            lower: output.forecast.lower[i]! * share,
            upper: output.forecast.upper[i]! * share,
            level: this.config.forecast.level,
            note,
          });
        }
      }
    }
    return out;
  }

  /** Forecasts as of each recent local midnight that has none, so that their days can be scored. */
  async backfill(now: number, signal?: AbortSignal): Promise<RunSummary[]> {
    const today = this.grid.slotAt(now).date;
    const first = addDays(today, -(this.config.backfillDays + Math.max(...HORIZONS) - 1));
    const issued = await this.store.issuedBetween(this.grid.dayStart(first) - 1_800_000, this.grid.dayStart(today));
    const events = await this.store.readEvents();
    const runs: RunSummary[] = [];
    for (let date = first; date < today; date = addDays(date, 1)) {
      const midnight = this.grid.dayStart(date);
      if (issued.some((t) => t >= midnight - 1_800_000 && t <= midnight)) continue;
      const origin = { date, slot: 0 };
      const lastDay = addDays(date, Math.max(...HORIZONS) - 1);
      const { summary } = await this.issue({ run: 'backfill', issuedAt: midnight, origin, lastDay, baseline: true, kinds: ['contacts'], events, signal });
      if (summary.series > 0) runs.push(summary);
    }
    return runs;
  }

  /** Scores the `days` complete days before now; returns the accuracy rows written. */
  async score(now: number, days: number): Promise<number> {
    const origin = this.originAt(now);
    const lastComplete = origin.date; // days before the origin's day are complete
    const fromDate = addDays(lastComplete, -days);
    const histories = await this.store.readHistories(fromDate, { date: lastComplete, slot: 0 }, ['contacts']);
    const actuals = new Map(histories.map((h) => [seriesId(h.key), h]));
    const scoredAt = Date.now();
    const rows: ForecastAccuracyRow[] = [];
    for (const horizon of HORIZONS) {
      for (const issued of await this.store.issuedDays(fromDate, lastComplete, horizon)) {
        const h = actuals.get(seriesId(issued.key));
        const d = daysBetween(fromDate, issued.date);
        const actual = h ? h.values.subarray(d * SLOTS_PER_DAY, (d + 1) * SLOTS_PER_DAY) : new Float64Array(SLOTS_PER_DAY);
        const s = dayScore(issued.point, actual);
        const bucket = this.grid.dayStart(issued.date) / 1000;
        const product = `h${horizon}d${issued.role === 'baseline' ? '_baseline' : ''}`;
        const common = { bucket, business_unit: issued.key.businessUnit, product, channel: issued.key.segment, model: issued.model, issued_at: issued.issuedAt, scored_at: scoredAt };
        rows.push({ ...common, metric: 'forecast_accuracy_daily', numerator: s.accuracyNumerator, denominator: s.actual });
        rows.push({ ...common, metric: 'forecast_wape_interval', numerator: s.absoluteError, denominator: s.actual });
      }
    }
    await this.store.writeAccuracy(rows);
    accuracyRows.inc(rows.length);
    this.deps.logger.info({ days, rows: rows.length }, 'forecast accuracy scored');
    return rows.length;
  }

  /** Agents required per business unit and interval for the calls forecast of a run. */
  async staff(forecasts: readonly SeriesForecast[], issuedAt: number): Promise<number> {
    const calls = forecasts.filter((f) => f.key.kind === 'calls' && f.primary);
    if (calls.length === 0) return 0;
    const { staffing: target } = this.config;
    const lookbackFrom = issuedAt - target.lookbackDays * 86_400_000;
    const [aht, patience] = await Promise.all([this.store.humanAht(lookbackFrom, issuedAt), this.store.patience(lookbackFrom, issuedAt)]);
    const overallAht = aht.size ? [...aht.values()].reduce((s, v) => s + v, 0) / aht.size : undefined;
    const perUnit = new Map<string, { origin: Slot; horizon: number; calls: Float64Array }>();
    for (const f of calls) {
      let u = perUnit.get(f.key.businessUnit);
      if (!u) perUnit.set(f.key.businessUnit, (u = { origin: f.origin, horizon: f.horizon, calls: new Float64Array(f.horizon) }));
      f.primary!.forecast.point.forEach((v, i) => (u!.calls[i]! += v));
    }
    const rows: StaffingRow[] = [];
    for (const [unit, u] of perUnit) {
      const ahtSeconds = aht.get(unit) ?? overallAht;
      if (ahtSeconds === undefined) {
        this.deps.logger.warn({ businessUnit: unit }, 'no human AHT in cs.metrics yet: staffing skipped');
        continue;
      }
      const p = patience.get(unit);
      const patienceSeconds = p && p.abandons >= target.minAbandons ? p.waitSeconds / p.abandons : null;
      for (let i = 0; i < u.horizon; i++) {
        const s = u.origin.slot + i;
        const date = addDays(u.origin.date, Math.floor(s / SLOTS_PER_DAY));
        const instants = this.grid.instants(date, s % SLOTS_PER_DAY);
        for (const interval of instants) {
          const offered = u.calls[i]! / instants.length;
          const r = requiredAgents({ calls: offered, intervalSeconds: 1800, ahtSeconds, patienceSeconds }, target);
          rows.push({
            issued_at: issuedAt,
            business_unit: unit,
            interval: interval / 1000,
            calls: offered,
            aht_seconds: ahtSeconds,
            patience_seconds: patienceSeconds,
            method: r.method,
            target_service_level: target.serviceLevel,
            target_answer_seconds: target.answerSeconds,
            agents_required: r.agents,
            service_level: r.measures.serviceLevel,
            abandon_rate: r.method === 'erlang_a' ? r.measures.abandonRate : null,
            occupancy: r.measures.occupancy,
          });
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await this.store.writeStaffing(rows, `forecaster/staffing/${issuedAt}`);
    return rows.length;
  }
}
