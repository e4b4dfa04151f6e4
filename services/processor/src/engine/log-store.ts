/**
 * The processor's write-ahead log and snapshots in ClickHouse (tables processor_log and
 * processor_snapshots), the recovery source of every partition's state. See docs/design.md: an
 * intent row fixes a flush's offsets and clock before its inserts, a done row carries its state
 * changes after them. Snapshots are incremental (the keys changed since the previous one) on top of
 * an occasional base (every key), so no snapshot reads the whole state but the base.
 */
import { TupleParam, type ClickHouseClient } from '@clickhouse/client';
import { insertRows, retryTransient, TsvBuffer, type InsertCoalescer, type RetryOptions } from '@cs/clickhouse';
import { FLUSH_MARKER_GRAIN } from '@cs/catalog';
import { ClaimsHeld } from './claims-held.ts';
import { Packr } from 'msgpackr';
import { encodeValue, type EncodedDelta, type LmdbState } from './state-store.ts';

export interface PartitionRef {
  processor: string;
  topic: string;
  partition: number;
}

export interface FlushIntent {
  seq: number;
  from: number;
  to: number;
  wallTime: number;
  /**
   * An idle flush advances the partition's stream time to this instant (the pipeline-wide stream
   * time, or the wall clock once every partition is idle; SPEC §4); null for a batch flush.
   */
  advanceTo: number | null;
}

export interface Restored {
  /** Last completed flush; 0 when the partition was never processed. */
  seq: number;
  /** An intent written but never completed: it must be redone exactly. */
  pending: FlushIntent | null;
  /** Where the state came from: the local store (plus log deltas), snapshots (plus log deltas), or nothing. */
  source: 'local' | 'snapshot' | 'empty';
  /** The base snapshot the next incremental builds on (null: the next snapshot must be a base). */
  base: number | null;
  /** Log deltas applied on top. */
  deltas: number;
}

export type SnapshotKind = 'base' | 'incremental';

/**
 * A claim's outcome: the intent holding the seq (null: none readable), and when its row has landed.
 * A flush may step before that, but its inserts wait for it: an intent is in the log before any
 * row of its flush.
 */
export interface Claim {
  holder: FlushIntent | null;
  landed: Promise<void>;
}

const LANDED = Promise.resolve();

/** processor_log's columns as the log writes them: LOG_HEAD, then the state delta. */
const LOG_HEAD = ['processor', 'topic', 'partition', 'seq', 'from_offset', 'to_offset', 'kind', 'wall_time', 'idle', 'advance_to'] as const;
const LOG_COLUMNS = [...LOG_HEAD, 'state_delta'];

const SNAPSHOT_CHUNK_KEYS = 20_000;
/** Done rows read per query while restoring. */
const RESTORE_BATCH = 200;

const packr = new Packr({ useRecords: false, moreTypes: false });

/** A delta or snapshot chunk as log text: base64 of msgpack [key, value bytes | null][]. */
export function encodeEntries(entries: Iterable<[string, Buffer | null]>): string {
  return packr.pack([...entries]).toString('base64');
}

/** Reads encodeEntries' text, and the JSON ({set, del} / {key: value}) that earlier versions logged. */
export function decodeEntries(text: string): [string, Buffer | null][] {
  if (text.startsWith('{')) {
    const json = JSON.parse(text) as { set?: Record<string, unknown>; del?: string[] } & Record<string, unknown>;
    const isDelta = 'set' in json && 'del' in json && Array.isArray(json.del);
    const set = isDelta ? (json.set ?? {}) : json;
    return [...Object.entries(set).map(([k, v]) => [k, encodeValue(v)] as [string, Buffer]), ...(isDelta ? json.del! : []).map((k) => [k, null] as [string, null])];
  }
  return (packr.unpack(Buffer.from(text, 'base64')) as [string, Uint8Array | null][]).map(([k, b]) => [k, b ? Buffer.from(b.buffer, b.byteOffset, b.byteLength) : null]);
}

