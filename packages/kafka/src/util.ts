import { createLogger, type Logger } from '@cs/runtime';
import type { CommitOffset, ConsumerHooks, KafkaOptions, TopicPartition } from './types.ts';

/** The caller's pino logger (child), or a stderr logger at LOG_LEVEL (default warn) so errors are never silent. */
let fallback: Logger | undefined;

export function kafkaLogger(opts: KafkaOptions, role: string): Logger {
  const base = opts.logger ?? (fallback ??= createLogger('kafka', process.env.LOG_LEVEL ?? 'warn'));
  return base.child({ kafka: role, client: opts.client, clientId: opts.clientId });
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
  settled: boolean;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const d: Deferred<T> = {
    promise,
    settled: false,
    resolve(v) {
      if (d.settled) return;
      d.settled = true;
      resolve(v);
    },
    reject(e) {
      if (d.settled) return;
      d.settled = true;
      reject(e);
    },
  };
  // Observed or not, a rejection here must not crash the process as "unhandled":
  // the error is always logged and reported through hooks.onError as well.
  promise.catch(() => undefined);
  return d;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export function sortAssignment(tps: TopicPartition[]): TopicPartition[] {
  return [...tps].sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}

export function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** Thrown by `commit()` / reported by `stopped()` once a consumer has stopped. */
export class ConsumerStoppedError extends Error {}

/**
 * Error reported when the batch handler (or the onAssignment hook) threw. The consumer has stopped
 * and left the group; nothing after the last successful `commit()` is considered consumed.
 */
export class ConsumerHandlerError extends Error {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly firstOffset: string,
    override readonly cause: Error,
  ) {
    super(`handler failed on ${topic}[${partition}] at offset ${firstOffset}: ${cause.message}`);
  }
}

/**
 * Shared consumer lifecycle for both clients: the ordered onAssignment hook chain, the set of
 * partitions this member owns, and the one-way stop (with or without an error).
 */
export class ConsumerState {
  readonly done = deferred<void>();
  private owned = new Map<string, TopicPartition>();
  private hookChain: Promise<void> = Promise.resolve();
  failure: Error | undefined;
  hooks: ConsumerHooks = {};

  constructor(private readonly log: Logger) {}

  get stopped(): boolean {
    return this.done.settled;
  }

  owns(topic: string, partition: number): boolean {
    return this.owned.has(tpKey(topic, partition));
  }

  assignment(): TopicPartition[] {
    return sortAssignment([...this.owned.values()]);
  }

  /**
   * The offsets of a commit() call that may be committed: throws once the consumer has stopped,
   * and drops (with a log line) partitions this member no longer owns.
   */
  committable(offsets: CommitOffset[]): CommitOffset[] {
    if (this.stopped) {
      throw new ConsumerStoppedError(`consumer has stopped${this.failure ? ` (${this.failure.message})` : ''}; offsets not committed`);
    }
    const owned = offsets.filter((o) => this.owns(o.topic, o.partition));
    if (owned.length < offsets.length) {
      this.log.info({ dropped: offsets.filter((o) => !owned.includes(o)) }, 'not committing offsets of partitions this member no longer owns');
    }
    return owned;
  }

  /**
   * Records the full current assignment and queues the onAssignment hook. Hooks run in order,
   * one at a time; the fetch loop awaits `assignmentSettled()` before handing out the next batch,
   * so the hook always runs before any message of a newly assigned partition is handled.
   */
  setAssignment(tps: TopicPartition[], onHookError: (e: Error) => void): void {
    this.owned = new Map(tps.map((tp) => [tpKey(tp.topic, tp.partition), { topic: tp.topic, partition: tp.partition }]));
    const snapshot = this.assignment();
    this.log.info({ assignment: snapshot.map((tp) => `${tp.topic}[${tp.partition}]`) }, 'kafka consumer assignment');
    const hook = this.hooks.onAssignment;
    if (!hook) return;
    this.hookChain = this.hookChain.then(async () => {
      if (this.stopped) return;
      try {
        await hook(snapshot);
      } catch (e) {
        onHookError(toError(e));
      }
    });
  }

  /** Updates ownership without running the hook (a revocation that a later assignment completes). */
  setOwnedOnly(tps: TopicPartition[]): void {
    this.owned = new Map(tps.map((tp) => [tpKey(tp.topic, tp.partition), { topic: tp.topic, partition: tp.partition }]));
  }

  assignmentSettled(): Promise<void> {
    return this.hookChain;
  }

  /** Marks the consumer stopped. With an error: logs it, reports it via hooks.onError and rejects `done`. */
  stop(error?: Error): boolean {
    if (this.stopped) return false;
    if (error) {
      this.failure = error;
      this.log.error({ err: error }, 'kafka consumer stopped by an error; uncommitted messages will be re-read by the next owner');
      this.done.reject(error);
      try {
        this.hooks.onError?.(error);
      } catch (e) {
        this.log.error({ err: e }, 'onError hook threw');
      }
    } else {
      this.done.resolve();
    }
    return true;
  }
}
