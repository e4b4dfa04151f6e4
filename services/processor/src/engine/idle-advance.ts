/**
 * Where an idle flush towards `target` advances stream time: at most `stepMs` past the logic's next
 * due window (`nextDue`, a lower bound of the horizon at which it has work; null: nothing due), so
 * stretches where nothing is due are skipped. Advancing a restored or caught-up day to the wall clock
 * in one flush would close every window of the day at once, holding all their rows and state changes
 * in one step (the heap's peak at seed scale); in steps, the close is a run of flushes of bounded size.
 */
export function idleAdvanceTo(streamTime: number | null, target: number, nextDue: number | null, allowedLatenessMs: number, stepMs: number): number {
  if (streamTime === null || target <= streamTime || nextDue === null) return target;
  return Math.min(target, Math.max(streamTime, nextDue + allowedLatenessMs) + stepMs);
}

const MIN_STEP_MS = 60_000;
const MAX_STEP_MS = 400 * 86_400_000;

/**
 * The step of a close in steps, fitted to the work the last idle flush did: halved when it changed
 * more than `keyBudget` state keys, doubled when it changed under a quarter of them. A small day
 * closes in a few long steps, a seed-scale day in many short ones, each about the budget (more
 * where a doubled step runs into denser traffic).
 */
export class IdleStep {
  private ms: number;

  constructor(
    initialMs: number,
    private readonly keyBudget: number,
  ) {
    this.ms = initialMs;
  }

  get stepMs(): number {
    return this.ms;
  }

  /** After an idle flush that changed `keys` state keys. */
  observe(keys: number): void {
    if (keys > this.keyBudget) this.ms = Math.max(MIN_STEP_MS, this.ms / 2);
    else if (keys < this.keyBudget / 4) this.ms = Math.min(MAX_STEP_MS, this.ms * 2);
  }
}
