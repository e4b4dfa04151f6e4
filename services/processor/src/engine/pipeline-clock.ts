/**
 * What a processor knows of the whole pipeline (SPEC §4), polled off the hot path:
 *   - the pipeline-wide stream time: the largest event_time seen on any partition of any topic — its
 *     own partitions', and other instances' from the watermarks they write;
 *   - whether every partition of every topic is caught up (committed offset = log end) and has
 *     received nothing for CS_IDLE_FLUSH;
 *   - each topic's partition count and each partition's consumer lag (exported for alerting).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin, PartitionLag } from '@cs/kafka';
import { gauge, type Logger } from '@cs/runtime';

const lagGauge = gauge('cs_processor_consumer_lag', 'Messages of a partition not yet processed and committed by the processor group', ['topic', 'partition']);

export interface PipelineClockDeps {
  admin: Admin;
  client: ClickHouseClient;
  db: string;
  groupId: string;
  topicPrefix: string;
  /** Kafka topics of the group (prefixed). */
  topics: string[];
  idleFlushMs: number;
  logger: Logger;
}

export class PipelineClock {
  private othersStreamTime: number | null = null;
  private readonly partitions = new Map<string, number>();
  private highs = new Map<string, string>();
  private idleSince: number | null = null;
  private lastWatermarkRead = 0;

  constructor(private readonly deps: PipelineClockDeps) {}

  /** Partitions of a Kafka topic, 0 until the first poll saw it. */
  partitionsOf(topic: string): number {
    return this.partitions.get(topic) ?? 0;
  }

  /**
   * Reads lag and high watermarks of every partition; `busy` tells that this instance still holds
   * unflushed messages. The pipeline is idle once nothing moved anywhere for CS_IDLE_FLUSH.
   */
  async poll(now: number, busy: boolean): Promise<void> {
    const lag = await this.deps.admin.lag(this.deps.groupId, this.deps.topics);
    this.observe(now, busy, lag);
    if (now - this.lastWatermarkRead >= 5_000) {
      this.lastWatermarkRead = now;
      this.othersStreamTime = await this.readOthersStreamTime();
    }
  }

  /** Applies one poll's lag (exported for tests of the idle rule). */
  observe(now: number, busy: boolean, lag: PartitionLag[]): void {
    const highs = new Map<string, string>();
    const counts = new Map<string, number>();
    let moving = busy;
    for (const p of lag) {
      const key = `${p.topic}/${p.partition}`;
      highs.set(key, p.high);
      counts.set(p.topic, Math.max(counts.get(p.topic) ?? 0, p.partition + 1));
      lagGauge.set({ topic: p.topic, partition: p.partition }, p.lag);
      if (p.lag > 0 || this.highs.get(key) !== p.high) moving = true;
    }
    for (const [topic, n] of counts) this.partitions.set(topic, n);
    this.highs = highs;
    if (moving || lag.length === 0) this.idleSince = null;
    else this.idleSince ??= now;
  }

  /** Every partition caught up and quiet for CS_IDLE_FLUSH. */
  allIdle(now: number): boolean {
    return this.idleSince !== null && now - this.idleSince >= this.deps.idleFlushMs;
  }

  /** The largest event_time seen anywhere in the pipeline (null before the first event). */
  streamTime(own: Iterable<number | null>): number | null {
    let max = this.othersStreamTime;
    for (const t of own) if (t !== null && (max === null || t > max)) max = t;
    return max;
  }

  private async readOthersStreamTime(): Promise<number | null> {
    try {
      const result = await this.deps.client.query({
        query: `SELECT toUnixTimestamp64Milli(max(stream_time)) AS t, count() AS n FROM ${this.deps.db}.watermarks WHERE processor = {processor:String} AND prefix = {prefix:String}`,
        query_params: { processor: this.deps.groupId, prefix: this.deps.topicPrefix },
        format: 'JSONEachRow',
      });
      const [row] = await result.json<{ t: string; n: string }>();
      return row && Number(row.n) > 0 ? Number(row.t) : null;
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'could not read the pipeline watermarks');
      return this.othersStreamTime;
    }
  }
}
