/**
 * A partition's keyed state on disk (lmdb, as Kafka Streams keeps its state in RocksDB): a day of
 * FCR windows, open sessions, outreach windows and dedup ids is not millions of objects on the JS
 * heap. Values are msgpack-encoded once per flush; the same bytes go to the write-ahead log (the
 * `done` row's delta) and, after that row is written, to lmdb.
 *
 * Reads see, newest first: the writes of the step being run (`dirty`), a bounded cache of decoded
 * values (the hot sessions), the encoded deltas of flushes stepped but not yet in lmdb (`pending`,
 * so the next flush can be stepped while the last one is still being written), then lmdb.
 *
 * Convention the logics follow: a value read with get() and changed in place is written back with
 * set() in the same step. Values are never shared between keys.
 *
 * The keys changed since the last snapshot (what an incremental snapshot writes) are kept in lmdb
 * too, in a sibling database, with the seq that last changed them: at seed scale they are hundreds of
 * thousands of key strings a partition between two snapshots, which on the heap every major GC marked.
 */
import type { Database, RootDatabase } from 'lmdb';
import { Packr } from 'msgpackr';
import type { KeyedState } from './types.ts';

/**
 * Values are packed with records: an object's keys once per shape within the value, not once per
 * object (a session's events: ~40 % fewer bytes, packed and read faster). The plain reader reads
 * record-packed values and the plain maps that earlier versions wrote alike; a records reader would
 * misread those (it takes small integers for record ids).
 */
const writer = new Packr({ useRecords: true, moreTypes: false });
const reader = new Packr({ useRecords: false, moreTypes: false });
export const encodeValue = (v: unknown): Buffer => writer.pack(v);
export const decodeValue = <T>(b: Uint8Array): T => reader.unpack(b) as T;

/** A flush's state changes: encoded values, or null for a deleted key. */
export type EncodedDelta = Map<string, Buffer | null>;

/** The meta key holding the seq of the last flush applied to this partition's lmdb database. */
const APPLIED = '\u0000applied';
const DELETED = Symbol('deleted');
const MISSING = Symbol('missing');

export interface LmdbStateOptions {
  /** Decoded values kept in memory across flushes (least recently used evicted). */
  cacheEntries?: number;
}

/**
 * Changes per lmdb write transaction: a transaction may dirty only so many pages (MDB_TXN_FULL; the
 * close of a seed-scale day removes about 3 M keys of a partition in one flush, which failed).
 */
export const OPS_PER_TXN = 50_000;

