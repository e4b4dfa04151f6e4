// @cs/forecaster: contact and call volume forecasts, their accuracy, and Erlang staffing (SPEC §9).
export { loadForecasterConfig, type ForecasterConfig } from './config.ts';
export { startForecaster, type RunningForecaster } from './service.ts';
export { Forecaster, type CycleSummary, type RunSummary, type RunKind } from './run.ts';
export { ForecastStore } from './store.ts';
export { forecastSeries, MODELS, type SeriesForecast, type ForecastOptions } from './forecast.ts';
export { backtest, rollup, HORIZONS, type BacktestResult } from './backtest.ts';
export { backtestReport } from './report.ts';
export { simulateHistory, plannersCalendar, type SimulatedHistory } from './simulated.ts';
export { erlangB, erlangC, erlangCMeasures, erlangAMeasures, requiredAgents } from './erlang.ts';
export { SlotGrid, SLOTS_PER_DAY, SLOT_MINUTES } from './grid.ts';
export type { ForecastEvent } from './calendar.ts';
export type { SeriesKey, SeriesHistory, SeriesKind } from './series.ts';
