/**
 * Bucket starts (minute, hour, day) in an IANA time zone, as epoch ms. Days follow the zone's
 * calendar, so a DST day is 23 or 25 hours long; hours follow local wall-clock hours.
 */
import type { Grain } from '@cs/catalog';
import { ZoneOffsets } from '@cs/runtime';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const QUARTER = 15 * MINUTE;

export class Buckets {
  private readonly offsets: ZoneOffsets;

  constructor(readonly timeZone: string) {
    this.offsets = new ZoneOffsets(timeZone);
  }

  start(ms: number, grain: Grain): number {
    if (grain === 'minute') return Math.floor(ms / MINUTE) * MINUTE;
    const offset = this.offsets.offsetAt(ms);
    const local = ms + offset;
    if (grain === 'hour') return Math.floor(local / HOUR) * HOUR - offset;
    const day = new Date(local);
    const midnightLocal = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate());
    // The offset at midnight may differ from the offset now (DST change during the day).
    const guess = midnightLocal - this.offsets.offsetAt(midnightLocal - offset);
    return guess > ms ? midnightLocal - offset : guess;
  }

  /**
   * The end of the bucket holding `ms`: the next bucket's start. Bucket boundaries fall on quarter
   * hours (UTC offsets are multiples of 15 min), so stepping by 15 min finds the very next one, also
   * on 23- and 25-hour DST days.
   */
  end(ms: number, grain: Grain): number {
    const start = this.start(ms, grain);
    if (grain === 'minute') return start + MINUTE;
    let t = start + (grain === 'hour' ? QUARTER : 20 * HOUR);
    while (this.start(t, grain) <= start) t += QUARTER;
    return this.start(t, grain);
  }
}
