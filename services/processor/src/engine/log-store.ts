/**
 * The processor's write-ahead log and snapshots in ClickHouse (tables processor_log and
 * processor_snapshots). See docs/design.md: an intent row fixes a flush's offsets and clock before
 * its inserts, a done row carries its state changes after them.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { insertRows } from '@cs/clickhouse';
import { TrackedState, type StateDelta } from './state.ts';

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
  state: TrackedState;
  /** Last completed flush; 0 when the partition was never processed. */
  seq: number;
  /** An intent written but never completed: it must be redone exactly. */
  pending: FlushIntent | null;
}

const SNAPSHOT_CHUNK_KEYS = 20_000;

/** The insert_deduplication_token of one write of flush `seq` (a table, or the log's intent/done/snapshot). */
export const flushToken = (p: PartitionRef, seq: number, what: string) => `${p.processor}/${p.topic}/${p.partition}/${seq}/${what}`;

const PARTITION_WHERE = 'processor = {processor:String} AND topic = {topic:String} AND partition = {partition:UInt32}';
const partitionParams = (p: PartitionRef) => ({ processor: p.processor, topic: p.topic, partition: p.partition });

type IntentRow = { from_offset: string; to_offset: string; wall_time: string; idle: boolean; advance_to: string | null };
/** Rows logged before advance_to existed: an idle flush then closed up to its wall time. */
const advanceOf = (row: IntentRow): number | null => (row.advance_to !== null ? Number(row.advance_to) : row.idle ? Number(row.wall_time) : null);
const intentOf = (seq: number, row: IntentRow): FlushIntent => ({ seq, from: Number(row.from_offset), to: Number(row.to_offset), wallTime: Number(row.wall_time), advanceTo: advanceOf(row) });

export class LogStore {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly db: string,
  ) {}

  async writeIntent(p: PartitionRef, intent: FlushIntent): Promise<void> {
    await insertRows(this.client, `${this.db}.processor_log`, [this.logRow(p, intent, 'intent', '')], { dedupToken: flushToken(p, intent.seq, 'intent') });
  }

  async writeDone(p: PartitionRef, intent: FlushIntent, delta: StateDelta): Promise<void> {
    await insertRows(this.client, `${this.db}.processor_log`, [this.logRow(p, intent, 'done', JSON.stringify(delta))], { dedupToken: flushToken(p, intent.seq, 'done') });
  }

  async writeSnapshot(p: PartitionRef, seq: number, state: TrackedState): Promise<void> {
    const chunks = [...state.chunks(SNAPSHOT_CHUNK_KEYS)];
    const rows = chunks.map((data, chunk) => ({ processor: p.processor, topic: p.topic, partition: p.partition, seq, chunk, chunks: chunks.length, data: JSON.stringify(data) }));
    await insertRows(this.client, `${this.db}.processor_snapshots`, rows, { dedupToken: flushToken(p, seq, 'snapshot') });
    // The new snapshot is complete: older ones are never read again.
    await this.client.command({
      query: `DELETE FROM ${this.db}.processor_snapshots WHERE ${PARTITION_WHERE} AND seq < {seq:UInt64}`,
      query_params: { ...partitionParams(p), seq },
    });
  }

  /** The intent written for `seq`, if any (another instance may have started that flush). */
  async intentAt(p: PartitionRef, seq: number): Promise<FlushIntent | null> {
    const [row] = await this.rows<IntentRow>(
      `SELECT from_offset, to_offset, wall_time, idle, advance_to FROM ${this.db}.processor_log
       WHERE ${PARTITION_WHERE} AND seq = {seq:UInt64} AND kind = 'intent' LIMIT 1`,
      { ...partitionParams(p), seq },
    );
    return row ? intentOf(seq, row) : null;
  }

  async restore(p: PartitionRef): Promise<Restored> {
    const params = partitionParams(p);
    const snap = await this.rows<{ seq: string }>(
      `SELECT seq FROM ${this.db}.processor_snapshots WHERE ${PARTITION_WHERE}
       GROUP BY seq HAVING uniqExact(chunk) = any(chunks) ORDER BY seq DESC LIMIT 1`,
      params,
    );
    const state = new TrackedState();
    const snapSeq = snap[0] ? Number(snap[0].seq) : 0;
    if (snap[0]) {
      const chunks = await this.rows<{ data: string }>(
        `SELECT any(data) AS data FROM ${this.db}.processor_snapshots WHERE ${PARTITION_WHERE} AND seq = {seq:UInt64} GROUP BY chunk ORDER BY chunk`,
        { ...params, seq: snapSeq },
      );
      for (const c of chunks) state.apply({ set: JSON.parse(c.data) as Record<string, unknown>, del: [] });
    }
    const log = await this.rows<IntentRow & { seq: string; kind: 'intent' | 'done'; state_delta: string }>(
      `SELECT seq, kind, any(from_offset) AS from_offset, any(to_offset) AS to_offset, any(wall_time) AS wall_time, any(idle) AS idle, any(advance_to) AS advance_to, any(state_delta) AS state_delta
       FROM ${this.db}.processor_log WHERE ${PARTITION_WHERE} AND seq > {seq:UInt64}
       GROUP BY seq, kind ORDER BY seq, kind`,
      { ...params, seq: snapSeq },
    );
    let seq = snapSeq;
    let pending: FlushIntent | null = null;
    for (const row of log) {
      const rowSeq = Number(row.seq);
      if (row.kind === 'done' && rowSeq === seq + 1) {
        state.apply(JSON.parse(row.state_delta) as StateDelta);
        seq = rowSeq;
        pending = null;
      } else if (row.kind === 'intent' && rowSeq === seq + 1) {
        pending = intentOf(rowSeq, row);
      }
    }
    state.clearDirty();
    return { state, seq, pending };
  }

  private logRow(p: PartitionRef, intent: FlushIntent, kind: 'intent' | 'done', stateDelta: string) {
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
      state_delta: stateDelta,
    };
  }

  private async rows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    const result = await this.client.query({ query, query_params: params, format: 'JSONEachRow' });
    return result.json<T>();
  }
}
