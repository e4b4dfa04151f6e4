// Inserts submitted together become one insert per table (and column list).
//
// Why: an insert costs the embedded engine ~4 ms of CPU whatever its size, and it runs them one at a
// time (~280 small inserts/s here). A live pipeline flushing each of its ~28 partitions every second,
// with ~10 writes per flush, spends that whole budget on fixed costs. Writes submitted in the same
// turn of the event loop (flushes stepped together) share one insert instead.
import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { counter } from '@cs/runtime';
import { encodeRows, insertTsv, type InsertOptions } from './insert.ts';
import { TsvBuffer } from './tsv.ts';

const merged = counter('cs_clickhouse_coalesced_writes_total', 'Writes submitted to the insert coalescer, by table and whether they shared an insert with others', ['table', 'shared']);

export interface WriteOptions {
  dedupToken?: string;
  /**
   * An insert of its own, with its own token, so that the same write repeated alone is dropped as a
   * duplicate (within the table's deduplication window): for writes that are not idempotent.
   */
  alone?: boolean;
  /** Sent before the writes of its turn that are neither this nor `alone` (what makes figures visible). */
  first?: boolean;
}

interface Pending {
  alone: boolean;
  first: boolean;
  table: string;
  columns: readonly string[];
  body: TsvBuffer;
  token: string | undefined;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * The token of an insert carrying several writes. A retry of that insert repeats it (so it is
 * dropped as a duplicate); a write later repeated alone has its own token and is not: a write that
 * shares inserts must be idempotent by content (ReplacingMergeTree keys), others go `alone`.
 */
export function mergedToken(tokens: readonly (string | undefined)[]): string | undefined {
  if (tokens.length === 1) return tokens[0];
  if (tokens.some((t) => t === undefined)) return undefined;
  return `merged/${createHash('sha256').update(tokens.join('\n')).digest('hex')}`;
}

export class InsertCoalescer {
  #pending: Pending[] = [];
  #scheduled = false;

  constructor(
    readonly client: ClickHouseClient,
    readonly opts: Omit<InsertOptions, 'dedupToken' | 'signal'> = {},
  ) {}

  /** Like insertRows: resolves once ClickHouse has committed the insert that carried these rows. */
  rows(table: string, rows: readonly object[], opts: WriteOptions = {}): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    const { columns, body } = encodeRows(rows);
    return this.tsv(table, columns, body, opts);
  }

  /** Like insertTsv. */
  tsv(table: string, columns: readonly string[], body: TsvBuffer, opts: WriteOptions = {}): Promise<void> {
    if (body.rows === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ table, columns, body, token: opts.dedupToken, alone: opts.alone ?? false, first: opts.first ?? false, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    const pending = this.#pending;
    this.#pending = [];
    this.#scheduled = false;
    const groups = new Map<string, Pending[]>();
    for (const [i, p] of pending.entries()) {
      const key = p.alone ? `alone ${i}` : `${p.table}\n${p.columns.join(',')}`;
      const group = groups.get(key);
      if (group) group.push(p);
      else groups.set(key, [p]);
    }
    // Alone and `first` writes (the metric sums, the claims) first: they are small, and what makes a
    // flush's figures visible, so they should not wait behind the shared raw and contact inserts.
    const early = (group: Pending[]) => Number(group.some((p) => p.alone || p.first));
    const ordered = [...groups.values()].sort((a, b) => early(b) - early(a));
    for (const group of ordered) void this.#write(group);
  }

  async #write(group: Pending[]): Promise<void> {
    const { table, columns } = group[0]!;
    let body = group[0]!.body;
    if (group.length > 1) {
      body = new TsvBuffer(group.reduce((n, p) => n + p.body.bytes.length, 0) + 1);
      for (const p of group) body.append(p.body);
    }
    merged.inc({ table, shared: String(group.length > 1) }, group.length);
    try {
      await insertTsv(this.client, table, columns, body, { ...this.opts, dedupToken: mergedToken(group.map((p) => p.token)) });
      for (const p of group) p.resolve();
    } catch (err) {
      for (const p of group) p.reject(err);
    }
  }
}
