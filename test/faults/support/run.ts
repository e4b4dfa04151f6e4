/** Steps every fault scenario shares: settle, judge, record the outcome for docs/reliability.md. */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KafkaOptions } from '@cs/kafka';
import { groupLag, waitFor } from '../../support/pipeline.ts';
import { cs, describe as describeVerdict, exact, judge, type Oracle, type Reader, type Verdict } from './oracle.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
/** Where each scenario's measured outcome is appended (one JSON object per line). */
export const RESULTS_FILE = join(root, '.stack/faults/results.jsonl');

/** Flushes completed so far (done rows of the processor log). */
export async function doneFlushes(read: Reader): Promise<number> {
  const [row] = await read(`SELECT count() AS n FROM ${cs.processorLog} WHERE kind = 'done'`);
  return Number(row?.n ?? 0);
}

/**
 * Waits until the pipeline is quiet: the group has committed everything and no flush completed for
 * `quietMs` (the final idle flush, which closes every window on the wall clock, included).
 */
export async function waitSettled(read: Reader, prefix: string, opts: { groupId?: string; kafka?: KafkaOptions; quietMs?: number; timeoutMs?: number } = {}): Promise<void> {
  const { groupId = `${prefix}processor`, quietMs = 8_000, timeoutMs = 240_000 } = opts;
  let last = -1;
  let since = Date.now();
  await waitFor(
    'the pipeline to consume everything and go quiet',
    async () => {
      const done = await doneFlushes(read).catch(() => -1);
      if (done !== last || done < 0) {
        last = done;
        since = Date.now();
        return false;
      }
      return Date.now() - since >= quietMs && (await groupLag(prefix, groupId, opts.kafka)) === 0;
    },
    timeoutMs,
    1000,
  );
}

/**
 * The figures once the pipeline converged: polls until they equal the reference (or `timeoutMs`),
 * then waits until the pipeline is quiet and judges once more, so a positive result is final.
 */
export async function converged(oracle: Oracle, read: Reader, prefix: string, opts: { groupId?: string; kafka?: KafkaOptions; timeoutMs?: number } = {}): Promise<Verdict> {
  let verdict: Verdict | undefined;
  await waitFor('the figures to equal the reference', async () => exact((verdict = await judge(oracle.input, read, oracle.reference))), opts.timeoutMs ?? 180_000, 2000).catch(() => undefined);
  await waitSettled(read, prefix, opts);
  return judge(oracle.input, read, oracle.reference);
}

/** The figures once the pipeline is quiet (a negative control: they must differ). */
/**
 * The figures once the pipeline is quiet (for negative controls, which must not wait for the reference).
 * `quietMs` must exceed the processors' CS_IDLE_FLUSH: the last windows close on the idle flush, and a
 * verdict taken before it differs from the reference whatever the defect.
 */
export async function settledVerdict(oracle: Oracle, read: Reader, prefix: string, opts: { groupId?: string; kafka?: KafkaOptions; quietMs?: number } = {}): Promise<Verdict> {
  await waitSettled(read, prefix, opts);
  return judge(oracle.input, read, oracle.reference);
}

export interface Outcome {
  scenario: string;
  /** 'scenario': the fault alone must leave the figures exact; 'control': with a deliberate defect, the check must fail. */
  kind: 'scenario' | 'control';
  passed: boolean;
  verdict?: Verdict;
  /** What else was measured (kills fired, RSS, offsets checked, …). */
  details?: Record<string, unknown>;
}

/** Prints and appends a scenario's outcome (RESULTS_FILE), for docs/reliability.md. */
export function record(outcome: Outcome): void {
  const summary = outcome.verdict ? describeVerdict(outcome.verdict) : '';
  console.info(`[faults] ${outcome.kind} ${outcome.scenario}: ${outcome.passed ? 'PASS' : 'FAIL'}\n${summary}${outcome.details ? `\n${JSON.stringify(outcome.details)}` : ''}`);
  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  const v = outcome.verdict;
  appendFileSync(
    RESULTS_FILE,
    `${JSON.stringify({
      at: new Date().toISOString(),
      ...outcome,
      verdict: v && {
        events: v.events,
        figures: v.figures,
        differences: v.differences.length,
        contacts: v.contacts,
        deadLetters: { expected: v.deadLetters.expected, actual: v.deadLetters.actual, missing: v.deadLetters.missing.length, extra: v.deadLetters.extra.length },
        sample: v.differences.slice(0, 3),
      },
    })}\n`,
  );
}
