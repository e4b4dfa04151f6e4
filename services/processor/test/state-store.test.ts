import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeStateEnv, LmdbState, OPS_PER_TXN, openPartitionDb } from '../src/engine/state-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'cs-state-store-'));
afterAll(() => closeStateEnv(dir));

describe('lmdb state', () => {
  // The close of a seed-scale day removed ~3 M keys of a partition in one flush: one lmdb transaction
  // failed with MDB_TXN_FULL. Deltas are written in transactions of OPS_PER_TXN changes.
  it('writes a delta larger than one transaction may hold, seq applied at the end', async () => {
    const state = new LmdbState(await openPartitionDb(dir, 'big'));
    const n = OPS_PER_TXN * 2 + 123;
    const value = Buffer.from([0x01]);
    const loaded: [string, Buffer][] = Array.from({ length: n }, (_, i) => [`k${i}`, value]);
    await state.load(1, loaded, true);
    expect(state.appliedSeq).toBe(1);
    expect(state.size).toBe(n + 1); // the keys and the applied seq
    expect(state.takeChanged().size).toBe(n);

    for (let i = 0; i < n; i++) state.delete(`k${i}`);
    state.set('kept', 'yes');
    expect(state.takeDelta(2).size).toBe(n + 1);
    await state.apply(2);
    expect(state.appliedSeq).toBe(2);
    expect(state.size).toBe(2);
    expect(state.get('kept')).toBe('yes');
    expect(state.get('k0')).toBeUndefined();
  });
});
