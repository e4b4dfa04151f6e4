/**
 * Load curves in local time. `diurnal(h)` is the contact arrival intensity at local hour h
 * (quiet night, a late-morning peak, an early-afternoon shoulder and the evening app peak),
 * normalised so its mean over a day is 1. `weekly(d)` is a mild weekday factor, mean 1.
 */
const BUMPS: ReadonlyArray<readonly [amplitude: number, hour: number, width: number]> = [
  [0.95, 10.5, 1.9],
  [0.7, 14.8, 1.8],
  [1.15, 20.4, 1.6],
];
const FLOOR = 0.05;

function raw(h: number): number {
  let v = FLOOR;
  for (const [a, mu, sigma] of BUMPS) {
    let d = Math.abs(h - mu);
    if (d > 12) d = 24 - d;
    v += a * Math.exp(-(d * d) / (2 * sigma * sigma));
  }
  return v;
}

const STEPS = 24 * 60;
const TABLE = new Float64Array(STEPS + 1);
{
  let sum = 0;
  for (let i = 0; i < STEPS; i++) sum += raw((i + 0.5) / 60);
  const mean = sum / STEPS;
  for (let i = 0; i <= STEPS; i++) TABLE[i] = raw((i % STEPS) / 60) / mean;
}

/** Relative arrival intensity at fractional local hour h (0–24), mean 1 over the day. */
export function diurnal(h: number): number {
  const x = h * 60;
  const i = Math.floor(x);
  const f = x - i;
  const a = TABLE[i % STEPS]!;
  const b = TABLE[(i + 1) % STEPS]!;
  return a + (b - a) * f;
}

export const DIURNAL_MAX = Math.max(...TABLE);

/** Sunday = 0. Mondays are busiest, weekends quieter. */
const WEEK_RAW = [0.86, 1.1, 1.04, 1.02, 1.0, 1.03, 0.91];
const WEEK_MEAN = WEEK_RAW.reduce((s, v) => s + v, 0) / 7;
export const WEEKLY = WEEK_RAW.map((v) => v / WEEK_MEAN);
export const WEEKLY_MAX = Math.max(...WEEKLY);

export function weekly(weekday: number): number {
  return WEEKLY[weekday]!;
}
