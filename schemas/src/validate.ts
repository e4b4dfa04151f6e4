// Validation of JSON input (ingest API, replay files) against the latest schema of a topic,
// driven by the .avsc field list, followed by the semantic checks. Never throws on bad input.
import { TOPICS, type AnyEvent, type EventByTopic, type Topic, type ValidationIssue } from './types.ts';
import { isTopic, topicSchemas } from './catalog.ts';
import { fieldSpecs, type FieldSpec } from './fields.ts';
import { semanticIssues, show } from './semantic.ts';
import { parseIsoMillis } from './time.ts';

export type Validated<T> = { ok: true; event: T } | { ok: false; issues: ValidationIssue[] };

export interface ParseOptions {
  /** If set, also reject an event_time more than maxFutureMs ahead of this clock (epoch ms). */
  nowMs?: number;
  /** Default 1 h (SPEC §3). */
  maxFutureMs?: number;
}

/** 'json': lenient JSON input (ISO times, omitted optionals, no extra fields); 'typed': objects from code. */
export type CheckMode = 'json' | 'typed';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const specsCache = new Map<Topic, { specs: FieldSpec[]; names: Set<string> }>();

function specsFor(topic: Topic): { specs: FieldSpec[]; names: Set<string> } {
  let s = specsCache.get(topic);
  if (!s) {
    const specs = fieldSpecs(topicSchemas(topic).latest.schema);
    s = { specs, names: new Set(specs.map((f) => f.name)) };
    specsCache.set(topic, s);
  }
  return s;
}

/** Checks one field value; returns the normalised value or an issue reason. */
function checkValue(f: FieldSpec, v: unknown, mode: CheckMode): { value: unknown } | { reason: string } {
  if (v === undefined || v === null) {
    if (f.nullable) return { value: null };
    return { reason: v === undefined ? 'is required' : 'must not be null' };
  }
  switch (f.kind) {
    case 'string':
      return typeof v === 'string' ? { value: v } : { reason: `must be a string, got ${show(v)}` };
    case 'boolean':
      return typeof v === 'boolean' ? { value: v } : { reason: `must be true or false, got ${show(v)}` };
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX
        ? { value: v }
        : { reason: `must be a 32-bit integer, got ${show(v)}` };
    case 'float':
    case 'double':
      return typeof v === 'number' && Number.isFinite(v) ? { value: v } : { reason: `must be a finite number, got ${show(v)}` };
    case 'enum':
      return typeof v === 'string' && f.symbols.includes(v)
        ? { value: v }
        : { reason: `must be one of ${f.symbols.join(', ')}; got ${show(v)}` };
    case 'long':
      if (typeof v === 'number' && Number.isSafeInteger(v)) return { value: v };
      if (f.timestampMillis) {
        const ms = mode === 'json' && typeof v === 'string' ? parseIsoMillis(v) : null;
        if (ms !== null) return { value: ms };
        return {
          reason:
            mode === 'json'
              ? `must be epoch milliseconds (an integer) or an ISO-8601 date-time with time zone such as "2024-05-01T08:30:00Z", got ${show(v)}`
              : `must be epoch milliseconds (an integer), got ${show(v)}`,
        };
      }
      return { reason: `must be an integer, got ${show(v)}` };
  }
}

/**
 * Field-by-field check of an input object against the topic's latest schema. Returns the
 * event with fields in schema order (omitted optionals → null) and the issues found.
 */
export function checkFields(
  topic: Topic,
  input: unknown,
  mode: CheckMode,
): { event: Record<string, unknown>; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const event: Record<string, unknown> = {};
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    issues.push({ field: '', reason: `event must be a JSON object, got ${show(input)}` });
    return { event, issues };
  }
  const o = input as Record<string, unknown>;
  const { specs, names } = specsFor(topic);
  for (const f of specs) {
    const r = checkValue(f, o[f.name], mode);
    if ('reason' in r) issues.push({ field: f.name, reason: r.reason });
    else event[f.name] = r.value;
  }
  if (mode === 'json') {
    for (const k of Object.keys(o)) {
      if (!names.has(k)) issues.push({ field: k, reason: `is not a field of ${topic} events` });
    }
  }
  return { event, issues };
}

/** Parses and validates a JSON event for a topic: structure, then semantics (and the future rule with opts.nowMs). */
export function parseEvent<T extends Topic>(topic: T, input: unknown, opts?: ParseOptions): Validated<EventByTopic[T]>;
export function parseEvent(topic: string, input: unknown, opts?: ParseOptions): Validated<AnyEvent>;
export function parseEvent(topic: string, input: unknown, opts: ParseOptions = {}): Validated<AnyEvent> {
  if (!isTopic(topic)) {
    return { ok: false, issues: [{ field: 'topic', reason: `unknown topic ${show(topic)}; expected one of ${TOPICS.join(', ')}` }] };
  }
  const { event, issues } = checkFields(topic, input, 'json');
  if (issues.length > 0) return { ok: false, issues };
  const semantic = semanticIssues(topic, event);
  const future = opts.nowMs === undefined ? null : checkFuture(event as { event_time: number }, opts.nowMs, opts.maxFutureMs);
  if (semantic.length > 0 || future) return { ok: false, issues: future ? [...semantic, future] : [...semantic] };
  return { ok: true, event: event as unknown as AnyEvent };
}

/** Semantic issues of an already typed event (e.g. one built in code before producing it). */
export function validateEvent<T extends Topic>(topic: T, event: EventByTopic[T]): ValidationIssue[] {
  const { issues } = checkFields(topic, event, 'typed');
  return issues.length > 0 ? issues : [...semanticIssues(topic, event)];
}

/**
 * SPEC §3/§4: an event_time more than maxFutureMs (default 1 h) ahead of the wall clock is bad.
 * Kept apart from the clock-free checks because only the processors judge it, at their own now.
 */
export function checkFuture(event: { event_time: number }, nowMs: number, maxFutureMs = 3_600_000): ValidationIssue | null {
  const ahead = event.event_time - nowMs;
  if (ahead <= maxFutureMs) return null;
  return {
    field: 'event_time',
    reason: `is ${formatDuration(ahead)} in the future (${iso(event.event_time)}); at most ${formatDuration(maxFutureMs)} ahead of now is accepted`,
  };
}

// Epoch ms as ISO text; falls back to the number beyond Date's range (±8.64e15 ms).
function iso(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? `${ms} ms` : d.toISOString();
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [h ? `${h} h` : '', m ? `${m} min` : '', s % 60 || (!h && !m) ? `${s % 60} s` : ''];
  return parts.filter(Boolean).join(' ');
}
