/**
 * Complaints (SPEC §3, §6): numerators of complaints_per_10k and upheld_complaints_per_10k. Their
 * denominators (contacts started) come from the sessions logic and are not emitted here.
 *
 *   FILED   complaints_per_10k +1 at the FILED's event_time and (business_unit, product, channel);
 *           upheld_complaints_per_10k +0 there too, so its row exists
 *   UPHELD  upheld_complaints_per_10k +1 at the FILED's time and dims, once per complaint: any
 *           further UPHELD is dropped as `duplicate`
 *   REJECTED no metric; a complaint is rejected once (a further REJECTED is a `duplicate`)
 *
 * The FILED that counts is the first in event time (ties: smaller event_id). Any other FILED of the
 * complaint is dead-lettered `invalid`: at once when it comes after the counted one; when it
 * precedes it, the one counted so far is dead-lettered (rebuilt from state) and the metrics move
 * to the new FILED, so shuffled arrival gives the same figures and the same dead letters. The ids
 * of those FILEDs are kept, so that a redelivery of one is a `duplicate`, not a second dead letter.
 *
 * UPHELD / REJECTED without a FILED wait in state (with their offset); when the horizon passes one
 * with still no FILED it is dead-lettered `orphan`. A FILED arriving while they wait takes them in.
 *
 * A complaint is kept 400 days after its FILED (an UPHELD can come weeks later), then forgotten
 * once the horizon (stream time − lateness) passes that; an UPHELD after that waits and becomes an
 * `orphan`. So upheld figures are final only where no complaint without an UPHELD is kept
 * (complaint-open); complaints_per_10k moves only with a FILED, which cannot be older than the horizon.
 *
 * State (JSON):
 *   complaint:<complaint_id>   ComplaintState
 *   complaint-orphans          sorted minute numbers holding orphan timers; complaint-orphans:<minute> → ids
 *   complaint-expiry           sorted day numbers holding expiry timers;    complaint-expiry:<day> → ids
 *   complaint-open             FILED days of the complaints kept without an UPHELD (OpenTimes)
 */
import type { ConsumedMessage } from '@cs/kafka';
import type { ComplaintEvent } from '@cs/schemas';
import type { Settled, StepContext, StepResult, TopicLogic } from '../engine/types.ts';
import { AnchoredEntities, type Anchored } from './anchored.ts';
import { DueIndex } from './due-index.ts';
import { deadLetterKept, emitChange, markOf, precedes, type Contribution, type Waiting } from './kept.ts';
import { OpenTimes } from './open-times.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** How long a complaint is kept after its FILED. */
export const COMPLAINT_EXPIRY_MS = 400 * DAY;

const OK: StepResult = { kind: 'ok' };
const DUPLICATE: StepResult = { kind: 'drop', why: 'duplicate' };

/** Anchored: the UPHELD / REJECTED waiting for a FILED, and the complaint's timers in complaint-orphans / complaint-expiry. */
export interface ComplaintState extends Anchored<ComplaintEvent> {
  /** The counted FILED, whole (its dims and time; rebuilt into a dead letter if an earlier FILED replaces it). */
  filed: Waiting<ComplaintEvent> | null;
  /** event_id of the counted UPHELD / REJECTED (null: none yet). */
  upheld: string | null;
  rejected: string | null;
  /** event_ids of the other FILEDs, dead-lettered `invalid` (a redelivery of one is a duplicate). */
  invalidFiled: string[];
}

export const COMPLAINT_PREFIX = 'complaint:';
export const complaintKey = (complaintId: string) => `${COMPLAINT_PREFIX}${complaintId}`;
/** FILED times of the complaints kept without an UPHELD: their upheld figure can still change. */
const OPEN = new OpenTimes('complaint-open', DAY);
/** The FILED time a complaint is counted under in OPEN (null: not counted there). */
const openTime = (s: ComplaintState): number | null => (s.filed && !s.upheld ? s.filed.event.event_time : null);
function trackOpen(ctx: StepContext, before: number | null, after: number | null): void {
  if (before === after) return;
  if (before !== null) OPEN.remove(ctx.state, before);
  if (after !== null) OPEN.add(ctx.state, after);
}

