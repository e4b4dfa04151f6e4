import { describe, expect, it } from 'vitest';
import { ClaimsHeld } from '../src/engine/claims-held.ts';
import type { FlushIntent } from '../src/engine/log-store.ts';

const p = { processor: 'test', topic: 'cs.sessions', partition: 0 };
const intent = (seq: number, to = seq * 10): FlushIntent => ({ seq, from: to - 10, to, wallTime: 1_000 + seq, advanceTo: null });

/** A ClaimsHeld whose writes are recorded (and fail when told) and whose log reads answer `fromLog`. */
function claims() {
  const written: FlushIntent[] = [];
  let failing = false;
  const held = new ClaimsHeld();
  const write = async (i: FlushIntent) => {
    if (failing) throw new Error('insert failed');
    written.push(i);
  };
  const fromLog = intent(1, 999);
  return { held, written, decide: (i: FlushIntent) => held.decide(p, i, write, async () => fromLog), fromLog, fail: () => (failing = true) };
}

describe('claims decided in memory (exclusive store)', () => {
  it('asks the log until a claim through it returned this process its own intent', () => {
    const { held, decide } = claims();
    expect(decide(intent(5))).toBeNull();
    held.hold(p, intent(5));
    expect(decide(intent(6))).not.toBeNull();
  });

  it('holds the next seq itself, writing its intent row; a second claim of that seq gets the first one', async () => {
    const { held, written, decide } = claims();
    held.hold(p, intent(5));
    const first = decide(intent(6))!;
    await expect(first.holder).resolves.toEqual(intent(6));
    await expect(first.landed).resolves.toBeUndefined();
    // Another task of the same partition in this process (it replaced a revoked one) claims seq 6 with other offsets.
    const second = decide(intent(6, 70))!;
    await expect(second.holder).resolves.toEqual(intent(6));
    await expect(second.landed).resolves.toBeUndefined();
    expect(written).toEqual([intent(6)]);
  });

  it('reads the holder of a seq too old to be remembered from the log, and refuses a claim that skips a seq', async () => {
    const { held, written, decide, fromLog } = claims();
    held.hold(p, intent(1));
    for (let seq = 2; seq <= 12; seq++) await decide(intent(seq))!.landed;
    await expect(decide(intent(2, 55))!.holder).resolves.toEqual(fromLog);
    await expect(decide(intent(14))!.holder).rejects.toThrow('skips seq 13');
    expect(written).toHaveLength(11);
  });

  it('decides a new seq before its row has landed; forgets a partition whose row may not have: the next claim goes through the log', async () => {
    const { held, decide, fail } = claims();
    held.hold(p, intent(5));
    fail();
    const decided = decide(intent(6))!;
    await expect(decided.holder).resolves.toEqual(intent(6));
    await expect(decided.landed).rejects.toThrow('insert failed');
    expect(decide(intent(6))).toBeNull();
  });
});
