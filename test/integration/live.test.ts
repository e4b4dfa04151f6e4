/**
 * Live, then exact (SPEC §4, issue 8), through the real broker and the real processor:
 *  1. a prefix of the correctness event set (duplicates, out-of-order and too-late events, plus
 *     hand-made live edge cases) is processed with no idle flush: cs.metrics must equal the
 *     reference's LIVE rule (test/reference, L1–L9) over exactly what Kafka delivered, and
 *     `final` must be true only where nothing can change a row any more; then the rest, with the
 *     usual idle flush: cs.metrics equals the FINAL reference and every row that nothing can
 *     change any more is final;
 *  2. a late TRANSFERRED_TO_AGENT timed before an already counted contact's ENDED moves its
 *     contribution from self-service to transferred, with nothing counted twice at any moment.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from '@cs/catalog';
import type { SessionEvent, Topic } from '@cs/schemas';
import { actualRows, compareRows } from '../correctness/compare.ts';
import { buildEventSet, DAY_START, FCR_WINDOW_MS, LATENESS_MS, RETENTION_WINDOW_MS, TZ, type TopicEvent } from '../correctness/event-set.ts';
import { bucketClosed, lastChangeAt, minHorizons, openComplaints, rowsWithFinal, STATELESS_METRICS, type FinalityRow } from '../correctness/finality.ts';
import { delivered } from '../correctness/kafka-order.ts';
import { liveEdgeCases } from '../correctness/live-edge-cases.ts';
import { COMPARED_GRAINS, COMPARED_METRICS, expectConverges, produce, referenceOf, referenceRun } from '../correctness/run.ts';
import { INACTIVITY_MS, LocalCalendar, REFERENCE_GRAINS, type ContactRow, type Grain, type MetricRow } from '../reference/reference.ts';
import { createTopics, openTestStore, query, startTestProcessor, uniquePrefix, waitFor, type TestStore } from '../support/pipeline.ts';

const PARTITIONS = 3;
/** Long enough that no idle flush closes a window on the wall clock while the prefix is checked. */
const NO_IDLE_FLUSH = { CS_IDLE_FLUSH: '1h' };
const ENDED_CONTACT_METRICS = ['self_service_share', 'self_service_transfer_rate', 'online_aht_seconds', 'voicebot_recognition_coverage', 'voicebot_confirmation_rate', 'voicebot_avg_turns', 'prediction_hit_rate'];
const FCR_METRICS = ['fcr_rate', 'self_service_resolution_rate'];
const WINDOWS = { latenessMs: LATENESS_MS, fcrWindowMs: FCR_WINDOW_MS, retentionWindowMs: RETENTION_WINDOW_MS };
const cal = new LocalCalendar(TZ);

type Dimmed = { business_unit: string; product: string; channel: string };
const cellKey = (grain: Grain, bucket: number, d: Dimmed) => JSON.stringify([grain, bucket, d.business_unit, d.product, d.channel]);
/** The (grain, bucket, dims) cells an entity at instant t falls in, at every grain. */
const cellsOf = (t: number, d: Dimmed) => REFERENCE_GRAINS.map((g) => cellKey(g, cal.bucketStart(t, g), d));
const describeRow = (r: FinalityRow) => `${r.grain} ${new Date(r.bucket).toISOString()} ${r.metric} ${r.business_unit}/${r.product}/${r.channel} ${r.numerator}/${r.denominator} final=${r.final}`;

let events: TopicEvent[];
beforeAll(() => {
  events = buildEventSet(12_000, liveEdgeCases(DAY_START));
});

async function idleFlushes(store: TestStore): Promise<number> {
  return Number((await query<{ n: string }>(store.client, `SELECT count() AS n FROM ${store.db}.processor_log WHERE idle`))[0]?.n ?? 0);
}

