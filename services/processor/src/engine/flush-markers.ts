/**
 * Flush markers (exclusive store): the metric sums of the flushes stepped together share one insert,
 * as the other tables' writes do, instead of one insert each (the most frequent insert of a live
 * tick). A redo can then no longer count on its own insert token to drop sums that had landed, so
 * each flush writes, in the same insert, one marker row per day its sums touch: grain `flush`, the
 * flush's token as business unit, numerator 1. The table is partitioned by month, so a day's marker
 * goes into the same part as that day's sums, and ClickHouse commits a part whole: a redo writes
 * the sums of the days that have no marker.
 *
 * Once a flush is done no redo can follow: a later insert of sums cancels its markers (numerator -1)
 * and the table's merges drop the zero-sum rows, so markers do not pile up. Cancellations lost in a
 * crash leave a few marker rows behind, which readers skip (cs.metrics reads the metric grains only).
 */
import { FLUSH_MARKER_GRAIN } from '@cs/catalog';
import type { MetricSumRow } from '@cs/storage';
import type { Buckets } from '../buckets.ts';

/** A marker row: the columns of a metric-sum row, in the same order (they share inserts). */
export interface FlushMarkerRow {
  grain: typeof FLUSH_MARKER_GRAIN;
  bucket: number;
  metric: typeof FLUSH_MARKER_GRAIN;
  business_unit: string;
  product: '';
  channel: '';
  numerator: 1 | -1;
  denominator: 0;
  flush: string;
}

const marker = (day: number, token: string, numerator: 1 | -1): FlushMarkerRow => ({
  grain: FLUSH_MARKER_GRAIN,
  bucket: day,
  metric: FLUSH_MARKER_GRAIN,
  business_unit: token,
  product: '',
  channel: '',
  numerator,
  denominator: 0,
  flush: token,
});

export class FlushMarkers {
  #cancels: FlushMarkerRow[] = [];

  constructor(private readonly buckets: Buckets) {}

  /** The local day (epoch seconds of its start) of a sum's bucket. */
  dayOf(row: Pick<MetricSumRow, 'bucket'>): number {
    return this.buckets.start(row.bucket * 1000, 'day') / 1000;
  }

  /** The markers of a flush's sums: one per day they touch. */
  mark(sums: readonly MetricSumRow[], token: string): FlushMarkerRow[] {
    return [...new Set(sums.map((row) => this.dayOf(row)))].map((day) => marker(day, token, 1));
  }

  /** The sums a redo still writes: those of the days whose marker did not land. */
  unmarked(sums: readonly MetricSumRow[], markedDays: ReadonlySet<number>): MetricSumRow[] {
    return sums.filter((row) => !markedDays.has(this.dayOf(row)));
  }

  /** The flush of these markers is done: the next insert of sums cancels them. */
  done(markers: readonly FlushMarkerRow[]): void {
    for (const m of markers) this.#cancels.push(marker(m.bucket, m.business_unit, -1));
  }

  /** The cancellations due, for the insert of sums being made (lost with it if it fails: a few rows left over). */
  takeCancels(): FlushMarkerRow[] {
    const cancels = this.#cancels;
    this.#cancels = [];
    return cancels;
  }
}
