/**
 * The UTC offset of an IANA time zone at any instant, fast enough to be asked per event: offsets
 * are cached per 15-minute slot (every real-world offset transition falls on one), and UTC needs
 * no lookup at all.
 */
const SLOT = 900_000;
const MAX_CACHED_SLOTS = 100_000;

export class ZoneOffsets {
  /** Null for UTC, whose offset is always 0. */
  private readonly format: Intl.DateTimeFormat | null;
  private readonly cache = new Map<number, number>();

  constructor(readonly timeZone: string) {
    // Throws RangeError for an unknown zone, which is what callers want.
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    this.format = timeZone === 'UTC' || timeZone === 'Etc/UTC' ? null : format;
  }

  /** Local time minus UTC, in ms, at instant `ms`. */
  offsetAt(ms: number): number {
    if (this.format === null) return 0;
    const slot = Math.floor(ms / SLOT);
    let offset = this.cache.get(slot);
    if (offset === undefined) {
      const probe = slot * SLOT;
      const p: Record<string, number> = {};
      for (const part of this.format.formatToParts(probe)) if (part.type !== 'literal') p[part.type] = Number(part.value);
      offset = Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']!, p['minute']!, p['second']!) - probe;
      if (this.cache.size > MAX_CACHED_SLOTS) this.cache.clear();
      this.cache.set(slot, offset);
    }
    return offset;
  }
}