describe('live figures (SPEC §4 "Live, then exact")', () => {
  it('a prefix equals the live rule before any window closes on the wall clock; then the rest, final and exact', async () => {
    const prefix = uniquePrefix('live');
    await createTopics(prefix, PARTITIONS);
    const cut = Math.floor(events.length * 0.6);
    await produce(prefix, events.slice(0, cut));
    const { input, output: live } = await referenceRun(prefix, cut, { live: true });
    const horizons = minHorizons(live.streamTimes, PARTITIONS, LATENESS_MS);
    /** H_p = S_p − lateness of the partition of `key` on `topic` (L1). */
    const horizonOf = (topic: Topic, key: string) => live.streamTimes.find((s) => s.topic === topic && s.partition === input.partitionOf(topic, key))!.streamTime - LATENESS_MS;
    const horizonOfContact = (c: ContactRow) => horizonOf('cs.sessions', c.user_id);

    // Not vacuous: the prefix decides FCR and outreach live (a repeat / an outcome while the
    // window is still open), by the window, and leaves some undecided; contacts still open.
    const decided = new Map(live.decisions.contacts.map((d) => [d.session_id, d]));
    const fcrOpen = (c: ContactRow) => c.end + FCR_WINDOW_MS >= horizonOfContact(c);
    expect(live.contacts.filter((c) => decided.get(c.session_id)!.fcr === 'repeat' && fcrOpen(c)).length).toBeGreaterThan(10);
    expect(live.decisions.contacts.filter((d) => d.fcr === 'window').length).toBeGreaterThan(0);
    expect(live.decisions.contacts.filter((d) => d.counted && d.fcr === 'undecided').length).toBeGreaterThan(100);
    expect(live.decisions.contacts.filter((d) => !d.counted).length).toBeGreaterThan(10);
    const outreach = (by: string) => live.decisions.outreach.filter((o) => o.decided_by === by);
    const windowOpen = outreach('outcome').filter((o) => o.contacted_at + RETENTION_WINDOW_MS >= horizonOf('cs.outreach', o.user_id));
    expect(windowOpen.map((o) => o.retained).sort()).toEqual([false, true]);
    expect(outreach('window').length).toBeGreaterThan(0);
    expect(outreach('undecided').length).toBeGreaterThan(10);
    // The live rule differs from the batch recomputation over the same events, in the FCR
    // figures among others.
    const batchOfPrefix = referenceOf(input);
    const liveVsBatch = compareRows(batchOfPrefix.rows, live.rows, COMPARED_METRICS, COMPARED_GRAINS);
    for (const metric of ['self_service_share', 'fcr_rate', 'outreach_retention_rate', 'staffed_hours']) {
      expect(liveVsBatch.some((d) => d.key.includes(`|${metric}|`)), metric).toBe(true);
    }

    const store = await openTestStore(TZ);
    const a = await startTestProcessor(store, prefix, TZ, 'kafkajs', NO_IDLE_FLUSH);
    let b: Awaited<ReturnType<typeof startTestProcessor>> | undefined;
    try {
      await expectConverges(live.rows, () => actualRows(store.client, store.db, [...COMPARED_GRAINS]));
      expect(await idleFlushes(store)).toBe(0);

      // The processor's stream time per partition is the reference's S_p.
      const marks = await query<{ logical_topic: Topic; partition: number; stream_time: string }>(
        store.client,
        `SELECT logical_topic, partition, toUnixTimestamp64Milli(argMax(stream_time, seq)) AS stream_time FROM ${store.db}.watermarks GROUP BY logical_topic, partition`,
      );
      for (const s of live.streamTimes) {
        const got = marks.find((m) => m.logical_topic === s.topic && Number(m.partition) === s.partition);
        expect(got && Number(got.stream_time), `stream time of ${s.topic}#${s.partition}`).toBe(s.streamTime);
      }

      // `final` before any idle flush: true only where no accepted or future event can change the row.
      const rows = await rowsWithFinal(store.client, store.db, REFERENCE_GRAINS);
      const finals = rows.filter((r) => r.final);
      // (1) A bucket that can still receive an event (on any feeding partition) is not final.
      expect(finals.filter((r) => !bucketClosed(r, cal, horizons)).map(describeRow)).toEqual([]);
      // (2) Nor a bucket holding a contact whose window is open / whose FCR is undecided, or an undecided outreach.
      const stillOpen = live.contacts.filter((c) => (c.ended_by === 'ENDED' ? c.end : c.end + INACTIVITY_MS) >= horizonOfContact(c));
      const fcrUndecided = live.contacts.filter((c) => decided.get(c.session_id)!.fcr === 'undecided');
      const outreachUndecided = input.events.filter((e) => e.topic === 'cs.outreach' && outreach('undecided').some((o) => o.event_id === e.event.event_id));
      const openContacts = new Set(stillOpen.flatMap((c) => cellsOf(c.start, c)));
      const undecidedFcr = new Set(fcrUndecided.flatMap((c) => cellsOf(c.start, c)));
      const undecidedOutreach = new Set(outreachUndecided.flatMap((e) => cellsOf(e.event.event_time, e.event as unknown as Dimmed)));
      const still = (r: FinalityRow, cells: Set<string>) => cells.has(cellKey(r.grain, r.bucket, r));
      expect(finals.filter((r) => (ENDED_CONTACT_METRICS.includes(r.metric) && still(r, openContacts)) || (FCR_METRICS.includes(r.metric) && still(r, undecidedFcr)) || (r.metric === 'outreach_retention_rate' && still(r, undecidedOutreach))).map(describeRow)).toEqual([]);
      // (3) The stateless metrics are final wherever their bucket can receive nothing more.
      const stateless = rows.filter((r) => STATELESS_METRICS.includes(r.metric) && bucketClosed(r, cal, horizons));
      // (The event set's day is older than the minute grain's 35-day TTL: its minute rows may be gone.)
      expect(stateless.filter((r) => r.grain === 'hour').length).toBeGreaterThan(20);
      expect([...new Set(stateless.map((r) => r.metric))]).toEqual(expect.arrayContaining(['contacts', 'satisfaction_top_box']));
      expect(stateless.filter((r) => !r.final).map(describeRow)).toEqual([]);
      // (3b) Contact and outreach figures are final before the earliest contact still open (FCR
      // undecided) or outreach undecided, and before the horizon: nothing can change them.
      const earliest = (ts: number[]) => ts.reduce((x, y) => Math.min(x, y), Number.POSITIVE_INFINITY);
      const settled = [
        { metrics: ENDED_CONTACT_METRICS, before: Math.min(horizons.get('cs.sessions')!, earliest(stillOpen.map((c) => c.start))) },
        { metrics: FCR_METRICS, before: Math.min(horizons.get('cs.sessions')!, earliest(fcrUndecided.map((c) => c.start))) },
        { metrics: ['outreach_retention_rate'], before: Math.min(horizons.get('cs.outreach')!, earliest(outreachUndecided.map((e) => e.event.event_time))) },
      ];
      for (const { metrics, before } of settled) {
        const due = rows.filter((r) => metrics.includes(r.metric) && cal.bucketEnd(r.bucket, r.grain) <= before);
        expect(due.length, `${metrics.join(', ')} rows before ${new Date(before).toISOString()}`).toBeGreaterThan(0);
        expect(due.filter((r) => !r.final).map(describeRow)).toEqual([]);
      }
      // (4) The last hour's ended-contact figures are live, not final.
      const lastHour = cal.bucketStart(horizons.get('cs.sessions')!, 'hour');
      const provisional = rows.filter((r) => r.grain === 'hour' && r.bucket >= lastHour && ENDED_CONTACT_METRICS.includes(r.metric) && r.denominator > 0);
      expect(provisional.length).toBeGreaterThan(10);
      expect(provisional.some((r) => r.final)).toBe(false);

      // The rest, after a clean stop, with the usual short idle flush. Produced before the next
      // processor starts: an idle pause before it arrived would close every window on the wall
      // clock (SPEC §4) and make the rest late.
      await a.stop();
      await produce(prefix, events.slice(cut));
      const restStart = Date.now();
      b = await startTestProcessor(store, prefix, TZ, 'kafkajs');
      const { input: all, output: exact } = await referenceRun(prefix, events.length);
      expect(compareRows(exact.rows, live.rows, COMPARED_METRICS, COMPARED_GRAINS).length).toBeGreaterThan(100);
      await expectConverges(exact.rows, () => actualRows(store.client, store.db, [...COMPARED_GRAINS]));

      // What must be final now, from the data: every metric whose last possible change (its last
      // event + lateness, or the end of its longest window still open in the data) is before the
      // idle flush that advanced stream time to the wall clock. The one that cannot be final:
      // upheld_complaints_per_10k — a FILED complaint without an UPHELD can still be upheld for
      // 400 days. (Outreach windows of 30 days and calls kept 24 h after their last event ended
      // long before today's wall clock: those rows must be final.)
      const cannotBeFinal = METRICS.filter((m) => lastChangeAt(m, all, exact.contacts, WINDOWS) >= restStart).map((m) => m.id);
      expect(cannotBeFinal).toEqual(['upheld_complaints_per_10k']);
      const mustBeFinal = (r: FinalityRow) => !cannotBeFinal.includes(r.metric);
      let notFinal: FinalityRow[] = [];
      await waitFor('every settled row to be final', async () => (notFinal = (await rowsWithFinal(store.client, store.db, REFERENCE_GRAINS)).filter((r) => mustBeFinal(r) && !r.final)).length === 0, 30_000, 500).catch((err: Error) => {
        throw new Error(`${err.message}: ${notFinal.length} rows, e.g.\n${notFinal.slice(0, 10).map(describeRow).join('\n')}`);
      });
      const after = await rowsWithFinal(store.client, store.db, REFERENCE_GRAINS);
      expect(after.filter(mustBeFinal).length).toBeGreaterThan(1000);
      // A row holding a complaint that can still be upheld is not final.
      const open = new Set(openComplaints(all).flatMap((c) => cellsOf(c.event_time, c)));
      expect(open.size).toBeGreaterThan(0);
      const upheldOpen = after.filter((r) => r.metric === 'upheld_complaints_per_10k' && open.has(cellKey(r.grain, r.bucket, r)));
      expect(upheldOpen.filter((r) => r.grain === 'day').length).toBeGreaterThan(0);
      expect(upheldOpen.filter((r) => r.final).map(describeRow)).toEqual([]);
    } finally {
      await a.stop();
      await b?.stop();
      await store.client.close();
    }
  });

  it('a late event before an already counted ENDED replaces the contact’s contribution, never counting it twice', async () => {
    const prefix = uniquePrefix('live-retract');
    await createTopics(prefix, PARTITIONS);
    const store = await openTestStore(TZ);
    const processor = await startTestProcessor(store, prefix, TZ, 'kafkajs', NO_IDLE_FLUSH);
    // Recent, so its minute rows are within the minute grain's TTL; no idle flush closes it.
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 20 * 60_000;
    const session = (type: SessionEvent['type'], t: number): TopicEvent => ({
      topic: 'cs.sessions',
      event: { event_id: `retract-${type}`, event_time: t, business_unit: 'live-retract', product: 'p', type, session_id: 'retract-s1', user_id: 'retract-u1', channel: 'APP', entry: type === 'STARTED' ? 'SELF_SERVICE' : null, intent: null, agent_id: null },
    });
    const grains = [...REFERENCE_GRAINS];
    const figures = async () => (await actualRows(store.client, store.db, grains)).filter((r) => r.business_unit === 'live-retract');
    /** Per grain: "<grain> <self_service_share> <self_service_transfer_rate>", each as numerator/denominator. */
    const state = async () => {
      const rows = await figures();
      return grains.map((g) => [g, ...['self_service_share', 'self_service_transfer_rate'].map((m) => rows.filter((r) => r.grain === g && r.metric === m).map((r) => `${r.numerator}/${r.denominator}`).join(','))].join(' '));
    };
    const at = (figures: string) => grains.map((g) => `${g} ${figures}`);
    /** The reference's live figures over the first `count` delivered events. */
    const liveReference = async (count: number) => referenceOf(await delivered(prefix, count), { live: true }).rows;
    let diffs: unknown[] = [];
    const equals = (expected: MetricRow[]) => async () => (diffs = compareRows(expected, await figures(), COMPARED_METRICS, grains)).length === 0;
    const explain = (err: Error): never => {
      throw new Error(`${err.message}: differences ${JSON.stringify(diffs)}`);
    };
    try {
      await produce(prefix, [session('STARTED', t0), session('ENDED', t0 + 3 * 60_000)]);
      await waitFor('the ended contact counted live', equals(await liveReference(2)), 60_000, 200).catch(explain);
      const before = at('1/1 0/1');
      expect(await state()).toEqual(before);

      // A TRANSFERRED_TO_AGENT timed before the ENDED (within the allowed lateness) arrives later.
      const seen = new Set<string>(); // per grain
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          for (const grain of await state()) seen.add(grain);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      await produce(prefix, [session('TRANSFERRED_TO_AGENT', t0 + 60_000)]);
      try {
        await waitFor('the contribution to move to transferred', equals(await liveReference(3)), 60_000, 200).catch(explain);
      } finally {
        sampling = false;
        await sampler;
      }
      const now = at('0/1 1/1');
      expect(await state()).toEqual(now);
      // Every state read in between, at each grain, was the old contribution or the new one: a
      // retraction and its replacement are visible together, and the denominators never exceed
      // the one contact. (Each grain is its own table and insert: grains may switch a moment apart.)
      expect([...seen].filter((s) => !before.includes(s) && !now.includes(s))).toEqual([]);
      expect([...before, ...now].filter((s) => !seen.has(s))).toEqual([]);
      const contacts = await query<{ transferred: number; self_service: number; n: string }>(
        store.client,
        `SELECT any(transferred) AS transferred, any(self_service) AS self_service, count() AS n FROM ${store.db}.contacts WHERE session_id = 'retract-s1'`,
      );
      expect(contacts.map((c) => [Number(c.n), Boolean(c.transferred), Boolean(c.self_service)])).toEqual([[1, true, false]]);
      expect(await query(store.client, `SELECT reason FROM ${store.db}.dead_letters`)).toEqual([]);
    } finally {
      await processor.stop();
      await store.client.close();
    }
  });
});
