/**
 * QA reviews (SPEC §3, §6): qa_avg_score (numerator += score, denominator +1) and qa_pass_rate
 * (numerator +1 if passed, denominator +1), attributed to the REVIEWED's event_time and its
 * (business_unit, product, channel).
 *
 * Stateless but for redelivery detection (dedup.ts: `d:<minute>` → event ids), forgotten once the
 * horizon passes them.
 */
import type { QaEvent } from '@cs/schemas';
import type { StepContext, StepResult, TopicLogic } from '../engine/types.ts';
import { forgetSeenBefore, seenBefore } from './dedup.ts';

export const qaLogic: TopicLogic<QaEvent> = {
  topic: 'cs.qa',
  metrics: ['qa_avg_score', 'qa_pass_rate'],
  rawTable: 'raw_qa',

  onEvent(ctx: StepContext, event: QaEvent): StepResult {
    if (seenBefore(ctx.state, event.event_id, event.event_time)) return { kind: 'drop', why: 'duplicate' };
    const dims = { business_unit: event.business_unit, product: event.product, channel: event.channel };
    ctx.emit.metric('qa_avg_score', event.event_time, dims, event.score, 1);
    ctx.emit.metric('qa_pass_rate', event.event_time, dims, event.passed ? 1 : 0, 1);
    return { kind: 'ok' };
  },

  closeWindows(ctx: StepContext): void {
    forgetSeenBefore(ctx.state, ctx.horizon);
  },

  /** Every figure is final once the horizon passes it. */
  settled: () => ({}),

  /** Nothing waits on a window (forgetting dedup ids needs no idle flush). */
  nextDue: () => null,
};
