/**
 * Bucket starts (minute, hour, day) in an IANA time zone, as epoch ms. Days follow the zone's
 * calendar, so a DST day is 23 or 25 hours long; hours follow local wall-clock hours.
 */
import type { Grain } from '@cs/catalog';
import { ZoneOffsets } from '@cs/runtime';

const MINUTE = 60_000;
const HOUR = 3_600_000;

export class Buckets {
  private readonly offsets: ZoneOffsets;

  constructor(readonly timeZone: string) {
    this.offsets = new ZoneOffsets(timeZone);
  }

  /** The zone's UTC offset (ms) at instant `ms`, cached per quarter hour (offsets change on quarter hours). */
  offsetAt(ms: number): number {
    return this.offsets.offsetAt(ms);
  }

  start(ms: number, grain: Grain): number {
    if (grain === 'minute') return Math.floor(ms / MINUTE) * MINUTE;
    const local = ms + this.offsetAt(ms);
    if (grain === 'hour') return Math.floor(local / HOUR) * HOUR - this.offsetAt(ms);
    const day = new Date(local);
    const midnightLocal = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate());
    // The offset at midnight may differ from the offset now (DST change during the day).
    let guess = midnightLocal - this.offsetAt(ms);
    guess = midnightLocal - this.offsetAt(guess);
    return guess > ms ? midnightLocal - this.offsetAt(ms) : guess;
  }
}
