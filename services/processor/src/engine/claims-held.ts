/**
 * Claims decided in memory, for a store this process alone writes (LogStore `exclusive`).
 *
 * Why: a claim through the log is an insert of its own (its seq's token makes a second claim a
 * duplicate) and a read-back, per partition and flush: with ~10 partitions flushing each second,
 * a third of the embedded engine's inserts and the longest leg of a probe's way to cs.metrics
 * after the interval (BENCHMARKS.md). With no other writer, once a claim through the log returned
 * this process's own intent, nobody else wrote that seq, and nobody else can write a later one:
 * intents are claimed in seq order, and there is no other member. From then on the partition's
 * claims are decided here — the next seq is this process's, a seq held here is its holder's (a
 * task that replaced a revoked one, within the process) — and their rows share the turn's insert.
 */
import type { FlushIntent, PartitionRef } from './log-store.ts';

/** Seqs remembered per partition: older ones have long landed and are read from the log. */
const REMEMBERED = 8;

interface Held {
  intent: FlushIntent;
  landed: Promise<void>;
}

const keyOf = (p: PartitionRef) => `${p.processor}\n${p.topic}\n${p.partition}`;

export class ClaimsHeld {
  private readonly partitions = new Map<string, { last: number; seqs: Map<number, Held> }>();

  /** A claim through the log returned `intent` itself: this process holds the partition from its seq on. */
  hold(p: PartitionRef, intent: FlushIntent): void {
    const key = keyOf(p);
    if (!this.partitions.has(key)) this.partitions.set(key, { last: intent.seq, seqs: new Map([[intent.seq, { intent, landed: Promise.resolve() }]]) });
  }

  /**
   * The holder of `intent`'s seq, and when its intent row has landed; or null when the partition is
   * not held here (the claim goes through the log). A seq this process takes now is decided at once:
   * the flush may step while its row is written, and waits for `landed` before any insert of its own
   * (the write-ahead rule). `write` writes a newly held intent's row; `read` reads the holder of a seq
   * too old to be remembered.
   */
  decide(p: PartitionRef, intent: FlushIntent, write: (intent: FlushIntent) => Promise<void>, read: () => Promise<FlushIntent | null>): Decided | null {
    const key = keyOf(p);
    const partition = this.partitions.get(key);
    if (!partition) return null;
    const known = partition.seqs.get(intent.seq);
    if (known) return { holder: Promise.resolve(known.intent), landed: known.landed };
    if (intent.seq <= partition.last) return { holder: read(), landed: Promise.resolve() };
    if (intent.seq > partition.last + 1) return { holder: Promise.reject(new Error(`claim of seq ${intent.seq} of ${p.topic}/${p.partition} skips seq ${partition.last + 1}`)), landed: Promise.resolve() };
    const landed = write(intent);
    partition.last = intent.seq;
    partition.seqs.set(intent.seq, { intent, landed });
    partition.seqs.delete(intent.seq - REMEMBERED);
    // A row that may not have landed: the next claims ask the log again (a retry of the same intent
    // then reads it back as its own; another one finds the holder).
    landed.catch(() => this.partitions.delete(key));
    return { holder: Promise.resolve(intent), landed };
  }
}

/** A claim decided here: its seq's holder, and the landing of that holder's intent row. */
export interface Decided {
  holder: Promise<FlushIntent | null>;
  landed: Promise<void>;
}
