/**
 * Entities whose events wait in state for the event that anchors them (a call's OFFERED, a
 * complaint's FILED). A waiting event is dead-lettered `orphan` once the horizon passes it with still
 * no anchor; an anchored entity is forgotten once the horizon passes its expiry. Both are timers in a
 * DueIndex, so a flush touches only what is due.
 */
import type { EventByTopic, Topic } from '@cs/schemas';
import type { KeyedState, StepContext } from '../engine/types.ts';
import type { DueIndex } from './due-index.ts';
import { byMark, deadLetterKept, type Waiting } from './kept.ts';
import { minBound } from './open-times.ts';

/** The part of an entity's state kept by AnchoredEntities. */
export interface Anchored<E> {
  /** Events waiting for the anchor (empty once there is one). */
  waiting: Waiting<E>[];
  /** Buckets the entity is filed under in the orphan / expiry index (null: not filed). */
  orphanTimer: number | null;
  expiryTimer: number | null;
}

const earliestWaiting = (s: Anchored<{ event_time: number }>): number | null => (s.waiting.length ? Math.min(...s.waiting.map((w) => w.event.event_time)) : null);

export class AnchoredEntities<T extends Topic, S extends Anchored<EventByTopic[T]>> {
  constructor(
    private readonly o: {
      topic: T;
      key: (id: string) => string;
      orphans: DueIndex;
      expiry: DueIndex;
      /** The detail of an orphan's dead letter. */
      orphanDetail: (id: string) => string;
      /** When an entity is forgotten; null while it has no anchor. */
      expiresAt: (s: S) => number | null;
      /** Called when an anchored entity is forgotten (its figures are final). */
      onExpired?: (ctx: StepContext, s: S) => void;
    },
  ) {}

  /**
   * Applies the horizons to one entity: waiting events before `orphanBefore` are dead-lettered
   * `orphan`; an anchored entity is forgotten once `expireBefore` passes its expiry, one without an
   * anchor once nothing waits. Writes the result; returns null when nothing is left.
   */
  private settle(ctx: StepContext, id: string, s: S, horizon: number): S | null {
    const k = this.o.key(id);
    if (s.waiting.some((w) => w.event.event_time < horizon)) {
      const orphans = s.waiting.filter((w) => w.event.event_time < horizon).sort(byMark);
      for (const w of orphans) deadLetterKept(ctx, this.o.topic, w, 'orphan', this.o.orphanDetail(id));
      s.waiting = s.waiting.filter((w) => w.event.event_time >= horizon);
      ctx.state.set(k, s);
    }
    const expires = this.o.expiresAt(s);
    if (expires === null ? !s.waiting.length : expires < horizon) {
      if (expires !== null) this.o.onExpired?.(ctx, s);
      ctx.state.delete(k);
      return null;
    }
    return s;
  }

  /**
   * The entity's state after what a closeWindows just before would have done to it (null: none), so
   * that results do not depend on flush boundaries. In onEvent ctx.horizon is stream time − lateness.
   */
  current(ctx: StepContext, id: string): S | null {
    const stored = ctx.state.get<S>(this.o.key(id));
    return stored ? this.settle(ctx, id, stored, ctx.horizon) : null;
  }

  /** Keeps an event waiting for the anchor (filed to become an orphan) and writes the entity. */
  wait(ctx: StepContext, id: string, s: S, kept: Waiting<EventByTopic[T]>): void {
    s.waiting.push(kept);
    s.orphanTimer = this.o.orphans.schedule(ctx.state, id, earliestWaiting(s)!, s.orphanTimer);
    ctx.state.set(this.o.key(id), s);
  }

  /** Hands the waiting events, earliest first (ties by event_id), to the anchor that arrived. */
  release(s: S): EventByTopic[T][] {
    const events = [...s.waiting].sort(byMark).map((w) => w.event);
    s.waiting = [];
    s.orphanTimer = null;
    return events;
  }

  /** Files an anchored entity for its expiry (the caller writes it). */
  fileExpiry(ctx: StepContext, id: string, s: S): void {
    s.expiryTimer = this.o.expiry.schedule(ctx.state, id, this.o.expiresAt(s)!, s.expiryTimer);
  }

  /** When closeWindows next has an orphan or an expiry to handle (a lower bound). */
  nextDue(state: KeyedState): number | null {
    return minBound(this.o.orphans.firstStart(state), this.o.expiry.firstStart(state));
  }

  /** Dead-letters the orphans the horizon passed, then forgets the entities it expired. */
  closeWindows(ctx: StepContext): void {
    const { key, orphans, expiry, expiresAt } = this.o;
    const load = (id: string) => ctx.state.get<S>(key(id));
    orphans.takeDue(ctx.state, ctx.horizon, load, (s) => s.orphanTimer, (id, s) => {
      s.orphanTimer = null;
      const left = this.settle(ctx, id, s, ctx.horizon);
      if (!left) return;
      const first = earliestWaiting(left);
      if (first !== null) left.orphanTimer = orphans.schedule(ctx.state, id, first, null);
      ctx.state.set(key(id), left);
    });
    expiry.takeDue(ctx.state, ctx.horizon, load, (s) => s.expiryTimer, (id, s) => {
      s.expiryTimer = null;
      const left = this.settle(ctx, id, s, ctx.horizon);
      if (!left) return;
      const expires = expiresAt(left);
      if (expires !== null) left.expiryTimer = expiry.schedule(ctx.state, id, expires, null);
      ctx.state.set(key(id), left);
    });
  }
}
