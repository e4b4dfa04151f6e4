/** Calendar events sent to the forecaster (POST /v1/forecast-events): validated, with the reason when not. */
import { parseDate } from '@cs/runtime';
import type { ForecastEvent } from './calendar.ts';

export const EVENT_KINDS = ['holiday', 'festival', 'campaign', 'payday', 'incident', 'other'] as const;

export type ParsedEvents = { ok: true; events: ForecastEvent[] } | { ok: false; error: string };

export function parseEvents(body: Buffer | string): ParsedEvents {
  let input: unknown;
  try {
    input = JSON.parse(body.toString());
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  const list = Array.isArray(input) ? input : [input];
  const events: ForecastEvent[] = [];
  for (const [i, raw] of list.entries()) {
    const where = `event ${i}`;
    if (typeof raw !== 'object' || raw === null) return { ok: false, error: `${where}: expected an object` };
    const e = raw as Record<string, unknown>;
    const text = (name: string, fallback?: string): string | null => {
      const v = e[name] ?? fallback;
      return typeof v === 'string' ? v : null;
    };
    const name = text('name');
    if (!name) return { ok: false, error: `${where}: "name" is required` };
    const kind = text('kind', 'other');
    if (!EVENT_KINDS.includes(kind as (typeof EVENT_KINDS)[number])) return { ok: false, error: `${where}: "kind" must be one of ${EVENT_KINDS.join(', ')}` };
    const starts = text('starts');
    const ends = text('ends', starts ?? undefined);
    try {
      parseDate(starts ?? '');
      parseDate(ends ?? '');
    } catch (err) {
      return { ok: false, error: `${where}: "starts"/"ends" must be YYYY-MM-DD dates (${(err as Error).message})` };
    }
    if (ends! < starts!) return { ok: false, error: `${where}: "ends" (${ends}) is before "starts" (${starts})` };
    const uplift = e['uplift'] ?? null;
    if (uplift !== null && !(typeof uplift === 'number' && uplift > 0 && Number.isFinite(uplift))) return { ok: false, error: `${where}: "uplift" must be a positive number (1.8 = +80 %) or null` };
    const businessUnit = text('business_unit', '');
    const channel = text('channel', '');
    if (businessUnit === null || channel === null) return { ok: false, error: `${where}: "business_unit" and "channel" must be strings ('' = all)` };
    events.push({ name, kind: kind!, starts: starts!, ends: ends!, businessUnit, channel, uplift: uplift as number | null });
  }
  return { ok: true, events };
}