const COMPLAINTS = new AnchoredEntities({
  topic: 'cs.complaints',
  key: complaintKey,
  orphans: new DueIndex('complaint-orphans', MINUTE),
  expiry: new DueIndex('complaint-expiry', DAY),
  orphanDetail: (id) => `complaint ${id} has no FILED`,
  expiresAt: (s: ComplaintState) => (s.filed ? s.filed.event.event_time + COMPLAINT_EXPIRY_MS : null),
  onExpired: (ctx, s: ComplaintState) => trackOpen(ctx, openTime(s), null),
});

const newComplaint = (): ComplaintState => ({ filed: null, upheld: null, rejected: null, invalidFiled: [], waiting: [], orphanTimer: null, expiryTimer: null });

/** What a complaint adds to the numerators (nothing without a FILED). */
export function complaintContribution(s: ComplaintState): Contribution | null {
  const f = s.filed?.event;
  if (!f) return null;
  return {
    time: f.event_time,
    dims: { business_unit: f.business_unit, product: f.product, channel: f.channel },
    values: { complaints_per_10k: [1, 0], upheld_complaints_per_10k: [s.upheld ? 1 : 0, 0] },
  };
}

/** Counts an UPHELD / REJECTED of a filed complaint; false when the complaint already has one. */
function countOutcome(s: ComplaintState, e: ComplaintEvent): boolean {
  if (e.type === 'UPHELD') {
    if (s.upheld) return false;
    s.upheld = e.event_id;
    return true;
  }
  if (e.type === 'REJECTED') {
    if (s.rejected) return false;
    s.rejected = e.event_id;
    return true;
  }
  return false;
}

export const complaintsLogic: TopicLogic<ComplaintEvent> = {
  topic: 'cs.complaints',
  rawTable: 'raw_complaints',
  metrics: ['complaints_per_10k', 'upheld_complaints_per_10k'],

  onEvent(ctx: StepContext, event: ComplaintEvent, msg: ConsumedMessage): StepResult {
    const id = event.complaint_id;
    const k = complaintKey(id);
    let s = COMPLAINTS.current(ctx, id);
    if (s?.waiting.some((w) => w.event.event_id === event.event_id)) return DUPLICATE;
    s ??= newComplaint();
    const kept: Waiting<ComplaintEvent> = { event, offset: Number(msg.offset) };

    if (event.type !== 'FILED') {
      if (!s.filed) {
        COMPLAINTS.wait(ctx, id, s, kept);
        return OK;
      }
      const before = complaintContribution(s);
      const openBefore = openTime(s);
      if (!countOutcome(s, event)) return DUPLICATE;
      trackOpen(ctx, openBefore, openTime(s));
      emitChange(ctx, before, complaintContribution(s));
      ctx.state.set(k, s);
      return OK;
    }

    const before = complaintContribution(s);
    const openBefore = openTime(s);
    if (s.filed) {
      const counted = s.filed;
      if (counted.event.event_id === event.event_id || s.invalidFiled.includes(event.event_id)) return DUPLICATE;
      if (!precedes(markOf(event), markOf(counted.event))) {
        s.invalidFiled.push(event.event_id);
        ctx.state.set(k, s);
        return { kind: 'dead_letter', reason: 'invalid', detail: `complaint ${id} was already FILED (event ${counted.event.event_id})` };
      }
      deadLetterKept(ctx, 'cs.complaints', counted, 'invalid', `complaint ${id} was already FILED (event ${event.event_id})`);
      s.invalidFiled.push(counted.event.event_id);
      s.filed = kept;
    } else {
      s.filed = kept;
      // The outcomes that waited for this FILED: the first of each type counts.
      for (const e of COMPLAINTS.release(s)) countOutcome(s, e);
    }
    trackOpen(ctx, openBefore, openTime(s));
    emitChange(ctx, before, complaintContribution(s));
    COMPLAINTS.fileExpiry(ctx, id, s);
    ctx.state.set(k, s);
    return OK;
  },

  closeWindows(ctx: StepContext): void {
    COMPLAINTS.closeWindows(ctx);
  },

  nextDue: (state) => COMPLAINTS.nextDue(state),

  settled(ctx: StepContext): Settled {
    return { upheld_complaints_per_10k: OPEN.earliest(ctx.state) ?? ctx.horizon };
  },
};
