/**
 * What is forecast: contacts started per business unit × channel, and calls offered per business
 * unit × queue, per half-hour slot of the local grid.
 */
export type SeriesKind = 'contacts' | 'calls';
export const SERIES_KINDS: readonly SeriesKind[] = ['contacts', 'calls'];

export interface SeriesKey {
  kind: SeriesKind;
  businessUnit: string;
  /** The channel (contacts) or the queue (calls). */
  segment: string;
}

export const seriesId = (k: SeriesKey) => `${k.kind}|${k.businessUnit}|${k.segment}`;

/** A series' history: slot values from `start`'s slot 0 onwards, contiguous, zero where nothing happened. */
export interface SeriesHistory {
  key: SeriesKey;
  start: string;
  values: Float64Array;
}
