import type * as RdKafka from 'node-rdkafka';
import type { Logger } from 'pino';
import type { KafkaOptions, ProduceRecord, Producer } from '../types.ts';
import { deferred, kafkaLogger, sleep, type Deferred } from '../util.ts';
import { asError, baseConfig, bridgeLogs, connectClient, disconnectClient, errorCodes, rdkafka } from './lib.ts';

/** One `send` call: resolved when every record got its delivery report, rejected on the first failure. */
interface Pending {
  remaining: number;
  done: Deferred<void>;
}

/**
 * node-rdkafka producer: idempotent (enable.idempotence ⇒ acks=all, unbounded retries, ordered),
 * gzip, partitioner `murmur2_random` — the Java/kafkajs murmur2 for keyed records, so a key lands
 * on the same partition whichever client produced it (librdkafka's default, consistent_random,
 * is CRC32 and would not). `send` resolves only after a delivery report for every record.
 */
export class RdkafkaProducer implements Producer {
  private readonly producer: RdKafka.Producer;
  private readonly log: Logger;
  private readonly pending = new Set<Pending>();
  private fatal: Error | undefined;

  constructor(opts: KafkaOptions) {
    this.log = kafkaLogger(opts, 'producer');
    const Kafka = rdkafka();
    this.producer = new Kafka.Producer(
      {
        ...baseConfig(opts, this.log),
        'enable.idempotence': true,
        'compression.codec': 'gzip',
        // Throughput: wait up to 5 ms to fill batches of up to 10k records / 1 MB.
        'linger.ms': 5,
        'batch.num.messages': 10_000,
        'batch.size': 1_000_000,
        'queue.buffering.max.messages': 500_000,
        'queue.buffering.max.kbytes': 1_048_576,
        dr_cb: true,
      },
      { 'request.required.acks': -1, partitioner: 'murmur2_random', 'message.timeout.ms': 120_000 },
    );
    bridgeLogs(this.producer, this.log);
    this.producer.on('delivery-report', (err, report) => this.onReport(err, report));
    this.producer.on('event.error', (err) => {
      if (err.isFatal) this.failAll(asError(err));
    });
  }

  private onReport(err: RdKafka.LibrdKafkaError | null | undefined, report: RdKafka.DeliveryReport): void {
    const p = report.opaque as Pending | undefined;
    if (!p || p.done.settled) return;
    if (err) {
      this.pending.delete(p);
      p.done.reject(asError(err));
      return;
    }
    if (--p.remaining === 0) {
      this.pending.delete(p);
      p.done.resolve();
    }
  }

  private failAll(err: Error): void {
    this.fatal ??= err;
    for (const p of this.pending) p.done.reject(err);
    this.pending.clear();
  }

  async connect(): Promise<void> {
    await connectClient(this.producer);
    // Delivery reports are served by poll(); a short interval keeps `send` latency low.
    this.producer.setPollInterval(5);
  }

  async send(records: ProduceRecord[]): Promise<void> {
    if (this.fatal) throw this.fatal;
    if (records.length === 0) return;
    const p: Pending = { remaining: records.length, done: deferred<void>() };
    this.pending.add(p);
    const QUEUE_FULL = errorCodes().ERR__QUEUE_FULL;
    try {
      for (const r of records) {
        for (;;) {
          if (p.done.settled) break;
          try {
            this.producer.produce(r.topic, null, r.value, r.key, Date.now(), p);
            break;
          } catch (e) {
            if ((e as { code?: number }).code !== QUEUE_FULL) throw e;
            // Local queue full: serve delivery reports, then retry this record.
            this.producer.poll();
            await sleep(2);
          }
        }
        if (p.done.settled) break;
      }
    } catch (e) {
      this.pending.delete(p);
      p.done.reject(asError(e));
    }
    return p.done.promise;
  }

  async disconnect(): Promise<void> {
    if (!this.producer.isConnected()) return;
    await new Promise<void>((resolve) => {
      this.producer.flush(30_000, (err) => {
        if (err) this.log.warn({ err }, 'flush before disconnect failed');
        resolve();
      });
    });
    this.producer.setPollInterval(0);
    await disconnectClient(this.producer);
  }
}
