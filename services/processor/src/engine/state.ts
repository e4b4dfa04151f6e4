import type { KeyedState } from './types.ts';

export interface StateDelta {
  set: Record<string, unknown>;
  del: string[];
}

/** In-memory keyed state that records which keys a flush changed, for the write-ahead log. */
export class TrackedState implements KeyedState {
  private readonly values = new Map<string, unknown>();
  private readonly dirty = new Set<string>();

  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }

  set(key: string, value: unknown): void {
    this.values.set(key, value);
    this.dirty.add(key);
  }

  delete(key: string): void {
    if (this.values.delete(key)) this.dirty.add(key);
  }

  *entries(prefix: string): IterableIterator<[string, unknown]> {
    for (const entry of this.values) if (entry[0].startsWith(prefix)) yield entry;
  }

  get size(): number {
    return this.values.size;
  }

  /** The changes since the last call, as written to the log. Values are copied by JSON. */
  takeDelta(): StateDelta {
    const delta: StateDelta = { set: {}, del: [] };
    for (const key of this.dirty) {
      if (this.values.has(key)) delta.set[key] = this.values.get(key);
      else delta.del.push(key);
    }
    this.dirty.clear();
    return delta;
  }

  /** Forgets pending changes' tracking (used after restoring). */
  clearDirty(): void {
    this.dirty.clear();
  }

  apply(delta: StateDelta): void {
    for (const [key, value] of Object.entries(delta.set)) this.values.set(key, value);
    for (const key of delta.del) this.values.delete(key);
  }

  /** All entries, in chunks of `size`, for a snapshot. */
  *chunks(size: number): IterableIterator<Record<string, unknown>> {
    let chunk: Record<string, unknown> = {};
    let n = 0;
    for (const [key, value] of this.values) {
      chunk[key] = value;
      if (++n === size) {
        yield chunk;
        chunk = {};
        n = 0;
      }
    }
    if (n > 0 || this.values.size === 0) yield chunk;
  }
}
