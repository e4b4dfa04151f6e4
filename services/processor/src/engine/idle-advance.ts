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
