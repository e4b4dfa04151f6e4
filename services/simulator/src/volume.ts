/**
 * How much busier than usual each (business unit, channel) is at an instant: the calendar's day
 * factors, unannounced surges and a compounding trend. The generator scales its arrival rate by
 * `at(t).total` and draws the business unit and channel of a fresh contact from `at(t)`'s tables,
 * so an event that lifts only payments lifts only payments.
 */
import { addDays } from '@cs/runtime';
import type { Surge, VolumeEvent } from './calendar.ts';
import { cumulative } from './rng.ts';
import type { World } from './world.ts';
import { DAY, type ZoneClock } from './zone.ts';

const WEEK = 7 * DAY;

export interface VolumeMix {
  /** Volume relative to a usual instant, averaged over business units and channels by their shares. */
  total: number;
  /** Cumulative business-unit weights under this mix; null = the usual shares. */
  buCumulative: Float64Array | null;
  /** Per business unit, cumulative channel weights under this mix; null = the usual channel mix. */
  channelCumulative: Float64Array[] | null;
}

const USUAL: VolumeMix = { total: 1, buCumulative: null, channelCumulative: null };

export interface VolumeOptions {
  world: World;
  /** Channel names and their (normalised) shares, in the generator's channel order. */
  channels: readonly string[];
  channelShares: readonly number[];
  zone: ZoneClock;
  calendar: readonly VolumeEvent[];
  surges: readonly Surge[];
  /** Compounding growth per week (0.005 = +0.5 %/week), from `anchor`. */
  trendPerWeek: number;
  anchor: number;
}

export class VolumeModel {
  private readonly o: VolumeOptions;
  private readonly eventsByDate = new Map<string, VolumeEvent[]>();
  /** The mix of the current local day (calendar only), with its [from, to) range. */
  private day = { from: 0, to: -1, factors: null as number[][] | null };
  private readonly mixCache = new Map<string, VolumeMix>();

  constructor(o: VolumeOptions) {
    this.o = o;
    for (const e of o.calendar) {
      if (!(e.uplift > 0)) throw new RangeError(`calendar event "${e.name}": uplift must be > 0`);
      for (let d = e.start; d <= e.end; d = addDays(d, 1)) {
        const list = this.eventsByDate.get(d) ?? [];
        list.push(e);
        this.eventsByDate.set(d, list);
      }
    }
  }

  /** Compounding trend factor at t (1 at the anchor). */
  growth(t: number): number {
    return this.o.trendPerWeek === 0 ? 1 : Math.pow(1 + this.o.trendPerWeek, (t - this.o.anchor) / WEEK);
  }

  /** The calendar's factor per (business unit, channel) on the local day of t; null on a usual day. */
  dayFactors(t: number): number[][] | null {
    if (t < this.day.from || t >= this.day.to) {
      const from = this.o.zone.startOfDay(t);
      this.day = { from, to: this.o.zone.nextDay(from), factors: this.factorsOn(this.o.zone.dateString(t)) };
    }
    return this.day.factors;
  }

  /** Start of the next local day after t (where the calendar factors may change). */
  dayEnd(t: number): number {
    this.dayFactors(t);
    return this.day.to;
  }

  /** Calendar and surges at instant t (the trend is separate: `growth`). */
  at(t: number): VolumeMix {
    const base = this.dayFactors(t);
    const active = this.o.surges.filter((s) => s.from <= t && t < s.to);
    if (base === null && active.length === 0) return USUAL;
    const key = `${this.day.from}|${active.map((s) => this.o.surges.indexOf(s)).join(',')}`;
    let mix = this.mixCache.get(key);
    if (!mix) {
      const factors = (base ?? this.usualFactors()).map((row) => [...row]);
      for (const s of active) this.apply(factors, s.factor, s.businessUnits, s.channels);
      mix = this.mixOf(factors);
      if (this.mixCache.size > 64) this.mixCache.clear();
      this.mixCache.set(key, mix);
    }
    return mix;
  }

  /**
   * An upper bound of `at(u).total × growth(u)` for u in [t, dayEnd(t)): the day's calendar mix times
   * every surge overlapping the day.
   */
  boundOnDay(t: number): number {
    const end = this.dayEnd(t);
    const factors = (this.dayFactors(t) ?? this.usualFactors()).map((row) => [...row]);
    for (const s of this.o.surges) if (s.from < end && s.to > this.day.from) this.apply(factors, Math.max(1, s.factor), s.businessUnits, s.channels);
    return this.mixOf(factors).total * Math.max(this.growth(this.day.from), this.growth(end));
  }

  /** Planned (calendar, announced) volume factor of each business unit on the local day of t; surges are not planned for. */
  plannedBusinessUnitFactors(t: number): number[] {
    const factors = this.dayFactors(t);
    const shares = this.o.channelShares;
    return this.o.world.businessUnits.map((_, b) => (factors ? factors[b]!.reduce((s, f, c) => s + f * shares[c]!, 0) : 1) * this.growth(t));
  }

  /** The largest planned factor of each business unit over [from, to] (to size agent pools). */
  maxPlannedFactors(from: number, to: number): number[] {
    const max = this.o.world.businessUnits.map(() => 1);
    const last = Number.isFinite(to) ? to : from + 400 * DAY;
    for (let t = this.o.zone.startOfDay(from); t <= last; t = this.o.zone.nextDay(t)) {
      this.plannedBusinessUnitFactors(t).forEach((f, b) => (max[b] = Math.max(max[b]!, f)));
    }
    return max;
  }

  private usualFactors(): number[][] {
    return this.o.world.businessUnits.map(() => this.o.channels.map(() => 1));
  }

  private factorsOn(date: string): number[][] | null {
    const events = this.eventsByDate.get(date);
    if (!events) return null;
    const factors = this.usualFactors();
    for (const e of events) this.apply(factors, e.uplift, e.businessUnits, e.channels);
    return factors;
  }

  private apply(factors: number[][], factor: number, businessUnits: readonly string[] | undefined, channels: readonly string[] | undefined): void {
    const { world, channels: names } = this.o;
    world.businessUnits.forEach((bu, b) => {
      if (businessUnits && !businessUnits.includes(bu)) return;
      names.forEach((ch, c) => {
        if (channels && !channels.includes(ch)) return;
        factors[b]![c]! *= factor;
      });
    });
  }

  private mixOf(factors: number[][]): VolumeMix {
    const { world, channelShares } = this.o;
    const buWeights = factors.map((row, b) => world.buShare[b]! * row.reduce((s, f, c) => s + f * channelShares[c]!, 0));
    return {
      total: buWeights.reduce((s, w) => s + w, 0),
      buCumulative: cumulative(buWeights),
      channelCumulative: factors.map((row) => cumulative(row.map((f, c) => f * channelShares[c]!))),
    };
  }
}
