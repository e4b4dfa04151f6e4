/**
 * What is still provisional (SPEC §4, §7). Live figures count every accepted event at once and are
 * corrected by later events until the windows that can change them close; `cs.settled` gives, per
 * metric, the instant before which every bucket is final. Each board shades the provisional part of
 * its panels, from there to the end of the range, one annotation per kind of window: the allowed
 * lateness for most metrics, the FCR window, the retention window.
 */
import { decidingWindow, sqlString, type DecidingWindow } from '@cs/catalog';
import type { AnnotationSpec, BoardSpec } from './board.ts';
import { TO } from './sql.ts';
import type { Text } from './text.ts';

type Settling = 'events' | DecidingWindow;

const NAME: Record<Settling, Text> = {
  events: { en: 'Provisional (may still change)', zh: '未定（仍可能变化）' },
  fcr: { en: 'FCR provisional (window still open)', zh: '首次解决未定（窗口未关闭）' },
  retention: { en: 'Retention provisional (window still open)', zh: '挽留未定（窗口未关闭）' },
};

const TEXT: Record<Settling, Text> = {
  events: {
    en: 'Buckets from here on can still change: late events within the allowed lateness are still accepted and correct them.',
    zh: '此后的时间段仍可能变化：允许迟到范围内的迟到事件仍会被接受并修正数据。',
  },
  fcr: {
    en: 'First-contact resolution from here on counts only the contacts decided so far (a repeat contact decides at once, no repeat when the window closes).',
    zh: '此后的首次解决率只计已判定的联络（再次联络立即判定，无再次联络则在窗口关闭时判定）。',
  },
  retention: {
    en: 'Retention from here on counts only the outreaches with an outcome so far; the others are decided when the retention window closes.',
    zh: '此后的挽留率只计已有结果的外呼；其余在挽留窗口关闭时判定。',
  },
};

const COLOR = 'rgba(255, 152, 48, 0.12)';

/** One row, column `settled_up_to`: the instant before which every bucket of all `metrics` is final (NULL: none known). */
export const settledUpToSql = (db: string, metrics: readonly string[]) =>
  `SELECT minOrNull(settled_up_to) AS settled_up_to FROM ${db}.settled WHERE metric IN (${metrics.map(sqlString).join(', ')})`;

/** A region from the settled instant to the end of the range; none when everything in range is final. */
function annotationSql(db: string, metrics: readonly string[], text: string): string {
  return [
    'SELECT',
    '  assumeNotNull(settled_up_to) AS time,',
    `  ${TO} AS timeEnd,`,
    `  ${sqlString(text)} AS text`,
    `FROM (${settledUpToSql(db, metrics)})`,
    `WHERE settled_up_to < ${TO}`,
  ].join('\n');
}

/** One region annotation per kind of window among the metrics the board's panels show. */
export function provisionalAnnotations(db: string, board: BoardSpec): AnnotationSpec[] {
  const metrics = [...new Set(board.items.flatMap((item) => (item.kind === 'panel' ? (item.metrics ?? []) : [])))];
  const byKind = new Map<Settling, string[]>();
  for (const m of metrics) {
    const kind: Settling = decidingWindow(m) ?? 'events';
    byKind.set(kind, [...(byKind.get(kind) ?? []), m]);
  }
  return [...byKind].map(([kind, ms]) => ({
    name: NAME[kind],
    sql: { en: annotationSql(db, ms, TEXT[kind].en), zh: annotationSql(db, ms, TEXT[kind].zh) },
    metrics: ms,
    color: COLOR,
  }));
}