/** The insert_deduplication_token of one write of flush `seq` (a table, or the log's intent/done/snapshot). */
export const flushToken = (p: PartitionRef, seq: number, what: string) => `${p.processor}/${p.topic}/${p.partition}/${seq}/${what}`;

const PARTITION_WHERE = 'processor = {processor:String} AND topic = {topic:String} AND partition = {partition:UInt32}';
const partitionParams = (p: PartitionRef) => ({ processor: p.processor, topic: p.topic, partition: p.partition });

type IntentRow = { from_offset: string; to_offset: string; wall_time: string; idle: boolean; advance_to: string | null };
/** Rows logged before advance_to existed: an idle flush then closed up to its wall time. */
const advanceOf = (row: IntentRow): number | null => (row.advance_to !== null ? Number(row.advance_to) : row.idle ? Number(row.wall_time) : null);
const intentOf = (seq: number, row: IntentRow): FlushIntent => ({ seq, from: Number(row.from_offset), to: Number(row.to_offset), wallTime: Number(row.wall_time), advanceTo: advanceOf(row) });
export const sameIntent = (a: FlushIntent, b: FlushIntent) => a.seq === b.seq && a.from === b.from && a.to === b.to && a.wallTime === b.wallTime && a.advanceTo === b.advanceTo;

type IntentKey = { p: PartitionRef; seq: number; resolve: (intent: FlushIntent | null) => void; reject: (err: unknown) => void };
const intentKey = (processor: string, topic: string, partition: number | string, seq: number | string) => `${processor}\n${topic}\n${partition}\n${seq}`;

