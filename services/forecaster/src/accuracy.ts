/**
 * SPEC §9 accuracy of one forecast day against its actuals, as numerator/denominator sums so any
 * roll-up (business units, channels, days) is recomputable:
 *
 *   forecast_accuracy_daily  = 1 − |ΣF − ΣA| / ΣA   numerator ΣA − |ΣF − ΣA|, denominator ΣA
 *   forecast_wape_interval   = Σ|F − A| / ΣA         numerator Σ|F − A|,        denominator ΣA
 */
export interface DayScore {
  forecast: number;
  actual: number;
  /** ΣA − |ΣF − ΣA| (may be negative when the forecast is off by more than the actual). */
  accuracyNumerator: number;
  /** Σ|F − A| over the day's slots. */
  absoluteError: number;
}

export function dayScore(forecast: ArrayLike<number>, actual: ArrayLike<number>): DayScore {
  if (forecast.length !== actual.length) throw new RangeError(`forecast has ${forecast.length} slots, actuals ${actual.length}`);
  let f = 0;
  let a = 0;
  let abs = 0;
  for (let i = 0; i < actual.length; i++) {
    f += forecast[i]!;
    a += actual[i]!;
    abs += Math.abs(forecast[i]! - actual[i]!);
  }
  return { forecast: f, actual: a, accuracyNumerator: a - Math.abs(f - a), absoluteError: abs };
}
