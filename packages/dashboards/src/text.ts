/** Every board exists in English and Simplified Chinese; every visible string is a `Text`. */
import { zhText, type MetricDefinition } from '@cs/catalog';

export const LANGS = ['en', 'zh'] as const;
export type Lang = (typeof LANGS)[number];
export type Text = { readonly en: string; readonly zh: string };

export const t = (en: string, zh: string): Text => ({ en, zh });

export const metricName = (m: MetricDefinition): Text => ({ en: m.name.en, zh: m.name.zh });

export const L = {
  businessUnit: t('Business unit', '业务单元'),
  product: t('Product', '产品'),
  channel: t('Channel', '渠道'),
  siteType: t('Site type', '站点类型'),
  campaign: t('Campaign', '活动'),
  topic: t('Topic', '主题'),
  reason: t('Reason', '原因'),
  today: t('Today', '今天'),
  yesterday: t('Yesterday', '昨天'),
  lastWeek: t('Same day last week', '上周同日'),
  provisional: t('Today, still provisional', '今天未定部分'),
  target: t('Target', '目标'),
  day: t('Day', '日期'),
  inHouse: t('In-house', '自有'),
  outsourced: t('Outsourced', '外包'),
  targetLine: t('dashed line: target', '虚线：目标值'),
};

/** Grafana unit and decimals for a catalog unit. */
export function grafanaUnit(m: MetricDefinition): { unit: string; decimals?: number } {
  switch (m.unit) {
    case 'ratio':
      return { unit: 'percentunit', decimals: 1 };
    case 'seconds':
      return { unit: 's', decimals: 0 };
    case 'turns':
      return { unit: 'none', decimals: 2 };
    case 'per_10k':
      return { unit: 'none', decimals: 1 };
    case 'points':
      return { unit: 'none', decimals: 1 };
    case 'hours':
      return { unit: 'h', decimals: 0 };
    case 'agents':
      return { unit: 'none', decimals: 0 };
    case 'contacts':
      return { unit: 'short', decimals: 0 };
  }
}

/** "≥ 99%", "≤ 80 s": a target as people read it. */
export function formatTarget(m: MetricDefinition, target: number, lang: Lang): string {
  const op = m.direction === 'lower_is_better' ? '≤' : '≥';
  const num = (x: number) => String(Number(x.toPrecision(6)));
  switch (m.unit) {
    case 'ratio':
      return `${op} ${num(target * 100)}%`;
    case 'seconds':
      return `${op} ${num(target)} ${lang === 'zh' ? '秒' : 's'}`;
    case 'per_10k':
      return `${op} ${num(target)} ${lang === 'zh' ? '/万' : 'per 10k'}`;
    default:
      return `${op} ${num(target)}`;
  }
}

/** The definition of a metric and its target, for panel descriptions. */
export function metricDescription(m: MetricDefinition, target: number | undefined): Text {
  const zh = zhText(m.id);
  const scale = m.scale !== 1 ? ` × ${m.scale}` : '';
  const en =
    m.kind === 'ratio'
      ? `${m.definition} Computed as Σ numerator / Σ denominator${scale} over the selected buckets and dimensions (numerator: ${m.numerator}; denominator: ${m.denominator}).`
      : `${m.definition} Σ ${m.numerator}.`;
  const cn =
    m.kind === 'ratio'
      ? `${zh.definition}按所选时间段与维度汇总计算：Σ分子 / Σ分母${scale}（分子：${zh.numerator}；分母：${zh.denominator}）。`
      : `${zh.definition}汇总：Σ ${zh.numerator}。`;
  if (target === undefined) return { en, zh: cn };
  return { en: `${en} Target ${formatTarget(m, target, 'en')}.`, zh: `${cn}目标 ${formatTarget(m, target, 'zh')}。` };
}
