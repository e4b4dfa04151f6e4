import type { KeyedState } from '../src/engine/types.ts';

export interface StateDelta {
  set: Record<string, unknown>;
  del: string[];
}

/** The namespace of a key: its text up to and including the first ':' ('' when none). */
const namespaceOf = (key: string) => key.slice(0, key.indexOf(':') + 1);

/**
 * In-memory keyed state for the logic tests (the engine keeps state in lmdb: state-store.ts). Keys
 * are grouped by namespace (`s:`, `f:`, `d:` …) so a scan of one namespace does not walk the others.
 */
export class TrackedState implements KeyedState {
  private readonly spaces = new Map<string, Map<string, unknown>>();
  private readonly dirty = new Set<string>();
  private count = 0;

  private space(key: string, create: boolean): Map<string, unknown> | undefined {
    const ns = namespaceOf(key);
    let space = this.spaces.get(ns);
    if (!space && create) this.spaces.set(ns, (space = new Map()));
    return space;
  }

  get<T>(key: string): T | undefined {
    return this.space(key, false)?.get(key) as T | undefined;
  }

  private has(key: string): boolean {
    return this.space(key, false)?.has(key) ?? false;
  }

  set(key: string, value: unknown): void {
    const space = this.space(key, true)!;
    if (!space.has(key)) this.count++;
    space.set(key, value);
    this.dirty.add(key);
  }

  delete(key: string): void {
    if (this.space(key, false)?.delete(key)) {
      this.count--;
      this.dirty.add(key);
    }
  }

  *entries(prefix: string): IterableIterator<[string, unknown]> {
    const ns = namespaceOf(prefix);
    if (ns === prefix && ns !== '') {
      const space = this.spaces.get(ns);
      if (space) yield* space;
      return;
    }
    for (const space of this.spaces.values()) for (const entry of space) if (entry[0].startsWith(prefix)) yield entry;
  }

  get size(): number {
    return this.count;
  }

  /** The changes since the last call, as written to the log. Values are copied by JSON. */
  takeDelta(): StateDelta {
    const delta: StateDelta = { set: {}, del: [] };
    for (const key of this.dirty) {
      if (this.has(key)) delta.set[key] = this.get(key);
      else delta.del.push(key);
    }
    this.dirty.clear();
    return delta;
  }

  /** Forgets pending changes' tracking (used after restoring). */
  clearDirty(): void {
    this.dirty.clear();
  }

  /** Applies a logged delta (not tracked as a change). */
  apply(delta: StateDelta): void {
    for (const [key, value] of Object.entries(delta.set)) this.set(key, value);
    for (const key of delta.del) this.delete(key);
    this.dirty.clear();
  }

  /** All entries, in chunks of `size`, for a snapshot. */
  *chunks(size: number): IterableIterator<Record<string, unknown>> {
    let chunk: Record<string, unknown> = {};
    let n = 0;
    for (const [key, value] of this.entries('')) {
      chunk[key] = value;
      if (++n === size) {
        yield chunk;
        chunk = {};
        n = 0;
      }
    }
    if (n > 0 || this.count === 0) yield chunk;
  }
}
