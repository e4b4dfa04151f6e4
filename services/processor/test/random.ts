/** Seeded randomness for the logic tests: a PRNG, arrival shuffles within the lateness, random batches. */

/** mulberry32: a small seeded PRNG with values in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Arrival order by event_time + U[0, maxDelay): nothing arrives later than the lateness allows. One draw per event, in order. */
export function shuffleWithinLateness<E extends { event_time: number }>(events: E[], maxDelay: number, rand: () => number): E[] {
  return events
    .map((e) => ({ e, k: e.event_time + rand() * maxDelay }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.e);
}

/** The events cut, in order, into batches of 1 to `maxSize` events (one draw per batch). */
export function randomBatches<E>(events: E[], rand: () => number, maxSize: number): E[][] {
  const out: E[][] = [];
  for (let i = 0; i < events.length; ) {
    const size = 1 + Math.floor(rand() * maxSize);
    out.push(events.slice(i, i + size));
    i += size;
  }
  return out;
}
