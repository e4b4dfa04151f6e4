import type { Topic } from '@cs/schemas';
import type { TopicLogic } from '../engine/types.ts';
import { agentsLogic } from './agents.ts';
import { callsLogic } from './calls.ts';
import { complaintsLogic } from './complaints.ts';
import { outreachLogic } from './outreach.ts';
import { qaLogic } from './qa.ts';
import { sessionsLogic } from './sessions.ts';
import { surveysLogic } from './surveys.ts';

/** The logic of every topic the processor consumes. */
export const LOGIC: Record<Topic, TopicLogic> = {
  'cs.sessions': sessionsLogic as TopicLogic,
  'cs.calls': callsLogic as TopicLogic,
  'cs.surveys': surveysLogic as TopicLogic,
  'cs.complaints': complaintsLogic as TopicLogic,
  'cs.outreach': outreachLogic as TopicLogic,
  'cs.agents': agentsLogic as TopicLogic,
  'cs.qa': qaLogic as TopicLogic,
};
