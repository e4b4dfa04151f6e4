/**
 * Fault scenario 1a (docs/reliability.md): the processor SIGKILLed in each window of a flush — after
 * its intent, between its inserts (right after the day metric sums landed), and after every insert
 * and the done row but before the Kafka offset commit — and restarted after each kill. The figures,
 * contacts and dead letters then equal the reference over everything acknowledged: nothing lost,
 * nothing counted twice.
 *
 * Negative controls: the same kills with a deliberate defect (PROCESSOR_FAULT_DEFECT), each of which
 * breaks the protection one window relies on, must make the check fail.
 */
import { describe, expect, it } from 'vitest';
import { describe as explain, exact } from './support/oracle.ts';
import { crashRun } from './support/crash.ts';
import { record } from './support/run.ts';

describe('SIGKILL in each crash window', () => {
  it('after-intent, mid-insert and before-commit, restarted after each: figures exact', async () => {
    const run = await crashRun('windows', [{ failpoint: 'after-intent:cs.sessions:2' }, { failpoint: 'mid-insert:cs.sessions:4:metric_sums' }, { failpoint: 'before-commit:cs.sessions:6' }]);
    record({ scenario: 'crash windows: after-intent, mid-insert, before-commit', kind: 'scenario', passed: exact(run.verdict), verdict: run.verdict, details: { kills: run.fired } });
    expect(run.fired).toHaveLength(3);
    expect(exact(run.verdict), explain(run.verdict)).toBe(true);
  });

  it('negative control: offsets committed at the intent (commit-at-intent), killed after the intent → events lost', async () => {
    const run = await crashRun('windows-ctl-intent', [{ failpoint: 'after-intent:cs.sessions:2' }], { defect: 'commit-at-intent' });
    record({ scenario: 'crash windows control: commit-at-intent + after-intent kill', kind: 'control', passed: !exact(run.verdict), verdict: run.verdict, details: { kills: run.fired } });
    expect(exact(run.verdict), 'the check must catch the lost flush').toBe(false);
    // Lost, not doubled: the reference has contacts the store lacks.
    expect(run.verdict.contacts.actual).toBeLessThan(run.verdict.contacts.expected);
  });

  it('negative control: no insert tokens and no ledger (no-dedup), killed mid-insert → counted twice', async () => {
    const run = await crashRun('windows-ctl-insert', [{ failpoint: 'mid-insert:cs.sessions:4:metric_sums' }], { defect: 'no-dedup' });
    record({ scenario: 'crash windows control: no-dedup + mid-insert kill', kind: 'control', passed: !exact(run.verdict), verdict: run.verdict, details: { kills: run.fired } });
    expect(exact(run.verdict), 'the check must catch the double count').toBe(false);
    // The day grain counted the flush twice: some day figure is above the reference.
    expect(run.verdict.differences.some((d) => d.key.startsWith('day|') && d.actual !== null && d.expected !== null && (d.actual[0] > d.expected[0] || d.actual[1] > d.expected[1]))).toBe(true);
  });

  it('negative control: no-dedup, killed before the offset commit → the flushes in flight counted twice', async () => {
    const run = await crashRun('windows-ctl-commit', [{ failpoint: 'before-commit:cs.sessions:6' }], { defect: 'no-dedup' });
    record({ scenario: 'crash windows control: no-dedup + before-commit kill', kind: 'control', passed: !exact(run.verdict), verdict: run.verdict, details: { kills: run.fired } });
    // Flush 6 itself is complete; the flushes stepped behind it (pipelined) were in flight and are redone.
    expect(run.outputs[run.outputs.length - 1]).toContain('redoing an unfinished flush');
    expect(exact(run.verdict), 'the check must catch the double count').toBe(false);
  });
});
