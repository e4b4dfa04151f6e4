import { GRAINS, type Grain, type MetricId } from '@cs/catalog';
import type { ConsumedMessage } from '@cs/kafka';
import { TsvBuffer } from '@cs/clickhouse';
import type { AnyEvent } from '@cs/schemas';
import type { DeadLetterRow, MetricSumRow } from '@cs/storage';
import type { Buckets } from '../buckets.ts';
import type { DeadLetterReason, Dimensions, Emitter } from './types.ts';

/** A dead-letter row as the processor writes it (its reasons are the processor's). */
export type DeadLetter = DeadLetterRow & { reason: DeadLetterReason };

/**
 * The `version` of a flush's upserted rows: its wall time (recorded in the intent, so a redo gives
 * the same) then its seq, so a later flush's row wins, also over rows of an earlier processing of
 * the same data (a reprocessing under a new group has a later wall time). Exact in a double until
 * the year 2255.
 */
export const rowVersion = (wallTime: number, seq: number) => Math.max(0, Math.floor(wallTime)) * 1000 + (seq % 1000);

/** Collects one flush's outputs: rows per table, metric sums per grain bucket, dead letters. */
export class FlushOutputs implements Emitter {
  readonly rows = new Map<string, Record<string, unknown>[]>();
  readonly deadLetters: DeadLetter[] = [];
  /** Sums per (metric, dims), then per grain and bucket start. */
  private readonly sums = new Map<string, SumGroup>();
  private lastTime = Number.NaN;
  private lastBuckets: number[] = [];
  private readonly upserts = new Map<string, Map<string, Record<string, unknown>>>();
  /** Raw-table rows as TabSeparated lines, per table. */
  readonly raws = new Map<string, { fields: string[]; columns: string[]; body: TsvBuffer }>();

  constructor(
    private readonly buckets: Buckets,
    private readonly wallTime: number,
    private readonly seq = 0,
  ) {}

  /**
   * An accepted event's raw-table row, encoded at once as a TabSeparated line: its own fields, then
   * where it was read (kafka_partition, kafka_offset). No row object per event.
   */
  raw(table: string, event: AnyEvent, partition: number, offset: number): void {
    let raw = this.raws.get(table);
    if (!raw) {
      const fields = Object.keys(event);
      this.raws.set(table, (raw = { fields, columns: [...fields, 'kafka_partition', 'kafka_offset'], body: new TsvBuffer(256 * 1024) }));
    }
    raw.body.cells(event, raw.fields);
    raw.body.cell(partition);
    raw.body.cell(offset);
    raw.body.endRow();
  }

  row(table: string, row: Record<string, unknown>): void {
    let list = this.rows.get(table);
    if (!list) this.rows.set(table, (list = []));
    list.push(row);
  }

  upsert(table: string, key: string, row: Record<string, unknown>): void {
    let byKey = this.upserts.get(table);
    if (!byKey) this.upserts.set(table, (byKey = new Map()));
    // Delete first so the row keeps the position of its last upsert (insertion order is output order).
    byKey.delete(key);
    byKey.set(key, { ...row, version: rowVersion(this.wallTime, this.seq) });
  }

  /** Every table's rows: plain rows, then the last upsert per key. */
  tableRows(): Map<string, Record<string, unknown>[]> {
    const out = new Map(this.rows);
    for (const [table, byKey] of this.upserts) out.set(table, [...(out.get(table) ?? []), ...byKey.values()]);
    return out;
  }

  metric(metric: MetricId, time: number, dims: Dimensions, numerator: number, denominator: number): void {
    // A contact adds several metrics at one instant: its buckets are worked out once.
    if (time !== this.lastTime) {
      this.lastTime = time;
      this.lastBuckets = GRAINS.map((g) => this.buckets.start(time, g));
    }
    const group = this.group(metric, dims);
    for (let g = 0; g < GRAINS.length; g++) add(group.byGrain[g]!, this.lastBuckets[g]!, numerator, denominator);
  }

  metricAt(grain: Grain, bucket: number, metric: MetricId, dims: Dimensions, numerator: number, denominator: number): void {
    add(this.group(metric, dims).byGrain[GRAINS.indexOf(grain)]!, bucket, numerator, denominator);
  }

  private group(metric: MetricId, dims: Dimensions): SumGroup {
    const key = `${metric}\u0000${dims.business_unit}\u0000${dims.product}\u0000${dims.channel}`;
    let group = this.sums.get(key);
    if (!group) this.sums.set(key, (group = { metric, dims, byGrain: GRAINS.map(() => new Map()) }));
    return group;
  }

  deadLetter(msg: ConsumedMessage, reason: DeadLetterReason, detail: string, event?: AnyEvent): void {
    this.deadLetters.push({
      topic: msg.topic,
      partition: msg.partition,
      offset: Number(msg.offset),
      reason,
      detail,
      key: msg.key ? msg.key.toString('utf8') : null,
      payload_base64: msg.value ? msg.value.toString('base64') : '',
      event_id: event?.event_id ?? null,
      event_time: event?.event_time ?? null,
      dead_lettered_at: this.wallTime,
    });
  }

  /**
   * The flush's `metric_sums` rows, every grain in one insert, each naming the flush's token
   * (flush_ledger); sums that cancelled out (a retraction and its replacement) are left out.
   */
  metricRows(flush = ''): MetricSumRow[] {
    const out: MetricSumRow[] = [];
    for (const { metric, dims, byGrain } of this.sums.values()) {
      byGrain.forEach((sums, g) => {
        for (const [bucket, sum] of sums) {
          if (sum.numerator === 0 && sum.denominator === 0) continue;
          out.push({ grain: GRAINS[g]!, bucket: bucket / 1000, metric, ...dims, numerator: sum.numerator, denominator: sum.denominator, flush });
        }
      });
    }
    return out;
  }
}

interface Sum {
  numerator: number;
  denominator: number;
}

interface SumGroup {
  metric: MetricId;
  dims: Dimensions;
  /** Per grain (GRAINS order): bucket start (epoch ms) → sums. */
  byGrain: Map<number, Sum>[];
}

function add(sums: Map<number, Sum>, bucket: number, numerator: number, denominator: number): void {
  const sum = sums.get(bucket);
  if (sum) {
    sum.numerator += numerator;
    sum.denominator += denominator;
  } else {
    sums.set(bucket, { numerator, denominator });
  }
}