export class LmdbState implements KeyedState {
  private dirty = new Map<string, unknown>();
  private readonly pending: { seq: number; delta: EncodedDelta }[] = [];
  private readonly cache = new Map<string, unknown>();
  private readonly cacheEntries: number;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly db: Database<Buffer, string>,
    /** Keys changed by the flushes applied since the last snapshot → the seq that last changed them. */
    private readonly changed: Database<Buffer, string>,
    opts: LmdbStateOptions = {},
  ) {
    this.cacheEntries = opts.cacheEntries ?? 5_000;
  }

  /** Seq of the last flush whose changes lmdb holds (0: none). */
  get appliedSeq(): number {
    const b = this.db.get(APPLIED);
    return b ? Number(decodeValue<number>(b)) : 0;
  }

  get<T>(key: string): T | undefined {
    if (this.dirty.has(key)) {
      const v = this.dirty.get(key);
      return v === DELETED ? undefined : (v as T);
    }
    if (this.cache.has(key)) {
      const v = this.cache.get(key);
      // Least recently used first: move a hit to the end.
      this.cache.delete(key);
      this.cache.set(key, v);
      return v === MISSING ? undefined : (v as T);
    }
    let v: unknown = MISSING;
    let found = false;
    for (let i = this.pending.length - 1; i >= 0 && !found; i--) {
      const delta = this.pending[i]!.delta;
      if (delta.has(key)) {
        found = true;
        const b = delta.get(key);
        if (b) v = decodeValue(b);
      }
    }
    if (!found) {
      const b = this.db.get(key);
      if (b) v = decodeValue(b);
    }
    this.remember(key, v);
    return v === MISSING ? undefined : (v as T);
  }

  private remember(key: string, v: unknown): void {
    this.cache.set(key, v);
    if (this.cache.size > this.cacheEntries) this.cache.delete(this.cache.keys().next().value!);
  }

  set(key: string, value: unknown): void {
    this.cache.delete(key);
    this.dirty.set(key, value);
  }

  delete(key: string): void {
    this.cache.delete(key);
    this.dirty.set(key, DELETED);
  }

  /** Keys with `prefix`, with their current values (lmdb overlaid with pending and dirty changes). */
  *entries(prefix: string): IterableIterator<[string, unknown]> {
    const keys = new Set<string>();
    for (const { key } of this.db.getRange({ start: prefix, end: `${prefix}\uffff` })) if (key !== APPLIED) keys.add(key);
    for (const { delta } of this.pending) for (const k of delta.keys()) if (k.startsWith(prefix)) keys.add(k);
    for (const k of this.dirty.keys()) if (k.startsWith(prefix)) keys.add(k);
    for (const k of [...keys].sort()) {
      const v = this.get(k);
      if (v !== undefined) yield [k, v];
    }
  }

  /**
   * Ends a step: its changes become the encoded delta of flush `seq` (for the log), readable until
   * applied to lmdb. The decoded values stay in the cache (they equal the encoded ones).
   */
  takeDelta(seq: number): EncodedDelta {
    const delta: EncodedDelta = new Map();
    for (const [k, v] of this.dirty) {
      delta.set(k, v === DELETED ? null : encodeValue(v));
      this.remember(k, v === DELETED ? MISSING : v);
    }
    this.dirty = new Map();
    this.pending.push({ seq, delta });
    return delta;
  }

  /**
   * Applies flush `seq`'s delta to lmdb (after its done row is written), in order; resolves once
   * committed. `committed` runs right after the commit, before any later flush is applied: lmdb
   * then holds exactly the state after flush `seq` (where a snapshot reads it).
   */
  apply<T>(seq: number, committed?: () => T): Promise<T | undefined> {
    const entry = this.pending.find((p) => p.seq === seq);
    const run = this.writing.then(async () => {
      if (entry) {
        await this.write(seq, entry.delta, true);
        this.pending.splice(this.pending.indexOf(entry), 1);
      }
      return committed?.();
    });
    this.writing = run.then(() => undefined);
    return run;
  }

  /** How many keys changed since the last snapshot that was written (applied flushes only). */
  get changedCount(): number {
    return (this.changed.getStats() as { entryCount: number }).entryCount;
  }

  /**
   * The keys changed since the last snapshot that was written (the next incremental snapshot's).
   * They stay recorded until `forgetChanged` after that snapshot is written, so a failed one loses none.
   */
  takeChanged(): string[] {
    return Array.from(this.changed.getKeys({}), String);
  }

  /** A snapshot of the state after `seq` was written: its `keys` are forgotten, but those changed again after `seq`. */
  forgetChanged(keys: readonly string[], seq: number): Promise<void> {
    const run = this.writing.then(async () => {
      for (let i = 0; i < keys.length; i += OPS_PER_TXN) {
        await this.db.transaction(() => {
          for (const k of keys.slice(i, i + OPS_PER_TXN)) {
            const b = this.changed.get(k);
            if (b && decodeValue<number>(b) <= seq) void this.changed.remove(k);
          }
        });
      }
    });
    this.writing = run.catch(() => undefined);
    return run;
  }

  /**
   * Writes a logged or snapshotted delta straight to lmdb (restore), recording `seq` as applied.
   * `changed`: the keys belong in the next incremental snapshot (a logged delta after the last one).
   */
  async load(seq: number, delta: Iterable<[string, Buffer | null]>, changed: boolean): Promise<void> {
    await this.write(seq, delta, changed);
  }

  /**
   * Writes a delta in transactions of at most OPS_PER_TXN changes, recording `seq` as applied in the
   * last. A crash between them leaves lmdb at the previous seq with some of these values written:
   * the restore applies the logged delta again, which is idempotent (values, not increments), and
   * reads meanwhile see the pending delta before lmdb.
   */
  private async write(seq: number, delta: Iterable<[string, Buffer | null]>, markChanged: boolean): Promise<void> {
    let batch: [string, Buffer | null][] = [];
    const changedAt = encodeValue(seq);
    // Each change is two operations when marked: a transaction holds OPS_PER_TXN of them.
    const perTxn = markChanged ? OPS_PER_TXN / 2 : OPS_PER_TXN;
    const commit = (last: boolean) =>
      this.db.transaction(() => {
        for (const [k, b] of batch) {
          if (b) void this.db.put(k, b);
          else void this.db.remove(k);
          if (markChanged) void this.changed.put(k, changedAt);
        }
        if (last) void this.db.put(APPLIED, encodeValue(seq));
      });
    for (const entry of delta) {
      batch.push(entry);
      if (batch.length >= perTxn) {
        await commit(false);
        batch = [];
      }
    }
    await commit(true);
  }

  /**
   * Every key and encoded value as lmdb holds them when this is called (a read snapshot: later
   * commits do not show), for a base snapshot read in chunks.
   */
  encodedEntries(): Iterator<[string, Buffer]> {
    const range = this.db.getRange({ snapshot: true })[Symbol.iterator]();
    // Reading the first entry opens the read transaction now.
    let first = range.next();
    return {
      next: () => {
        while (!first.done && first.value.key === APPLIED) first = range.next();
        if (first.done) return { done: true, value: undefined };
        const { key, value } = first.value;
        first = range.next();
        return { done: false, value: [key, value] };
      },
    };
  }

  /** Encoded values of `keys` as lmdb holds them (null: absent), for an incremental snapshot. */
  encodedValues(keys: Iterable<string>): [string, Buffer | null][] {
    const out: [string, Buffer | null][] = [];
    for (const k of keys) out.push([k, this.db.get(k) ?? null]);
    return out;
  }

  /** Forgets everything (a restore from a snapshot starts over). */
  async clear(): Promise<void> {
    await this.db.clearAsync();
    await this.changed.clearAsync();
    this.cache.clear();
    this.dirty = new Map();
    this.pending.length = 0;
  }

  get size(): number {
    return this.db.getCount();
  }
}

/** lmdb environments by directory, shared by the partitions of one process. */
const envs = new Map<string, RootDatabase<Buffer, string>>();

/** A partition's state in the lmdb environment of `dir` (one per process and directory): its database `name` and its changed keys. */
export async function openPartitionState(dir: string, name: string, opts: LmdbStateOptions = {}): Promise<LmdbState> {
  let env = envs.get(dir);
  if (!env) {
    const { open } = await import('lmdb');
    // No fsync per commit: the write-ahead log in ClickHouse is the recovery source, lmdb a local
    // copy a restart finds current (or a few flushes behind, then completed from the log).
    env = open<Buffer, string>({ path: dir, maxDbs: 4096, encoding: 'binary', noSync: true, mapSize: 64 * 2 ** 30 });
    envs.set(dir, env);
  }
  const db = env.openDB<Buffer, string>({ name, encoding: 'binary' });
  return new LmdbState(db, env.openDB<Buffer, string>({ name: `${name}#changed`, encoding: 'binary' }), opts);
}

/** Closes the environment of a directory (its processor stopped). */
export async function closeStateEnv(dir: string): Promise<void> {
  const env = envs.get(dir);
  envs.delete(dir);
  await env?.close();
}
