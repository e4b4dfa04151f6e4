/**
 * A binary min-heap ordered by (t, seq): time first, then insertion order, so items with
 * equal times come out in the order they were pushed. That makes the simulation fully
 * deterministic and keeps the steps of one session in their intended order.
 */
export class TimeHeap<V> {
  private ts: number[] = [];
  private seqs: number[] = [];
  private vals: V[] = [];
  private seq = 0;
  maxSize = 0;

  get size(): number {
    return this.ts.length;
  }

  /** Time of the earliest item, or Infinity when empty. */
  peekTime(): number {
    return this.ts.length ? this.ts[0]! : Infinity;
  }

  push(t: number, v: V): void {
    const ts = this.ts;
    const seqs = this.seqs;
    const vals = this.vals;
    const s = this.seq++;
    let i = ts.length;
    ts.push(t);
    seqs.push(s);
    vals.push(v);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = ts[p]!;
      if (pt < t || (pt === t && seqs[p]! < s)) break;
      ts[i] = pt;
      seqs[i] = seqs[p]!;
      vals[i] = vals[p]!;
      i = p;
    }
    ts[i] = t;
    seqs[i] = s;
    vals[i] = v;
    if (ts.length > this.maxSize) this.maxSize = ts.length;
  }

  /** Removes and returns the earliest item's value; call only when size > 0. */
  pop(): V {
    const ts = this.ts;
    const seqs = this.seqs;
    const vals = this.vals;
    const top = vals[0]!;
    const lastT = ts.pop()!;
    const lastS = seqs.pop()!;
    const lastV = vals.pop()!;
    const n = ts.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n) {
          const lt = ts[l]!;
          const rt = ts[r]!;
          if (rt < lt || (rt === lt && seqs[r]! < seqs[l]!)) c = r;
        }
        const ct = ts[c]!;
        if (ct > lastT || (ct === lastT && seqs[c]! > lastS)) break;
        ts[i] = ct;
        seqs[i] = seqs[c]!;
        vals[i] = vals[c]!;
        i = c;
      }
      ts[i] = lastT;
      seqs[i] = lastS;
      vals[i] = lastV;
    }
    return top;
  }
}
