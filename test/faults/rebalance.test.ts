/**
 * Fault scenario 2 (docs/reliability.md): group membership changes while `npm run replay` feeds the
 * pipeline. Processor processes share one served store through CLICKHOUSE_URL (server mode).
 *
 * - Churn 1 → 3 → 1: one processor takes the first part of the replay; two more join (every partition
 *   is re-assigned, flushes are in flight) while the second part arrives; one of them crashes inside
 *   its first flush that writes metric sums, right after they landed (a failpoint), so the next owner
 *   of that partition must redo the flush; the other leaves (SIGTERM), and the first finishes the
 *   third part alone.
 * - A zombie: of two processors, one is SIGSTOPped past the session timeout while it holds buffered
 *   messages; its partitions move to the other, which carries on with them; then it is SIGCONTinued,
 *   steps what it had buffered (its claims on those flushes lose to the other member's intents, so it
 *   redoes those: docs/design.md), learns of its eviction, rejoins and is given partitions again (a
 *   partition it had before is restored from the log) while the rest of the replay arrives.
 *
 * The figures then equal the reference. Negative controls: the same runs with no-dedup — the flushes
 * a member left unfinished when its partitions moved are redone by the new owner (and, for the
 * zombie, finished by the old one too) and must be caught counting twice.
 */
import { describe, expect, it } from 'vitest';
import { firedFailpoint } from '../support/child.ts';
import { waitFor } from '../support/pipeline.ts';
import { Fleet, FLEET_ENV, parts, SETTLE_PAST_IDLE, type Member } from './support/fleet.ts';
import { describe as explain, exact, faultEventSet, oracle, type Verdict } from './support/oracle.ts';
import { converged, doneFlushes, record, settledVerdict } from './support/run.ts';

/** Seven topics of three partitions. */
const PARTITIONS = 21;


const counts = (fleet: Fleet) => new Map(fleet.members.map((m) => [m, fleet.assignments(m)]));

/** Waits until the store has `more` flushes beyond now. */
async function progress(fleet: Fleet, more: number): Promise<void> {
  const target = (await doneFlushes(fleet.read)) + more;
  await waitFor(`${more} more flushes`, async () => (await doneFlushes(fleet.read)) >= target, 120_000, 100);
}

async function churn(name: string, defect?: string): Promise<{ verdict: Verdict; redone: boolean; steps: string[] }> {
  const fleet = await Fleet.start(name, { env: { ...FLEET_ENV, ...(defect ? { PROCESSOR_FAULT_DEFECT: defect } : {}) } });
  const steps: string[] = [];
  try {
    const [first, joining, joined, third] = parts(faultEventSet(), [0.4, 0.15, 0.15, 0.3]);
    const p1 = await fleet.add('p1');
    await fleet.settledGroup([p1], new Map());
    await fleet.replay(first!);
    await progress(fleet, 10);
    steps.push(`1 member: ${await doneFlushes(fleet.read)} flushes`);
    // 1 → 3, while the second part arrives. p2 crashes inside a flush whose metric sums landed: whoever
    // owns that partition next must redo it (a graceful leave finishes its flushes, leaving none).
    const before = counts(fleet);
    const [p2, p3] = [await fleet.add('p2', { PROCESSOR_FAILPOINT: 'mid-insert:*:*:metric_sums' }), await fleet.add('p3')];
    await fleet.replay(joining!);
    await fleet.settledGroup([p1, p2, p3], before);
    // p1 may have taken all of `joining` before it gave partitions up: the rest comes once they have.
    await fleet.replay(joined!);
    await waitFor('p3 to process events', async () => (await fleet.processed(p3)) > 0, 120_000, 250);
    steps.push(`3 members: ${[p1, p2, p3].map((m) => fleet.assignment(m).length).join(' + ')} partitions`);
    await firedFailpoint(p2.child, 'p2', 120_000);
    steps.push('p2 crashed after a flush had written its metric sums');
    // 3 → 1.
    const before1 = counts(fleet);
    await fleet.stop(p3);
    await fleet.settledGroup([p1], before1);
    await waitFor('p1 to own every partition again', async () => fleet.assignment(p1).length === PARTITIONS, 60_000, 250);
    steps.push(`1 member again: ${fleet.assignment(p1).length} partitions`);
    await fleet.replay(third!);
    const expected = await oracle(fleet.prefix);
    const verdict = defect ? await settledVerdict(expected, fleet.read, fleet.prefix, SETTLE_PAST_IDLE) : await converged(expected, fleet.read, fleet.prefix, { timeoutMs: 240_000 });
    // Logged by every redo: of an intent left unfinished by the partition's previous owner (p2's), and
    // of one whose claim the previous owner (finishing its pipelined flushes) won.
    const redone = fleet.members.some((m) => fleet.said(m, 'redoing an unfinished flush') > 0);
    await fleet.stop(p1);
    return { verdict, redone, steps };
  } catch (err) {
    throw new Error(`${(err as Error).message}\n(${steps.join('; ')})\n${fleet.outputs()}`);
  } finally {
    await fleet.close();
  }
}

