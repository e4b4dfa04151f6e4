/**
 * Fault scenario 6 (docs/reliability.md): the deduplication window. ClickHouse remembers the insert
 * tokens (and block checksums) of a table's last `non_replicated_deduplication_window` inserts only
 * (1,000, shared by every partition of every topic that writes the table). A redo that comes later —
 * after a takeover, with other processors writing meanwhile — is no longer recognised by its token:
 * for the summing metric table, flush_ledger and the flush markers keep it from counting twice. (The
 * processor here has its embedded store to itself, so its sums share inserts and carry flush
 * markers: a token names a tick's insert, not one flush, and a redo never relied on it.)
 *
 * Shown with a window of 2 on metric_sums: the processor is SIGKILLed right after flush 3 of a
 * sessions partition wrote its sums; before it restarts, two other inserts go into metric_sums
 * (rows that add nothing: 0 / 0), so the flush's token has left the window when the restarted
 * processor redoes it.
 * - with the ledger and the markers: the redo skips the sums that landed; figures exact;
 * - negative control, both checks off (no-ledger, no-markers): the sums of that flush count twice;
 * - either check alone drops the redo: figures exact with no-ledger, and with no-markers.
 */
import { insertRows } from '@cs/clickhouse';
import { describe, expect, it } from 'vitest';
import type { TestStore } from '../support/pipeline.ts';
import { crashRun } from './support/crash.ts';
import { describe as explain, exact } from './support/oracle.ts';
import { record } from './support/run.ts';

const SUMS = 'metric_sums';
const KILL = { failpoint: `mid-insert:cs.sessions:3:${SUMS}` };

async function smallWindow(store: TestStore): Promise<void> {
  await store.client.command({ query: `ALTER TABLE ${store.db}.${SUMS} MODIFY SETTING non_replicated_deduplication_window = 2` });
}

/** Two inserts into the metric sums that change no figure: the window moves past the killed flush. */
async function otherWriters(store: TestStore): Promise<void> {
  for (const i of [1, 2]) {
    const row = { grain: 'day', bucket: Date.parse('2000-01-01T00:00:00Z') / 1000, metric: 'contacts', business_unit: 'window-filler', product: 'window-filler', channel: 'APP', numerator: 0, denominator: 0, flush: '' };
    await insertRows(store.client, `${store.db}.${SUMS}`, [row], { dedupToken: `window-filler/${SUMS}/${i}` });
  }
}

describe('a redo later than the deduplication window', () => {
  it('with flush_ledger and the flush markers: the redo skips the sums that landed, figures exact', async () => {
    const run = await crashRun('window', [KILL], { prepare: smallWindow, afterKills: otherWriters });
    record({ scenario: 'dedup window 2: redo after the window, with the ledger and the markers', kind: 'scenario', passed: exact(run.verdict), verdict: run.verdict, details: { kills: run.fired } });
    expect(run.fired).toHaveLength(1);
    expect(run.outputs[1]).toContain('redoing an unfinished flush');
    expect(exact(run.verdict), explain(run.verdict)).toBe(true);
  });

  it('negative control: ledger and marker checks off (no-ledger, no-markers) → the sums of the flush count twice', async () => {
    const run = await crashRun('window-ctl', [KILL], { prepare: smallWindow, afterKills: otherWriters, defect: 'no-ledger,no-markers' });
    record({ scenario: 'dedup window 2 control: no-ledger, no-markers', kind: 'control', passed: !exact(run.verdict), verdict: run.verdict, details: { kills: run.fired } });
    expect(exact(run.verdict), 'the check must catch the double count').toBe(false);
    expect(run.verdict.differences.some((d) => d.key.startsWith('day|') && d.actual !== null && d.expected !== null && (d.actual[0] > d.expected[0] || d.actual[1] > d.expected[1]))).toBe(true);
  });

  for (const [off, alone] of [
    ['no-ledger', 'the flush markers'],
    ['no-markers', 'flush_ledger'],
  ] as const) {
    it(`${off}: with ${alone} only, the redo skips the sums that landed, figures exact`, async () => {
      const run = await crashRun(`window-${off}`, [KILL], { prepare: smallWindow, afterKills: otherWriters, defect: off });
      record({ scenario: `dedup window 2: redo after the window, ${off}`, kind: 'scenario', passed: exact(run.verdict), verdict: run.verdict, details: { kills: run.fired } });
      expect(run.outputs[1]).toContain('redoing an unfinished flush');
      expect(exact(run.verdict), explain(run.verdict)).toBe(true);
    });
  }
});
