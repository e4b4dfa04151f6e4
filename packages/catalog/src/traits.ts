/**
 * Properties of metrics that decide how their figures may be read, keyed by metric id beside METRICS
 * (SPEC §4, §6). Readers (dashboards, alerts, the console summary) take them from here instead of
 * naming metrics themselves.
 */
import type { MetricId } from './catalog.ts';

/**
 * Distinct counts: a bucket's figure per business unit does not add up across buckets or business
 * units (an agent logged in for two hours is one head in each hour and one in the day). Shown per
 * bucket of one grain, never summed.
 */
const NON_ADDITIVE: ReadonlySet<MetricId> = new Set<MetricId>(['headcount']);

export const isAdditive = (metricId: MetricId): boolean => !NON_ADDITIVE.has(metricId);

/** A window that decides a metric's figures: first-contact resolution (CS_FCR_WINDOW) or outreach retention (CS_RETENTION_WINDOW). */
export type DecidingWindow = 'fcr' | 'retention';

/**
 * Metrics whose numerator and denominator count only contacts or outreaches a window has decided
 * (SPEC §4): a repeat contact or an outcome decides at once, the absence of one only when the window
 * closes (24 h, 30 d later). Their recent buckets hold the early decisions only (the unresolved ones),
 * so a live figure of the last minutes is biased; read their settled (`final`) rows for a verdict.
 */
const DECIDED_BY_WINDOW: Readonly<Partial<Record<MetricId, DecidingWindow>>> = {
  fcr_rate: 'fcr',
  self_service_resolution_rate: 'fcr',
  outreach_retention_rate: 'retention',
};

export const decidingWindow = (metricId: MetricId): DecidingWindow | undefined => DECIDED_BY_WINDOW[metricId];
