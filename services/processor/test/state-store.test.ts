import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { afterAll, describe, expect, it } from 'vitest';
import { closeStateEnv, decodeValue, encodeValue, OPS_PER_TXN, openPartitionState } from '../src/engine/state-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'cs-state-store-'));
afterAll(() => closeStateEnv(dir));

describe('lmdb state', () => {
  // The close of a seed-scale day removed ~3 M keys of a partition in one flush: one lmdb transaction
  // failed with MDB_TXN_FULL. Deltas are written in transactions of OPS_PER_TXN changes.
  it('writes a delta larger than one transaction may hold, seq applied at the end', async () => {
    const state = await openPartitionState(dir, 'big');
    const n = OPS_PER_TXN * 2 + 123;
    const value = Buffer.from([0x01]);
    const loaded: [string, Buffer][] = Array.from({ length: n }, (_, i) => [`k${i}`, value]);
    await state.load(1, loaded, true);
    expect(state.appliedSeq).toBe(1);
    expect(state.size).toBe(n + 1); // the keys and the applied seq
    expect(state.takeChanged()).toHaveLength(n);

    for (let i = 0; i < n; i++) state.delete(`k${i}`);
    state.set('kept', 'yes');
    expect(state.takeDelta(2).size).toBe(n + 1);
    await state.apply(2);
    expect(state.appliedSeq).toBe(2);
    expect(state.size).toBe(2);
    expect(state.get('kept')).toBe('yes');
    expect(state.get('k0')).toBeUndefined();
  });

  // An incremental snapshot writes the keys changed since the last one written. They are kept in lmdb
  // (not hundreds of thousands of strings on the heap) until a snapshot of them has been written.
  it('keeps the changed keys until a snapshot of them is written, and those changed again after it', async () => {
    const state = await openPartitionState(dir, 'changed');
    for (const k of ['a', 'b', 'c']) state.set(k, k);
    state.takeDelta(1);
    await state.apply(1);
    const snapshotted = state.takeChanged();
    expect(snapshotted.sort()).toEqual(['a', 'b', 'c']);
    // A flush applied while the snapshot of seq 1 is being written changes `b` again.
    state.set('b', 'b2');
    state.delete('c');
    state.takeDelta(2);
    await state.apply(2);
    expect(state.changedCount).toBe(3);
    // A failed snapshot forgets nothing; a written one forgets its keys but those changed after it.
    expect(state.takeChanged().sort()).toEqual(['a', 'b', 'c']);
    await state.forgetChanged(snapshotted, 1);
    expect(state.takeChanged().sort()).toEqual(['b', 'c']);
    expect(state.changedCount).toBe(2);
    // They outlive the process (a restart from the local store snapshots them too).
    await closeStateEnv(dir);
    const reopened = await openPartitionState(dir, 'changed');
    expect(reopened.takeChanged().sort()).toEqual(['b', 'c']);
    expect(reopened.get('b')).toBe('b2');
    await reopened.clear();
    expect(reopened.changedCount).toBe(0);
  });

  // Values are packed with records now; stores and logs written before hold plain maps, whose small
  // integers (64-127) a records reader would take for record ids.
  it('reads values packed with records and the plain maps earlier versions wrote', () => {
    const event = (i: number) => ({ event_id: `e-${i}`, event_time: 1_793_548_800_000 + i, type: i ? 'BOT_TURN' : 'STARTED', intent: null, n: 64 + i });
    const values = [
      { events: [event(0), event(1), event(2)], offsets: [64, 100, 127], windowEnd: 1_793_550_600_000, filed: 29_892_510, counted: true },
      { seq: 80, nextOffset: 90, streamTime: null },
      [64, 65, [66, { y: 100 }]],
      { '3': 64, '4': 100 },
      100,
      'text',
    ];
    const earlier = new Packr({ useRecords: false, moreTypes: false });
    for (const v of values) {
      expect(decodeValue(encodeValue(v))).toEqual(v);
      expect(decodeValue(earlier.pack(v))).toEqual(v);
    }
    expect(encodeValue(values[0]).length).toBeLessThan(earlier.pack(values[0]).length);
  });
});
