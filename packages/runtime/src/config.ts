// Typed configuration from environment variables, with defaults and clear errors.
export class ConfigError extends Error {}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "30s", "1h", "24h", "30d", "250ms" or a bare number of milliseconds. */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) throw new ConfigError(`not a duration: "${text}" (use e.g. 500ms, 30s, 15m, 1h, 30d)`);
  return Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!);
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

type Env = Record<string, string | undefined>;

/** Small readers over an env object; every reader names the variable in its error. */
export function envReader(env: Env = process.env) {
  const raw = (name: string) => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  return {
    string(name: string, fallback: string): string {
      return raw(name) ?? fallback;
    },
    optional(name: string): string | undefined {
      return raw(name);
    },
    int(name: string, fallback: number): number {
      const v = raw(name);
      if (v === undefined) return fallback;
      const n = Number(v);
      if (!Number.isInteger(n)) throw new ConfigError(`${name} must be an integer, got "${v}"`);
      return n;
    },
    number(name: string, fallback: number): number {
      const v = raw(name);
      if (v === undefined) return fallback;
      const n = Number(v);
      if (!Number.isFinite(n)) throw new ConfigError(`${name} must be a number, got "${v}"`);
      return n;
    },
    bool(name: string, fallback: boolean): boolean {
      const v = raw(name);
      if (v === undefined) return fallback;
      if (/^(1|true|yes|on)$/i.test(v)) return true;
      if (/^(0|false|no|off)$/i.test(v)) return false;
      throw new ConfigError(`${name} must be true or false, got "${v}"`);
    },
    duration(name: string, fallback: string): number {
      const v = raw(name) ?? fallback;
      try {
        return parseDuration(v);
      } catch (e) {
        throw new ConfigError(`${name}: ${(e as Error).message}`);
      }
    },
    oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
      const v = raw(name) ?? fallback;
      if (!allowed.includes(v as T)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${v}"`);
      return v as T;
    },
    timeZone(name: string, fallback: string): string {
      const v = raw(name) ?? fallback;
      if (!isValidTimeZone(v)) throw new ConfigError(`${name} must be an IANA time zone (e.g. UTC, Asia/Shanghai), got "${v}"`);
      return v;
    },
  };
}

/** The SPEC §4 time settings shared by every processor. */
export interface TimeRules {
  timeZone: string;
  allowedLatenessMs: number;
  idleFlushMs: number;
  fcrWindowMs: number;
  retentionWindowMs: number;
  /** An event_time further than this ahead of the wall clock is dead-lettered as `future`. */
  maxFutureMs: number;
}

export function loadTimeRules(env: Env = process.env): TimeRules {
  const r = envReader(env);
  return {
    timeZone: r.timeZone('CS_TIMEZONE', 'UTC'),
    allowedLatenessMs: r.duration('CS_ALLOWED_LATENESS', '1h'),
    idleFlushMs: r.duration('CS_IDLE_FLUSH', '30s'),
    fcrWindowMs: r.duration('CS_FCR_WINDOW', '24h'),
    retentionWindowMs: r.duration('CS_RETENTION_WINDOW', '30d'),
    maxFutureMs: 3_600_000,
  };
}
