import type { PartitionLag } from './types.ts';

/**
 * Lag of one partition. `committed` is the group's committed offset (next to read; negative or
 * empty = none). Without a committed offset the group would start at the log start (our
 * consumers default to earliest), so lag = high − low.
 */
export function computeLag(topic: string, partition: number, committed: string | number, low: string | number, high: string | number): PartitionLag {
  const hi = BigInt(high);
  const lo = BigInt(low);
  const c = committed === '' ? -1n : BigInt(committed);
  const has = c >= 0n;
  const from = has ? (c < lo ? lo : c) : lo;
  const lag = hi > from ? Number(hi - from) : 0;
  return { topic, partition, committed: has ? c.toString() : null, high: hi.toString(), lag };
}