/** How often the zombie met the other member's work: flush claims it lost, partitions restored from the log on its return. */
const zombieEvidence = (fleet: Fleet, zombie: Member) => ({
  claimsLost: fleet.said(zombie, 'another member holds this flush; redoing its intent'),
  staleRestored: fleet.said(zombie, 'partition moved while this member was away; restoring it from the log'),
});

async function zombie(name: string, defect?: string): Promise<{ verdict: Verdict; steps: string[]; regained: string[]; evidence: ReturnType<typeof zombieEvidence> }> {
  const fleet = await Fleet.start(name, { env: { ...FLEET_ENV, ...(defect ? { PROCESSOR_FAULT_DEFECT: defect } : {}) } });
  const steps: string[] = [];
  try {
    const [first, second] = parts(faultEventSet(), [0.6, 0.4]);
    const [p1, p2] = [await fleet.add('p1'), await fleet.add('p2')];
    await fleet.settledGroup([p1, p2], new Map());
    await fleet.replay(first!);
    await waitFor('both members to process events', async () => (await fleet.processed(p1)) > 200 && (await fleet.processed(p2)) > 200, 120_000, 100);
    // Stopped holding messages, so it has flushes to step when it resumes.
    await waitFor('p2 to hold buffered messages', async () => (await fleet.buffered(p2)) > 0, 60_000, 20);
    const owned = fleet.assignment(p2);
    // The zombie: stopped mid-work, past the session timeout (6 s); its partitions move to p1.
    const before = counts(fleet);
    p2.child.proc.kill('SIGSTOP');
    steps.push(`p2 stopped owning ${owned.length} partitions`);
    await fleet.settledGroup([p1], before, 60_000);
    await waitFor('p1 to own every partition', async () => fleet.assignment(p1).length === PARTITIONS, 60_000, 250);
    await progress(fleet, 5);
    steps.push(`p1 took over: ${fleet.assignment(p1).length} partitions`);
    // Back to life: it finishes what it had under way, finds it was evicted, rejoins.
    const before2 = counts(fleet);
    p2.child.proc.kill('SIGCONT');
    await fleet.replay(second!);
    await fleet.settledGroup([p1, p2], before2);
    const regained = fleet.assignment(p2).filter((tp) => owned.includes(tp));
    steps.push(`p2 rejoined with ${fleet.assignment(p2).length} partitions, ${regained.length} of them its own before`);
    const expected = await oracle(fleet.prefix);
    const verdict = defect ? await settledVerdict(expected, fleet.read, fleet.prefix, SETTLE_PAST_IDLE) : await converged(expected, fleet.read, fleet.prefix, { timeoutMs: 240_000 });
    await Promise.all([fleet.stop(p1), fleet.stop(p2)]);
    return { verdict, steps, regained, evidence: zombieEvidence(fleet, p2) };
  } catch (err) {
    throw new Error(`${(err as Error).message}\n(${steps.join('; ')})\n${fleet.outputs()}`);
  } finally {
    await fleet.close();
  }
}

describe('rebalance churn during a replay (server mode)', () => {
  it('1 → 3 → 1 processors: figures exact', async () => {
    const run = await churn('churn');
    record({ scenario: 'rebalance churn 1→3→1 during a replay', kind: 'scenario', passed: exact(run.verdict) && run.redone, verdict: run.verdict, details: { steps: run.steps, redone: run.redone } });
    expect(exact(run.verdict), explain(run.verdict)).toBe(true);
    expect(run.redone, `p2's unfinished flush was redone (${run.steps.join('; ')})`).toBe(true);
  });

  it('negative control: churn with no-dedup → counted twice', async () => {
    const run = await churn('churn-ctl', 'no-dedup');
    record({ scenario: 'rebalance churn control: no-dedup', kind: 'control', passed: !exact(run.verdict), verdict: run.verdict, details: { steps: run.steps, redone: run.redone } });
    expect(run.redone, `p2's unfinished flush was redone (${run.steps.join('; ')}; ${explain(run.verdict)})`).toBe(true);
    expect(exact(run.verdict)).toBe(false);
  });
});

describe('a zombie processor (SIGSTOP past the session timeout, SIGCONT after its partitions moved)', () => {
  it('figures exact', async () => {
    const run = await zombie('zombie');
    record({ scenario: 'zombie: SIGSTOP past the session timeout, SIGCONT', kind: 'scenario', passed: exact(run.verdict), verdict: run.verdict, details: { steps: run.steps, ...run.evidence } });
    expect(run.evidence.claimsLost + run.evidence.staleRestored, 'the zombie stepped flushes of partitions that had moved').toBeGreaterThan(0);
    expect(exact(run.verdict), explain(run.verdict)).toBe(true);
  });

  it('negative control: zombie with no-dedup → counted twice', async () => {
    const run = await zombie('zombie-ctl', 'no-dedup');
    record({ scenario: 'zombie control: no-dedup', kind: 'control', passed: !exact(run.verdict), verdict: run.verdict, details: { steps: run.steps, ...run.evidence } });
    expect(exact(run.verdict)).toBe(false);
  });
});

