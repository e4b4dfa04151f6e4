/**
 * Surveys (SPEC §3, §6): satisfaction_top_box and self_service_satisfaction, attributed to the
 * RESPONDED's event_time and its (business_unit, product, channel).
 *
 * Only valid responses count: numerator +1 when score = 5, denominator +1; the self-service metric
 * likewise when handled_by = SELF_SERVICE. An invalid response is kept in the raw table only.
 *
 * Stateless but for redelivery detection (dedup.ts: `d:<minute>` → event ids). Ids are forgotten
 * once the horizon (stream time − lateness) passes them: an older redelivery is late anyway.
 */
import type { SurveyEvent } from '@cs/schemas';
import type { StepContext, StepResult, TopicLogic } from '../engine/types.ts';
import { forgetSeenBefore, seenBefore } from './dedup.ts';

export const surveysLogic: TopicLogic<SurveyEvent> = {
  topic: 'cs.surveys',
  metrics: ['satisfaction_top_box', 'self_service_satisfaction'],
  rawTable: 'raw_surveys',

  onEvent(ctx: StepContext, event: SurveyEvent): StepResult {
    if (seenBefore(ctx.state, event.event_id, event.event_time)) return { kind: 'drop', why: 'duplicate' };
    if (event.valid) {
      const dims = { business_unit: event.business_unit, product: event.product, channel: event.channel };
      const topBox = event.score === 5 ? 1 : 0;
      ctx.emit.metric('satisfaction_top_box', event.event_time, dims, topBox, 1);
      if (event.handled_by === 'SELF_SERVICE') ctx.emit.metric('self_service_satisfaction', event.event_time, dims, topBox, 1);
    }
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
