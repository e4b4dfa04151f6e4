/**
 * The MSTL model of @bsull/augurs (Grafana's time-series library, Rust compiled to WebAssembly):
 * multiple seasonal-trend decomposition by LOESS for the daily (48 slots) and weekly (336 slots)
 * seasonality, with an AutoETS model of the trend that gives the prediction intervals.
 * The WASM module is instantiated synchronously from the file next to the package's JS (its
 * default loader fetches a URL, which Node's fetch cannot do for file:// URLs).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MSTL, initSync } from '@bsull/augurs/mstl';

let initialised = false;

function init(): void {
  if (initialised) return;
  const entry = createRequire(import.meta.url).resolve('@bsull/augurs/mstl');
  initSync({ module: readFileSync(join(dirname(entry), 'mstl_bg.wasm')) });
  initialised = true;
}

export interface ModelForecast {
  point: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
}

/** Fits MSTL + AutoETS to `y` and predicts `horizon` steps with intervals at `level` (0–1). */
export function mstlEtsForecast(y: Float64Array, periods: readonly number[], horizon: number, level: number): ModelForecast {
  init();
  const model = MSTL.ets(Uint32Array.from(periods));
  try {
    model.fit(y);
    const f = model.predict(horizon, level);
    if (!f.intervals) throw new Error('MSTL returned no prediction intervals');
    return { point: Float64Array.from(f.point), lower: Float64Array.from(f.intervals.lower), upper: Float64Array.from(f.intervals.upper) };
  } finally {
    model.free();
  }
}
