/**
 * How fast `cs.metrics` answers at day grain over 90 days (issue: "a day-grain query over 90 days
 * stays fast"). Fills an embedded store with 90 days × 20k day rows (≈ 420 products × 7 business
 * units × 3 channels × 4 metrics, the real operation's breadth) and 3 days × 6.7 M minute rows, then
 * times queries through the view. Run: `npx tsx bench/metrics-query.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openClickHouse } from '@cs/clickhouse';
import { prepareStorage, tablesIn } from '@cs/storage';

const cs = tablesIn('cs');

const dataDir = mkdtempSync(join(tmpdir(), 'cs-bench-metrics-'));
const timeZone = 'Asia/Shanghai';
const client = openClickHouse({ mode: 'embedded', url: undefined, user: 'default', password: '', database: 'cs', dataDir, timeZone });
try {
  await prepareStorage(client, { database: 'cs', timeZone });
  const day0 = `toDateTime('2026-08-01 00:00:00', '${timeZone}')`;
  await client.command({ query: `INSERT INTO ${cs.metricSums} (grain, bucket, metric, business_unit, product, channel, numerator, denominator) SELECT 'day', ${day0} + toIntervalDay(number % 90), ['contacts','fcr_rate','self_service_share','human_aht_seconds'][1 + (number % 4)], 'bu' || toString(number % 7), 'p' || toString(number % 420), ['APP','WEB','HOTLINE'][1 + (number % 3)], 1, 1 FROM numbers(1800000)` });
  await client.command({ query: `INSERT INTO ${cs.metricSums} (grain, bucket, metric, business_unit, product, channel, numerator, denominator) SELECT 'minute', now() - toIntervalMinute(number % 4320), ['contacts','fcr_rate'][1 + (number % 2)], 'bu' || toString(number % 7), 'p' || toString(number % 420), 'APP', 1, 1 FROM numbers(20000000)` });
  const queries = {
    'every metric, 90 days, day grain': `SELECT metric, sum(numerator) / sum(denominator) AS v FROM ${cs.metrics} WHERE grain = 'day' AND bucket >= ${day0} GROUP BY metric`,
    'one metric per day, 90 days': `SELECT toDate(bucket) AS d, sum(numerator) FROM ${cs.metrics} WHERE grain = 'day' AND metric = 'contacts' GROUP BY d ORDER BY d`,
    'one metric per business unit, 90 days': `SELECT business_unit, sum(numerator) / sum(denominator) FROM ${cs.metrics} WHERE grain = 'day' AND metric = 'fcr_rate' GROUP BY business_unit`,
  };
  for (const [name, query] of Object.entries(queries)) {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await (await client.query({ query, format: 'JSONEachRow' })).json();
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    process.stdout.write(`${name.padEnd(40)} median ${times[2]!.toFixed(0)} ms (min ${times[0]!.toFixed(0)}, max ${times[4]!.toFixed(0)})\n`);
  }
} finally {
  await client.close();
  rmSync(dataDir, { recursive: true, force: true });
}
