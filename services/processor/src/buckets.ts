/**
 * Bucket starts (minute, hour, day) in an IANA time zone, as epoch ms. Days follow the zone's
 * calendar, so a DST day is 23 or 25 hours long; hours follow local wall-clock hours.
 */
import type { Grain } from '@cs/catalog';

const MINUTE = 60_000;
const HOUR = 3_600_000;

export class Buckets {
  private readonly format: Intl.DateTimeFormat;
  private readonly offsetCache = new Map<number, number>();

  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** The zone's UTC offset (ms) at instant `ms`, cached per quarter hour (offsets change on quarter hours). */
  offsetAt(ms: number): number {
    const key = Math.floor(ms / (15 * MINUTE));
    let offset = this.offsetCache.get(key);
    if (offset === undefined) {
      const probe = key * 15 * MINUTE;
      const p = Object.fromEntries(this.format.formatToParts(new Date(probe)).map((x) => [x.type, x.value]));
      const local = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
      offset = local - probe;
      if (this.offsetCache.size > 100_000) this.offsetCache.clear();
      this.offsetCache.set(key, offset);
    }
    return offset;
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
