import type { Topic } from '@cs/schemas';
import type { TopicLogic } from '../engine/types.ts';
import { rawOnlyLogic } from './raw-only.ts';
import { agentsLogic } from './agents.ts';
import { outreachLogic } from './outreach.ts';
import { sessionsLogic } from './sessions.ts';

/** The logic of every topic the processor consumes. */
export const LOGIC: Record<Topic, TopicLogic> = {
  'cs.sessions': sessionsLogic as TopicLogic,
  'cs.calls': rawOnlyLogic('cs.calls', 'raw_calls'),
  'cs.surveys': rawOnlyLogic('cs.surveys', 'raw_surveys'),
  'cs.complaints': rawOnlyLogic('cs.complaints', 'raw_complaints'),
  'cs.outreach': outreachLogic as TopicLogic,
  'cs.agents': agentsLogic as TopicLogic,
  'cs.qa': rawOnlyLogic('cs.qa', 'raw_qa'),
};
