/**
 * What `cs.metrics.final` must say (SPEC §4 "Live, then exact", §7 `final`: no accepted or future
 * event can change the row), computed from the delivered events and the reference — not from the
 * processor's own watermarks.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { METRICS, sourceTopics, type MetricDefinition } from '@cs/catalog';
import type { ComplaintEvent, OutreachEvent, Topic } from '@cs/schemas';
import { AGENT_SESSION_CAP_MS, INACTIVITY_MS, type ContactRow, type Grain, type LocalCalendar, type MetricRow, type StreamTime } from '../reference/reference.ts';
import type { Delivered } from './kafka-order.ts';

export interface FinalityRow extends MetricRow {
  final: boolean;
}

/** Every row of cs.metrics at the given grains, with its `final` flag. */
export async function rowsWithFinal(client: ClickHouseClient, db: string, grains: readonly Grain[]): Promise<FinalityRow[]> {
  const result = await client.query({
    query: `SELECT grain, toUnixTimestamp(bucket) * 1000 AS bucket, metric, business_unit, product, channel, numerator, denominator, value, final
            FROM ${db}.metrics WHERE grain IN {grains:Array(String)}`,
    query_params: { grains },
    format: 'JSONEachRow',
  });
  return (await result.json<FinalityRow>()).map((r) => ({ ...r, bucket: Number(r.bucket), final: Boolean(r.final) }));
}

/**
 * Per topic, the smallest horizon S_p − lateness over its partitions: no event older than it can
 * still be accepted on any partition. A partition that has had no event has no stream time:
 * anything can still arrive there (−∞).
 */
export function minHorizons(streamTimes: readonly StreamTime[], partitions: number, latenessMs: number): Map<Topic, number> {
  const out = new Map<Topic, number>();
  for (const topic of new Set(streamTimes.map((s) => s.topic))) {
    let min = Number.POSITIVE_INFINITY;
    for (let p = 0; p < partitions; p++) {
      const s = streamTimes.find((x) => x.topic === topic && x.partition === p);
      min = Math.min(min, s ? s.streamTime - latenessMs : Number.NEGATIVE_INFINITY);
    }
    out.set(topic, min);
  }
  return out;
}

/** A row's bucket can no longer receive a new event once every feeding partition's horizon has passed its end. */
export function bucketClosed(row: MetricRow, cal: LocalCalendar, horizons: Map<Topic, number>): boolean {
  const def = METRICS.find((m) => m.id === row.metric);
  if (!def) throw new Error(`unknown metric ${row.metric}`);
  const end = cal.bucketEnd(row.bucket, row.grain);
  // The catalog's topics of a metric: its attribution's, and cs.sessions for the per-10k denominators.
  return sourceTopics(def).every((t) => end <= (horizons.get(t as Topic) ?? Number.NEGATIVE_INFINITY));
}

/**
 * Metrics whose every contribution is made once, by one event at its own time, and never changed:
 * once no event can arrive in a bucket any more, the row is final.
 */
export const STATELESS_METRICS: readonly string[] = ['contacts', 'complaints_per_10k', 'satisfaction_top_box', 'self_service_satisfaction', 'qa_avg_score', 'qa_pass_rate'];

/**
 * How long an entity may still change its metric after its own events, where SPEC §4–§6 gives it no
 * window: the processor keeps a call 24 h after its last event (a later event is an orphan), and a
 * FILED complaint 400 days for its UPHELD.
 */
export const CALL_KEPT_MS = 24 * 3_600_000;
export const COMPLAINT_KEPT_MS = 400 * 86_400_000;

export interface Windows {
  latenessMs: number;
  fcrWindowMs: number;
  retentionWindowMs: number;
}

/**
 * The instant after which nothing in the delivered data (nor a new event in its buckets) can
 * change metric `m` any more: its last event + lateness, or the end of the longest window still
 * open in the data (contact inactivity and FCR, outreach retention, a call kept, an un-upheld
 * complaint kept, a 12 h shift) + lateness.
 */
export function lastChangeAt(m: MetricDefinition, input: Delivered, contacts: readonly ContactRow[], w: Windows): number {
  const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
  const times = (topic: Topic) => input.events.filter((e) => e.topic === topic).map((e) => e.event.event_time);
  const L = w.latenessMs;
  switch (m.attribution) {
    case 'contact_start': {
      if (m.id === 'contacts') return max(times('cs.sessions')) + L;
      const fcr = m.id === 'fcr_rate' || m.id === 'self_service_resolution_rate' ? w.fcrWindowMs : 0;
      const windows = contacts.map((c) => (c.ended_by === 'ENDED' ? c.end : c.end + INACTIVITY_MS) + fcr);
      return max([...times('cs.sessions'), ...windows]) + L;
    }
    case 'call_offered':
      return max(times('cs.calls')) + CALL_KEPT_MS + L;
    case 'survey_responded':
      return max(times('cs.surveys')) + L;
    case 'qa_reviewed':
      return max(times('cs.qa')) + L;
    case 'complaint_filed': {
      const base = max([...times('cs.complaints'), ...times('cs.sessions')]) + L;
      if (m.id !== 'upheld_complaints_per_10k') return base;
      return max([base, ...openComplaints(input).map((c) => c.event_time + COMPLAINT_KEPT_MS)]);
    }
    case 'outreach_contacted': {
      const contacted = input.events.filter((e) => e.topic === 'cs.outreach' && (e.event as OutreachEvent).type === 'CONTACTED');
      return max([...times('cs.outreach'), ...contacted.map((e) => e.event.event_time + w.retentionWindowMs)]) + L;
    }
    case 'agent_logged_in':
      return max(times('cs.agents')) + AGENT_SESSION_CAP_MS + L;
    case 'forecast_day':
      // Scored by the forecaster from the contacts of the day: they settle with cs.sessions.
      return max(times('cs.sessions')) + L;
  }
}

/** FILED complaints (the first FILED by arrival, P1) without an UPHELD: an UPHELD can still come. */
export function openComplaints(input: Delivered): ComplaintEvent[] {
  const byId = new Map<string, ComplaintEvent[]>();
  for (const { topic, event } of [...input.events].sort((a, b) => a.arrival - b.arrival)) {
    if (topic !== 'cs.complaints') continue;
    const e = event as ComplaintEvent;
    byId.set(e.complaint_id, [...(byId.get(e.complaint_id) ?? []), e]);
  }
  const open: ComplaintEvent[] = [];
  for (const list of byId.values()) {
    const filed = list.find((e) => e.type === 'FILED');
    if (filed && !list.some((e) => e.type === 'UPHELD')) open.push(filed);
  }
  return open;
}
