import type { KeyedState } from '../engine/types.ts';

/**
 * Timers kept in keyed state, so that closing windows costs what is due rather than a scan of every
 * key. An entity id is filed under the bucket (`widthMs` wide) of its due instant; the bucket
 * numbers in use are one sorted list under `name`, the ids of bucket b under `name:b`.
 *
 * Filing is lazy: the entity keeps the bucket it is filed under (its timer field) and is re-filed
 * only when its due instant moves to an earlier bucket. When a bucket is taken (`takeDue`) an entry
 * whose entity names another bucket is stale and skipped; an entity not due yet is filed again by
 * the caller. Invariant: an entity's due instant is never before the start of its bucket.
 */
export class DueIndex {
  constructor(
    readonly name: string,
    readonly widthMs: number,
  ) {}

  private bucketKey(bucket: number): string {
    return `${this.name}:${bucket}`;
  }

  /** Files `id` for `due` unless already filed (`current`) no later; returns the bucket it is filed under. */
  schedule(state: KeyedState, id: string, due: number, current: number | null): number {
    const bucket = Math.floor(due / this.widthMs);
    if (current !== null && current <= bucket) return current;
    const k = this.bucketKey(bucket);
    const ids = state.get<string[]>(k);
    if (ids) {
      ids.push(id);
      state.set(k, ids);
    } else {
      state.set(k, [id]);
      const list = state.get<number[]>(this.name) ?? [];
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid]! < bucket) lo = mid + 1;
        else hi = mid;
      }
      list.splice(lo, 0, bucket);
      state.set(this.name, list);
    }
    return bucket;
  }

  /** Removes and returns, earliest first, the buckets that start before `horizon`. */
  take(state: KeyedState, horizon: number): { bucket: number; ids: string[] }[] {
    const list = state.get<number[]>(this.name);
    if (!list) return [];
    let n = 0;
    while (n < list.length && list[n]! * this.widthMs < horizon) n++;
    if (n === 0) return [];
    // An id can be listed twice in a bucket (filed again after its entity was forgotten): once is enough.
    const taken = list.slice(0, n).map((bucket) => ({ bucket, ids: [...new Set(state.get<string[]>(this.bucketKey(bucket)) ?? [])] }));
    for (const { bucket } of taken) state.delete(this.bucketKey(bucket));
    if (n === list.length) state.delete(this.name);
    else state.set(this.name, list.slice(n));
    return taken;
  }

  /**
   * Takes the buckets that start before `horizon` and calls `due`, earliest bucket first, for each id
   * whose entity (`load`) is still filed under that bucket (`filedUnder`); stale entries are skipped.
   */
  takeDue<S>(state: KeyedState, horizon: number, load: (id: string) => S | undefined, filedUnder: (s: S) => number | null, due: (id: string, s: S) => void): void {
    for (const { bucket, ids } of this.take(state, horizon)) {
      for (const id of ids) {
        const s = load(id);
        if (s && filedUnder(s) === bucket) due(id, s);
      }
    }
  }

  /** The start of the earliest bucket holding an entry (null: none); entries are filed lazily, so this is a lower bound. */
  firstStart(state: KeyedState): number | null {
    const first = state.get<number[]>(this.name)?.[0];
    return first === undefined ? null : first * this.widthMs;
  }

  /** The earliest due instant of a validly filed entity; `dueOf` returns null for a stale entry. */
  earliest(state: KeyedState, dueOf: (id: string, bucket: number) => number | null): number | null {
    let best: number | null = null;
    for (const bucket of state.get<number[]>(this.name) ?? []) {
      if (best !== null && bucket * this.widthMs >= best) break;
      for (const id of state.get<string[]>(this.bucketKey(bucket)) ?? []) {
        const due = dueOf(id, bucket);
        if (due !== null && (best === null || due < best)) best = due;
      }
    }
    return best;
  }
}
