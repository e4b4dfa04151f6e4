// @cs/simulator: realistic, seeded customer-service traffic for all seven topics.
export {
  generateTraffic,
  createTrafficGenerator,
  resolveOptions,
  coverWithShifts,
  DEFAULT_PROBABILITIES,
  CHANNELS,
} from './generator.ts';
export type { SimOptions, SimProbabilities, SimStats, TrafficGenerator, ResolvedOptions, TopicEvent, Channel } from './generator.ts';
export { startLiveSimulator, DEFAULT_LIVE_RATE_PER_MINUTE } from './live.ts';
export type { LiveOptions, LiveStats, LiveSimulator } from './live.ts';
export { Summarizer, summarize } from './summary.ts';
export type { TrafficSummary } from './summary.ts';
export { buildWorld, BUSINESS_UNITS, CAMPAIGNS, INTENTS, COMPLAINT_CATEGORIES } from './world.ts';
export type { World } from './world.ts';
export { ZoneClock, parseDate } from './zone.ts';
export { builtInCalendar, defaultCalendar, parseSurge } from './calendar.ts';
export type { VolumeEvent, VolumeEventKind, Surge } from './calendar.ts';
export { Rng } from './rng.ts';
export { toJsonLine } from './jsonl.ts';
