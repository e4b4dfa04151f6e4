/**
 * The seasonal-naive baseline: each slot gets the value of the same slot one season earlier (a
 * week for the baseline, a day when less than a week of history exists), repeated for horizons
 * beyond one season. Prediction intervals as in Hyndman & Athanasopoulos, *Forecasting:
 * Principles and Practice* (3rd ed., §5.5): σ̂ from the seasonal differences of the history,
 * widened by √k for the k-th season ahead.
 */
import type { ModelForecast } from './augurs.ts';

/** Two-sided standard-normal quantile for a central interval of `level` (Acklam's approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

export function seasonalNaiveForecast(y: Float64Array, season: number, horizon: number, level: number): ModelForecast {
  const n = y.length;
  if (n < season) throw new RangeError(`seasonal naive needs one season (${season}) of history, got ${n}`);
  let ss = 0;
  let count = 0;
  for (let t = season; t < n; t++) {
    const e = y[t]! - y[t - season]!;
    ss += e * e;
    count++;
  }
  const sigma = count > 0 ? Math.sqrt(ss / count) : 0;
  const z = normalQuantile(0.5 + level / 2);
  const point = new Float64Array(horizon);
  const lower = new Float64Array(horizon);
  const upper = new Float64Array(horizon);
  for (let h = 0; h < horizon; h++) {
    const v = y[n - season + (h % season)]!;
    const half = z * sigma * Math.sqrt(Math.floor(h / season) + 1);
    point[h] = v;
    lower[h] = v - half;
    upper[h] = v + half;
  }
  return { point, lower, upper };
}
