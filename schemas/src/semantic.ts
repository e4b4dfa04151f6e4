// Semantic checks of SPEC §3 that Avro typing cannot express. Applied to JSON input after
// parsing and to every decoded message, so they must stay cheap: rules are precomputed per topic.
import type { EventByTopic, Topic, ValidationIssue } from './types.ts';
import { topicSchemas } from './catalog.ts';
import { fieldSpecs } from './fields.ts';

/** SPEC §3 "(on X)" requirements: fields that must not be null for a given `type`. */
const REQUIRED_ON: { [T in Topic]?: { [Y in EventByTopic[T]['type']]?: Array<keyof EventByTopic[T] & string> } } = {
  'cs.sessions': { STARTED: ['entry'] },
  'cs.calls': {
    ANSWERED: ['agent_id', 'site_type', 'wait_ms'],
    ABANDONED: ['wait_ms'],
    ENDED: ['talk_ms', 'hold_ms', 'acw_ms'],
  },
  'cs.outreach': { CONTACTED: ['outreach_id'] },
};

/** Inclusive score ranges of SPEC §3. */
const RANGES: { [T in Topic]?: Array<{ field: keyof EventByTopic[T] & string; min: number; max: number }> } = {
  'cs.surveys': [{ field: 'score', min: 1, max: 5 }],
  'cs.qa': [{ field: 'score', min: 0, max: 100 }],
};

interface Rules {
  /** event_id and every other *_id string field: must be non-empty when present. */
  ids: string[];
  /** *_ms fields (durations): must be ≥ 0 when present. */
  durations: string[];
  requiredOn: Record<string, string[] | undefined>;
  ranges: Array<{ field: string; min: number; max: number }>;
}

const rulesCache = new Map<Topic, Rules>();

function rulesFor(topic: Topic): Rules {
  let r = rulesCache.get(topic);
  if (!r) {
    const specs = fieldSpecs(topicSchemas(topic).latest.schema);
    r = {
      ids: specs.filter((f) => f.kind === 'string' && f.name.endsWith('_id')).map((f) => f.name),
      durations: specs.filter((f) => f.kind === 'long' && f.name.endsWith('_ms')).map((f) => f.name),
      requiredOn: (REQUIRED_ON[topic] ?? {}) as Record<string, string[] | undefined>,
      ranges: (RANGES[topic] ?? []) as Rules['ranges'],
    };
    rulesCache.set(topic, r);
  }
  return r;
}

/** Human-readable rendering of a value in an error message. */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (Array.isArray(v)) return 'an array';
  if (v !== null && typeof v === 'object') return 'an object';
  return String(v);
}

const NONE: ValidationIssue[] = [];

/**
 * Semantic issues of a structurally valid event (right fields, right Avro types).
 * Returns a shared empty array when the event is fine: do not mutate the result.
 */
export function semanticIssues(topic: Topic, event: object): ValidationIssue[] {
  const e = event as Record<string, unknown>;
  const r = rulesFor(topic);
  let issues: ValidationIssue[] | undefined;
  const add = (field: string, reason: string): void => {
    (issues ??= []).push({ field, reason });
  };

  const t = e['event_time'];
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) {
    add('event_time', `must be a non-negative integer of epoch milliseconds, got ${show(t)}`);
  }
  for (const f of r.ids) {
    const v = e[f];
    if (v != null && (typeof v !== 'string' || v.trim() === '')) add(f, `must be a non-empty id, got ${show(v)}`);
  }
  for (const f of r.durations) {
    const v = e[f];
    if (typeof v === 'number' && !(v >= 0)) add(f, `must be a non-negative duration in milliseconds, got ${show(v)}`);
  }
  for (const { field, min, max } of r.ranges) {
    const v = e[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      add(field, `must be an integer ${min}–${max}, got ${show(v)}`);
    }
  }
  const required = r.requiredOn[e['type'] as string];
  if (required) {
    for (const f of required) {
      if (e[f] === null || e[f] === undefined) add(f, `is required when type is ${String(e['type'])}`);
    }
  }
  return issues ?? NONE;
}

/** Issues rendered on one line, e.g. for logs, HTTP 400 bodies and dead-letter reasons. */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => (i.field ? `${i.field}: ${i.reason}` : i.reason)).join('; ');
}
