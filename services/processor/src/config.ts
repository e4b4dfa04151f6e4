import { envReader, loadTimeRules, type TimeRules } from '@cs/runtime';

export interface ProcessorConfig {
  /** Consumer group and the name its state is stored under. */
  groupId: string;
  /** Prepended to every topic name (CS_TOPIC_PREFIX), so several pipelines can share a cluster. */
  topicPrefix: string;
  /** Event topics consumed, without the prefix. */
  topics: string[];
  deadLetterTopic: string;
  /** Flush when a partition buffered this many messages… */
  flushMaxMessages: number;
  /** …or its oldest buffered message waited this long… */
  flushIntervalMs: number;
  /**
   * …or this long, when no flush is being written: a store that keeps up gets fresher figures, and
   * one that does not gets the longer interval's fewer, larger inserts (an insert's fixed cost bounds
   * the live rate).
   */
  flushIntervalMinMs: number;
  /** Write a state snapshot (the keys changed since the last one) every N flushes of a partition… */
  snapshotEvery: number;
  /** …and a base snapshot (every key) when the last one is older than this. */
  snapshotBaseEveryMs: number;
  /** PROCESSOR_SNAPSHOT_IDLE_AFTER: a quiet partition snapshots once its oldest flush not in a snapshot is this old. */
  snapshotIdleAfterMs: number;
  /**
   * PROCESSOR_IDLE_ADVANCE_STEP: an idle flush advances stream time at most this far past the next
   * window due (to begin with), so a quiet pipeline closes a day of windows in flushes of bounded size…
   */
  idleAdvanceStepMs: number;
  /** …PROCESSOR_IDLE_ADVANCE_KEYS: the step halves after a flush that changed more state keys than this, and doubles under a quarter. */
  idleAdvanceKeys: number;
  /** Where the instance keeps its local state (lmdb); default: next to the embedded store, or .stack/state. */
  stateDir: string | undefined;
  httpHost: string;
  httpPort: number;
  /** Consumer group session timeout: how long a crashed member holds its partitions. */
  sessionTimeoutMs: number;
  rules: TimeRules;
}

export function loadProcessorConfig(env: Record<string, string | undefined> = process.env): ProcessorConfig {
  const r = envReader(env);
  return {
    groupId: r.string('PROCESSOR_GROUP_ID', 'cs-processor'),
    topicPrefix: r.string('CS_TOPIC_PREFIX', ''),
    topics: r.string('PROCESSOR_TOPICS', 'cs.sessions,cs.calls,cs.surveys,cs.complaints,cs.outreach,cs.agents,cs.qa').split(',').map((t) => t.trim()).filter(Boolean),
    deadLetterTopic: r.string('DEAD_LETTER_TOPIC', 'cs.dead_letters'),
    flushMaxMessages: r.int('PROCESSOR_FLUSH_MAX_MESSAGES', 20_000),
    flushIntervalMs: r.duration('PROCESSOR_FLUSH_INTERVAL', '1s'),
    flushIntervalMinMs: r.duration('PROCESSOR_FLUSH_INTERVAL_MIN', '500ms'),
    snapshotEvery: r.int('PROCESSOR_SNAPSHOT_EVERY', 100),
    snapshotBaseEveryMs: r.duration('PROCESSOR_SNAPSHOT_BASE_INTERVAL', '6h'),
    snapshotIdleAfterMs: r.duration('PROCESSOR_SNAPSHOT_IDLE_AFTER', '10m'),
    idleAdvanceStepMs: r.duration('PROCESSOR_IDLE_ADVANCE_STEP', '1h'),
    idleAdvanceKeys: r.int('PROCESSOR_IDLE_ADVANCE_KEYS', 100_000),
    stateDir: r.optional('CS_STATE_DIR'),
    httpHost: r.string('PROCESSOR_HTTP_HOST', '127.0.0.1'),
    httpPort: r.int('PROCESSOR_HTTP_PORT', 9401),
    sessionTimeoutMs: r.duration('PROCESSOR_SESSION_TIMEOUT', '30s'),
    rules: loadTimeRules(env),
  };
}
