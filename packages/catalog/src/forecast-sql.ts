/**
 * The forecast-accuracy metrics' branch of the cs.metrics view: the forecaster scores each day into
 * <db>.forecast_accuracy (numerator/denominator per day, business unit, channel and horizon; a rescore
 * replaces the row), read here at the day grain.
 */
export function forecastAccuracySql(db: string): string {
  return `
  SELECT 'day' AS grain, bucket, metric, business_unit, product, channel, numerator, denominator
  FROM ${db}.forecast_accuracy FINAL`;
}
