/**
 * The forecaster as a service: a cycle on start, then one after every half-hour boundary (plus
 * CS_FORECAST_DELAY for the interval's events to land), never two at once; health, readiness and
 * Prometheus metrics; `POST /v1/forecast` for an on-demand run and `POST /v1/forecast-events` to add
 * calendar events while the pipeline owns the embedded store. A failed cycle is logged and counted,
 * and the next slot tries again. Stopping waits for the series being fitted, never writes half a run.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { counter, readBody, sendJson, startServiceHttp, type Logger, type ServiceHttp } from '@cs/runtime';
import { parseEvents } from './events-input.ts';
import type { ForecasterConfig } from './config.ts';
import { Forecaster, type CycleSummary } from './run.ts';

const cycleErrors = counter('cs_forecaster_cycle_errors_total', 'Forecasting cycles that failed (retried at the next slot)');

export interface RunningForecaster {
  forecaster: Forecaster;
  http: ServiceHttp;
  /** Runs a cycle now (waits for a running one first). */
  runNow(run?: 'on_demand'): Promise<CycleSummary>;
  stop(): Promise<void>;
}

export async function startForecaster(opts: { client: ClickHouseClient; db: string; config: ForecasterConfig; logger: Logger; now?: () => number }): Promise<RunningForecaster> {
  const { client, db, config } = opts;
  const logger = opts.logger.child({ component: 'forecaster' });
  const now = opts.now ?? Date.now;
  const forecaster = new Forecaster({ client, db, config, logger });

  const stopping = new AbortController();
  let running: Promise<CycleSummary> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const runNow = async (run?: 'on_demand'): Promise<CycleSummary> => {
    while (running) await running.catch(() => {});
    running = forecaster.cycle(now(), run, stopping.signal);
    try {
      return await running;
    } finally {
      running = null;
    }
  };
  const scheduled = async () => {
    try {
      await runNow();
    } catch (err) {
      if (stopping.signal.aborted) return;
      cycleErrors.inc();
      logger.error({ err }, 'forecasting cycle failed; retrying at the next slot');
    }
    schedule();
  };
  const schedule = () => {
    if (stopped || !config.schedule) return;
    const t = now();
    const next = forecaster.grid.slotStart(t - config.delayMs) + 1_800_000 + config.delayMs;
    timer = setTimeout(() => void scheduled(), Math.max(1000, next - t));
    timer.unref();
  };

  const http = await startServiceHttp({
    host: config.httpHost,
    port: config.httpPort,
    ready: () => !stopped,
    routes: {
      'POST /v1/forecast': async (_req, res) => sendJson(res, 200, await runNow('on_demand')),
      'POST /v1/forecast-events': async (req, res) => {
        const parsed = parseEvents(await readBody(req, 1_048_576));
        if (!parsed.ok) return sendJson(res, 400, { error: parsed.error });
        await forecaster.store.writeEvents(parsed.events, 'via POST /v1/forecast-events');
        sendJson(res, 200, { inserted: parsed.events.length });
      },
    },
  });
  logger.info({ port: http.port, schedule: config.schedule, model: config.forecast.model, timeZone: config.timeZone }, 'forecaster listening');
  if (config.schedule) void scheduled();

  return {
    forecaster,
    http,
    runNow,
    async stop() {
      stopped = true;
      stopping.abort();
      if (timer) clearTimeout(timer);
      await running?.catch(() => {});
      await http.close();
    },
  };
}