export class LogStore {
  /** intentAt lookups asked in the same turn of the event loop, answered by one query. */
  private intentLookups: IntentKey[] = [];
  /** Claims made in the same turn of the event loop, written together. */
  private claims: { p: PartitionRef; intent: FlushIntent; resolve: (claim: Claim) => void; reject: (err: unknown) => void }[] = [];
  /** With an exclusive store: the claims this process decided itself (null: every claim asks the log). */
  private readonly held: ClaimsHeld | null;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly db: string,
    /** Done rows of flushes stepped together share an insert; each intent has its own (claim). */
    private readonly inserts: InsertCoalescer,
    /** Reads are retried as the inserts are: a store down for a while is waited for. */
    private readonly retry: RetryOptions = {},
    /**
     * True when this process is the store's only writer (the embedded engine, its directory locked,
     * served without a writer account): no other member can claim a seq, so once this process holds
     * a partition's seq through the log, it decides the next claims itself (see ClaimsHeld).
     */
    exclusive = false,
  ) {
    this.held = exclusive ? new ClaimsHeld() : null;
  }

  private async writeIntent(p: PartitionRef, intent: FlushIntent): Promise<void> {
    // Alone, with the seq's own token: a second claim of the seq (another member's) is then dropped as
    // a duplicate, and the read-back shows the holder.
    await this.inserts.rows(`${this.db}.processor_log`, [this.intentRow(p, intent)], { dedupToken: flushToken(p, intent.seq, 'intent'), alone: true });
  }

  async writeDone(p: PartitionRef, intent: FlushIntent, delta: EncodedDelta): Promise<void> {
    // The delta (megabytes at seed scale) is base64: written as it is, not scanned for escapes.
    const body = new TsvBuffer();
    body.cells(this.logRow(p, intent, 'done'), LOG_HEAD);
    body.plainCell(encodeEntries(delta));
    body.endRow();
    await this.inserts.tsv(`${this.db}.processor_log`, LOG_COLUMNS, body, { dedupToken: flushToken(p, intent.seq, 'done') });
  }

  /**
   * Writes the state after flush `seq`: every key (a base) or the keys changed since the previous
   * snapshot (an incremental on top of base `base`). A new base makes every older snapshot unneeded.
   */
  async writeSnapshot(p: PartitionRef, seq: number, kind: SnapshotKind, base: number, entries: Iterable<[string, Buffer | null]>): Promise<void> {
    const chunks: string[] = [];
    let chunk: [string, Buffer | null][] = [];
    for (const e of entries) {
      chunk.push(e);
      if (chunk.length === SNAPSHOT_CHUNK_KEYS) {
        chunks.push(encodeEntries(chunk));
        chunk = [];
      }
    }
    if (chunk.length || !chunks.length) chunks.push(encodeEntries(chunk));
    const rows = chunks.map((data, i) => ({ processor: p.processor, topic: p.topic, partition: p.partition, seq, chunk: i, chunks: chunks.length, base: kind === 'base' ? seq : base, data }));
    await insertRows(this.client, `${this.db}.processor_snapshots`, rows, { dedupToken: flushToken(p, seq, 'snapshot') });
    if (kind === 'base') {
      // Older snapshots are only space (restore takes the newest complete base), so their delete runs in
      // the background: waiting for it (lightweight_deletes_sync, default 2) stalled every flush of the
      // pipeline for 5-10 s at each base snapshot (freshness probe: p99 8.1-9.8 s with it, 2.7-3.1 s without).
      await this.client.command({
        query: `DELETE FROM ${this.db}.processor_snapshots WHERE ${PARTITION_WHERE} AND seq < {seq:UInt64}`,
        query_params: { ...partitionParams(p), seq },
        clickhouse_settings: { lightweight_deletes_sync: '0' },
      });
    }
  }

  /** Which of these metric-sum insert tokens landed (the flush_ledger the tables' materialized views fill). */
  async landed(tokens: string[]): Promise<Set<string>> {
    if (!tokens.length) return new Set();
    const rows = await this.rows<{ token: string }>(`SELECT DISTINCT token FROM ${this.db}.flush_ledger WHERE token IN {tokens:Array(String)}`, { tokens });
    return new Set(rows.map((r) => r.token));
  }

  /** The days (epoch seconds) whose flush marker of `token` is in metric_sums (flush-markers.ts). */
  async markedDays(token: string): Promise<Set<number>> {
    const rows = await this.rows<{ day: number }>(
      `SELECT toUnixTimestamp(bucket) AS day FROM ${this.db}.metric_sums WHERE grain = {grain:String} AND metric = {grain:String} AND business_unit = {token:String} GROUP BY bucket HAVING sum(numerator) > 0`,
      { grain: FLUSH_MARKER_GRAIN, token },
    );
    return new Set(rows.map((r) => Number(r.day)));
  }

  /**
   * The intent that holds `seq`, if any (another instance may have started that flush): the first one
   * written. A second intent for a seq is normally dropped as a duplicate (same token); past the
   * deduplication window it lands too, and the earliest still holds the seq. Lookups of flushes
   * stepped together are answered by one query.
   */
  intentAt(p: PartitionRef, seq: number): Promise<FlushIntent | null> {
    return new Promise((resolve, reject) => {
      if (!this.intentLookups.length) setImmediate(() => void this.lookUpIntents());
      this.intentLookups.push({ p, seq, resolve, reject });
    });
  }

  /**
   * Writes `intent` as a claim on its seq and reads back the intent that holds the seq (`intent`
   * itself unless another member's came first). Claims made in the same turn of the event loop (the
   * partitions flushing together) are written side by side and read back with one query. With an
   * exclusive store, a held partition's claim resolves before its row has landed (`landed`).
   */
  claim(p: PartitionRef, intent: FlushIntent): Promise<Claim> {
    return new Promise((resolve, reject) => {
      if (!this.claims.length) setImmediate(() => void this.writeClaims());
      this.claims.push({ p, intent, resolve, reject });
    });
  }

  private async writeClaims(): Promise<void> {
    const claims = this.claims;
    this.claims = [];
    const viaLog: typeof claims = [];
    for (const c of claims) {
      const decided = this.held?.decide(c.p, c.intent, (intent) => this.writeHeldIntent(c.p, intent), () => this.intentAt(c.p, c.intent.seq));
      if (!decided) viaLog.push(c);
      else {
        // Awaited by the flush's inserts; a failure there fails the flush, not this process.
        decided.landed.catch(() => {});
        decided.holder.then((holder) => c.resolve({ holder, landed: decided.landed }), c.reject);
      }
    }
    const written = await Promise.allSettled(viaLog.map(({ p, intent }) => this.writeIntent(p, intent)));
    for (const [i, result] of written.entries()) if (result.status === 'rejected') viaLog[i]!.reject(result.reason);
    const read = viaLog.filter((_, i) => written[i]!.status === 'fulfilled');
    for (const { p, intent, resolve, reject } of read) {
      this.intentAt(p, intent.seq).then((holder) => {
        if (holder && sameIntent(holder, intent)) this.held?.hold(p, intent);
        resolve({ holder, landed: LANDED });
      }, reject);
    }
  }

  /** An intent this process holds (exclusive store): its insert is shared with the other claims and log rows of the same turn. */
  private writeHeldIntent(p: PartitionRef, intent: FlushIntent): Promise<void> {
    return this.inserts.rows(`${this.db}.processor_log`, [this.intentRow(p, intent)], { dedupToken: flushToken(p, intent.seq, 'intent') });
  }

  private async lookUpIntents(): Promise<void> {
    const lookups = this.intentLookups;
    this.intentLookups = [];
    try {
      const keys = lookups.map(({ p, seq }) => new TupleParam([p.processor, p.topic, p.partition, seq]));
      const rows = await this.rows<IntentRow & { processor: string; topic: string; partition: number; seq: string }>(
        `SELECT processor, topic, partition, seq, from_offset, to_offset, wall_time, idle, advance_to FROM ${this.db}.processor_log
         WHERE kind = 'intent' AND (processor, topic, partition, seq) IN {keys:Array(Tuple(String, String, UInt32, UInt64))}
         ORDER BY written_at, wall_time, to_offset`,
        { keys },
      );
      const first = new Map<string, FlushIntent>();
      for (const row of rows) {
        const key = intentKey(row.processor, row.topic, row.partition, row.seq);
        if (!first.has(key)) first.set(key, intentOf(Number(row.seq), row));
      }
      for (const { p, seq, resolve } of lookups) resolve(first.get(intentKey(p.processor, p.topic, p.partition, seq)) ?? null);
    } catch (err) {
      for (const { reject } of lookups) reject(err);
    }
  }

  /** The highest seq any instance wrote an intent for (0: none). */
  async lastIntentSeq(p: PartitionRef): Promise<number> {
    const [row] = await this.rows<{ last: string }>(`SELECT max(seq) AS last FROM ${this.db}.processor_log WHERE ${PARTITION_WHERE} AND kind = 'intent'`, partitionParams(p));
    return Number(row?.last ?? 0);
  }

  /**
   * Brings `state` to the partition's last completed flush: from the local store when the log
   * continues it, else from the newest base snapshot and its incrementals; then the logged deltas
   * after that. Returns the intent left unfinished by a crash, if any.
   */
  async restore(p: PartitionRef, state: LmdbState): Promise<Restored> {
    const params = partitionParams(p);
    const [log] = await this.rows<{ last: string }>(`SELECT max(seq) AS last FROM ${this.db}.processor_log WHERE ${PARTITION_WHERE} AND kind = 'done'`, params);
    const lastDone = Number(log?.last ?? 0);
    const snaps = (
      await this.rows<{ seq: string; base: string }>(
        `SELECT seq, any(base) AS base FROM ${this.db}.processor_snapshots WHERE ${PARTITION_WHERE}
         GROUP BY seq HAVING uniqExact(chunk) = any(chunks) ORDER BY seq`,
        params,
      )
    ).map((s) => ({ seq: Number(s.seq), base: Number(s.base) }));
    const known = Math.max(lastDone, snaps[snaps.length - 1]?.seq ?? 0);
    const local = state.appliedSeq;
    let from: number;
    let source: Restored['source'];
    // The local store is usable when ClickHouse knows it (not wiped) and the log holds every flush after it.
    if (local > 0 && local <= known && (await this.contiguous(p, local, lastDone))) {
      from = local;
      source = 'local';
    } else {
      if (local > 0) await state.clear();
      from = await this.loadSnapshots(p, state, snaps);
      source = from > 0 ? 'snapshot' : 'empty';
    }
    // Restored from the local store, the flushes since the last snapshot are not tracked: start a new base.
    const base = source === 'snapshot' ? (snaps.filter((x) => x.base === x.seq).pop()?.seq ?? null) : null;
    let deltas = 0;
    for (let seq = from; seq < lastDone; seq += RESTORE_BATCH) {
      const rows = await this.rows<{ seq: string; state_delta: string }>(
        `SELECT seq, any(state_delta) AS state_delta FROM ${this.db}.processor_log
         WHERE ${PARTITION_WHERE} AND kind = 'done' AND seq > {from:UInt64} AND seq <= {to:UInt64} GROUP BY seq ORDER BY seq`,
        { ...params, from: seq, to: Math.min(lastDone, seq + RESTORE_BATCH) },
      );
      for (const row of rows) {
        await state.load(Number(row.seq), decodeEntries(row.state_delta), true);
        deltas++;
      }
    }
    const seq = Math.max(from, lastDone);
    if (deltas !== seq - from) throw new Error(`cannot restore ${p.topic}/${p.partition}: the log misses flushes between ${from} and ${lastDone}`);
    return { seq, pending: await this.intentAt(p, seq + 1), source, deltas, base };
  }

  /** True when every flush in (after, last] has a done row. */
  private async contiguous(p: PartitionRef, after: number, last: number): Promise<boolean> {
    if (last <= after) return true;
    const [row] = await this.rows<{ n: string }>(
      `SELECT uniqExact(seq) AS n FROM ${this.db}.processor_log WHERE ${PARTITION_WHERE} AND kind = 'done' AND seq > {after:UInt64} AND seq <= {last:UInt64}`,
      { ...partitionParams(p), after, last },
    );
    return Number(row?.n) === last - after;
  }

  /** Loads the newest base snapshot and the incrementals built on it; returns the seq they reach (0: none). */
  private async loadSnapshots(p: PartitionRef, state: LmdbState, snaps: { seq: number; base: number }[]): Promise<number> {
    const bases = snaps.filter((s) => s.base === s.seq);
    const base = bases[bases.length - 1];
    if (!base) return 0;
    let reached = 0;
    for (const s of snaps.filter((x) => x.seq >= base.seq && x.base === base.seq)) {
      const chunks = await this.rows<{ data: string }>(
        `SELECT any(data) AS data FROM ${this.db}.processor_snapshots WHERE ${PARTITION_WHERE} AND seq = {seq:UInt64} GROUP BY chunk ORDER BY chunk`,
        { ...partitionParams(p), seq: s.seq },
      );
      for (const c of chunks) await state.load(s.seq, decodeEntries(c.data), false);
      reached = s.seq;
    }
    return reached;
  }

  /** An intent's log row: no state delta yet. */
  private intentRow(p: PartitionRef, intent: FlushIntent) {
    return { ...this.logRow(p, intent, 'intent'), state_delta: '' };
  }

  /** A log row but its state_delta (LOG_HEAD's columns, in that order). */
  private logRow(p: PartitionRef, intent: FlushIntent, kind: 'intent' | 'done'): Record<(typeof LOG_HEAD)[number], unknown> {
    return {
      processor: p.processor,
      topic: p.topic,
      partition: p.partition,
      seq: intent.seq,
      from_offset: intent.from,
      to_offset: intent.to,
      kind,
      wall_time: intent.wallTime,
      idle: intent.advanceTo !== null,
      advance_to: intent.advanceTo,
    };
  }

  private async rows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    return retryTransient(async () => (await this.client.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>(), this.retry);
  }
}
