import { GRAINS, type Grain } from '@cs/catalog';
import type { ConsumedMessage } from '@cs/kafka';
import type { AnyEvent } from '@cs/schemas';
import type { Buckets } from '../buckets.ts';
import type { DeadLetterReason, Dimensions, Emitter } from './types.ts';

export interface DeadLetter {
  topic: string;
  partition: number;
  offset: number;
  reason: DeadLetterReason;
  detail: string;
  key: string | null;
  payload_base64: string;
  event_id: string | null;
  event_time: number | null;
  dead_lettered_at: number;
}

/** Collects one flush's outputs: rows per table, metric sums per grain bucket, dead letters. */
export class FlushOutputs implements Emitter {
  readonly rows = new Map<string, Record<string, unknown>[]>();
  readonly deadLetters: DeadLetter[] = [];
  private readonly sums = new Map<string, { grain: string; bucket: number; metric: string; dims: Dimensions; numerator: number; denominator: number }>();

  constructor(
    private readonly buckets: Buckets,
    private readonly wallTime: number,
  ) {}

  row(table: string, row: Record<string, unknown>): void {
    let list = this.rows.get(table);
    if (!list) this.rows.set(table, (list = []));
    list.push(row);
  }

  metric(metric: string, time: number, dims: Dimensions, numerator: number, denominator: number): void {
    for (const grain of GRAINS) this.metricAt(grain, this.buckets.start(time, grain), metric, dims, numerator, denominator);
  }

  metricAt(grain: Grain, bucket: number, metric: string, dims: Dimensions, numerator: number, denominator: number): void {
    const key = `${grain}\u0000${bucket}\u0000${metric}\u0000${dims.business_unit}\u0000${dims.product}\u0000${dims.channel}`;
    const sum = this.sums.get(key);
    if (sum) {
      sum.numerator += numerator;
      sum.denominator += denominator;
    } else {
      this.sums.set(key, { grain, bucket, metric, dims, numerator, denominator });
    }
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

  /** Metric rows per grain table, ready to insert. */
  metricRows(): Map<string, Record<string, unknown>[]> {
    const out = new Map<string, Record<string, unknown>[]>();
    for (const s of this.sums.values()) {
      const table = `metric_sums_${s.grain}`;
      let list = out.get(table);
      if (!list) out.set(table, (list = []));
      list.push({ bucket: s.bucket / 1000, metric: s.metric, ...s.dims, numerator: s.numerator, denominator: s.denominator });
    }
    return out;
  }
}
