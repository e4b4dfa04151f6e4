/**
 * Whether the ingest API can do its job: its producer is connected and the broker answers. The
 * producer connects in the background (the API starts, and answers /healthz, while Kafka is down),
 * then a probe asks the leader of the first event topic for its log end every `intervalMs`; a probe
 * that fails or takes longer than `timeoutMs`, or a failed send, makes the service not ready until
 * a probe succeeds again. /readyz reports it (503 with the reason), and orchestrators stop routing
 * producers to an instance that could only answer 503.
 */
import type { Admin, Producer } from '@cs/kafka';
import type { Logger } from '@cs/runtime';

export interface BrokerReadinessOptions {
  producer: Producer;
  admin: Admin;
  /** The topic whose partition 0 the probe asks for (a topic the API produces to). */
  probeTopic: string;
  intervalMs: number;
  timeoutMs: number;
  log: Logger;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const wake = () => (clearTimeout(t), resolve());
    const t = setTimeout(() => (signal.removeEventListener('abort', wake), resolve()), ms);
    signal.addEventListener('abort', wake, { once: true });
  });

/** Settles with the promise, or rejects after `ms`; the promise itself keeps running. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class BrokerReadiness {
  private connectedFlag = false;
  private readyFlag = false;
  private why = 'connecting to Kafka';
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private connectedWaiters: Array<() => void> = [];

  constructor(private readonly o: BrokerReadinessOptions) {}

  get ready(): boolean {
    return this.readyFlag;
  }

  /** Why the service is not ready (undefined when it is). */
  get reason(): string | undefined {
    return this.readyFlag ? undefined : this.why;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Resolves true once the producer is connected, false after `ms` without. */
  connected(ms: number): Promise<boolean> {
    if (this.connectedFlag) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => (clearTimeout(timer), resolve(true));
      const timer = setTimeout(() => {
        this.connectedWaiters = this.connectedWaiters.filter((w) => w !== done);
        resolve(false);
      }, ms);
      this.connectedWaiters.push(done);
    });
  }

  /** A send failed: not ready until the next probe succeeds. */
  sendFailed(err: Error): void {
    this.mark(false, `Kafka send failed: ${err.message}`);
  }

  /** Stops probing. A connection attempt still under way is left to the producer's disconnect. */
  async stop(): Promise<void> {
    this.stopping.abort();
    const cap = new AbortController();
    await Promise.race([this.loop, sleep(1000, cap.signal)]);
    cap.abort();
  }

  private mark(ready: boolean, why = ''): void {
    if (ready !== this.readyFlag) {
      if (ready) this.o.log.info('Kafka reachable: ready');
      else this.o.log.warn({ reason: why }, 'Kafka unreachable: not ready');
    }
    this.readyFlag = ready;
    if (!ready) this.why = why;
  }

  private async run(): Promise<void> {
    const { producer, admin, probeTopic, intervalMs, timeoutMs } = this.o;
    let probe: Promise<unknown> | undefined;
    while (!this.stopping.signal.aborted) {
      try {
        if (!this.connectedFlag) {
          // kafkajs retries a connection for a while before it gives up; each attempt is awaited.
          await producer.connect();
          await admin.connect();
          this.connectedFlag = true;
          for (const w of this.connectedWaiters.splice(0)) w();
        }
        // One probe at a time: one that timed out is awaited before the next starts.
        probe ??= admin.highWatermark(probeTopic, 0).finally(() => (probe = undefined));
        await within(probe, timeoutMs, `asking the broker for ${probeTopic}[0]`);
        this.mark(true);
      } catch (err) {
        this.mark(false, this.connectedFlag ? (err as Error).message : `cannot connect to Kafka: ${(err as Error).message}`);
      }
      await sleep(this.connectedFlag && this.readyFlag ? intervalMs : Math.min(intervalMs, 1000), this.stopping.signal);
    }
    await probe?.catch(() => undefined);
  }
}
