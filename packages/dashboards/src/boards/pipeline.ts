/**
 * Pipeline health, from what ClickHouse holds: the processor's write-ahead log (one `done` row per
 * flush, with its offset range and wall-clock write time), the raw tables (accepted events, by
 * event time) and the dead letters. Consumer lag lives in Kafka, not here; freshness (now − newest
 * event time per raw table) and the age of the last flush stand in for it.
 */
import { RAW_TABLES } from '@cs/storage';
import type { BoardSpec } from '../board.ts';
import { byThresholds, fixedColor, palette, thresholdSteps } from '../grafana.ts';
import type { Ctx } from '../panels.ts';
import { field, row, seriesStyle, sqlPanel, statVisual, tableVisual, timeseriesVisual } from '../panels.ts';
import { L, t, type Lang } from '../text.ts';


const freshnessThresholds = thresholdSteps([{ value: null, color: 'green' }, { value: 60, color: 'orange' }, { value: 300, color: 'red' }]);

export function pipelineBoard(ctx: Ctx): BoardSpec {
  const db = ctx.db;
  const unionRaw = (select: (table: string, topic: string) => string) => Object.entries(RAW_TABLES).map(([topic, table]) => select(`${db}.${table}`, topic)).join('\n  UNION ALL\n  ');
  const flushes = `FROM ${db}.processor_log\nWHERE kind = 'done'\n  AND $__timeFilter(written_at)`;
  const topicName = (lang: Lang) => field('topic', [{ id: 'displayName', value: L.topic[lang] }]);
  return {
    key: 'pipeline',
    file: 'pipeline-health',
    title: t('Pipeline health', '数据管道健康'),
    description: t(
      'Throughput, freshness, flushes and dead letters of the stream processors, from the processor log, the raw tables and cs.dead_letters in ClickHouse. Consumer lag is in Kafka (see the processor /metrics); freshness and the last flush stand in for it here.',
      '流处理的吞吐、数据新鲜度、刷写与死信，数据来自 ClickHouse 中的处理日志、原始事件表与 cs.dead_letters。消费延迟在 Kafka 中（见处理器 /metrics），此处以新鲜度与最近一次刷写代替。',
    ),
    tags: ['pipeline', 'sre'],
    time: { from: 'now-1h', to: 'now' },
    refresh: '30s',
    variables: [],
    items: [
      row(t('Now', '当前')),
      sqlPanel({
        title: t('Messages processed', '已处理消息'),
        description: t('Kafka messages consumed and flushed by the processors in the selected range (Σ offset ranges of completed flushes), accepted or dead-lettered.', '所选时间范围内处理器消费并完成刷写的 Kafka 消息数（已完成刷写的偏移量区间之和），含被接受与进入死信的消息。'),
        w: 5,
        h: 4,
        queries: [{ refId: 'A', sql: `SELECT\n  sum(to_offset - from_offset) AS messages\n${flushes}`, format: 'table', columns: ['messages'], requiresData: true, nonNull: ['messages'] }],
        visual: () => statVisual('value').unit('short').decimals(0).colorScheme(fixedColor('blue')),
      }),
      sqlPanel({
        title: t('Dead letters', '死信'),
        description: t('Events refused in the selected range (by dead-letter time), and their share of the messages processed.', '所选时间范围内被拒绝的事件数（按进入死信的时间），及其占已处理消息的比例。'),
        w: 5,
        h: 4,
        queries: [
          {
            refId: 'A',
            sql:
              `SELECT\n  dead_letters,\n  dead_letters / nullIf(messages, 0) AS dead_letter_share\nFROM\n` +
              `  (SELECT count() AS dead_letters FROM ${db}.dead_letters WHERE $__timeFilter(dead_lettered_at)) AS d,\n` +
              `  (SELECT sum(to_offset - from_offset) AS messages FROM ${db}.processor_log WHERE kind = 'done' AND $__timeFilter(written_at)) AS p`,
            format: 'table',
            columns: ['dead_letters', 'dead_letter_share'],
            requiresData: true,
            nonNull: ['dead_letters', 'dead_letter_share'],
          },
        ],
        visual: (lang) =>
          statVisual('value_and_name', 'vertical').unit('short').decimals(0).colorScheme(byThresholds()).thresholds(thresholdSteps([{ value: null, color: 'green' }, { value: 1, color: 'orange' }])).overrides([
            field('dead_letters', [{ id: 'displayName', value: lang === 'zh' ? '死信数' : 'Dead letters' }]),
            field('dead_letter_share', [
              { id: 'displayName', value: lang === 'zh' ? '占比' : 'Share' },
              { id: 'unit', value: 'percentunit' },
              { id: 'decimals', value: 2 },
              { id: 'thresholds', value: { mode: 'absolute', steps: [{ value: null, color: 'green' }, { value: 0.001, color: 'orange' }, { value: 0.01, color: 'red' }] } },
            ]),
          ]),
      }),
      sqlPanel({
        title: t('Since the last flush', '距最近一次刷写'),
        description: t('now() − the write time of the newest completed flush of any partition. Grows while the processors are down or receive nothing.', 'now() − 任一分区最近一次完成刷写的时间。处理器停止或没有收到数据时会持续增长。'),
        w: 4,
        h: 4,
        queries: [{ refId: 'A', sql: `SELECT\n  dateDiff('second', maxOrNull(written_at), now()) AS seconds_since_flush\nFROM ${db}.processor_log\nWHERE kind = 'done'`, format: 'table', columns: ['seconds_since_flush'], requiresData: true, nonNull: ['seconds_since_flush'] }],
        visual: () => statVisual('value').unit('s').decimals(0).colorScheme(byThresholds()).thresholds(freshnessThresholds),
      }),
      sqlPanel({
        title: t('Freshness per topic', '各主题数据新鲜度'),
        description: t(
          'now() − the newest event time accepted into each raw table. Event time, not arrival time: a replay of old data shows as stale.',
          'now() − 各原始事件表中最新的事件时间。按事件时间而非到达时间计：回放历史数据时会显示为不新鲜。',
        ),
        w: 10,
        h: 8,
        queries: [
          {
            refId: 'A',
            sql: `SELECT\n  topic,\n  last_event_time,\n  dateDiff('second', last_event_time, now()) AS freshness_s\nFROM (\n  ${unionRaw((table, topic) => `SELECT '${topic}' AS topic, maxOrNull(event_time) AS last_event_time FROM ${table}`)}\n)\nORDER BY topic`,
            format: 'table',
            columns: ['topic', 'last_event_time', 'freshness_s'],
            requiresData: true,
            nonNull: ['freshness_s'],
          },
        ],
        visual: (lang) =>
          tableVisual().overrides([
            topicName(lang),
            field('last_event_time', [{ id: 'displayName', value: lang === 'zh' ? '最新事件时间' : 'Newest event time' }]),
            field('freshness_s', [
              { id: 'displayName', value: lang === 'zh' ? '新鲜度' : 'Freshness' },
              { id: 'unit', value: 's' },
              { id: 'thresholds', value: freshnessThresholds.build() },
              { id: 'color', value: { mode: 'thresholds' } },
              { id: 'custom.cellOptions', value: { type: 'color-text' } },
            ]),
          ]),
      }),
      row(t('Throughput', '吞吐')),
      sqlPanel({
        title: t('Messages processed per second by topic', '各主题每秒处理消息数'),
        description: t('Σ offset ranges of completed flushes per panel interval ÷ interval seconds, by wall-clock write time.', '每个时间间隔内已完成刷写的偏移量区间之和 ÷ 间隔秒数，按写入时间（墙上时钟）。'),
        w: 12,
        h: 8,
        queries: [
          {
            refId: 'A',
            sql: `SELECT\n  $__timeInterval(written_at) AS time,\n  topic,\n  sum(to_offset - from_offset) / ($__interval_s) AS messages_per_s\n${flushes}\nGROUP BY time, topic\nORDER BY time, topic`,
            format: 'timeSeries',
            columns: ['time', 'topic', 'messages_per_s'],
            requiresData: true,
          },
        ],
        visual: () => seriesStyle(timeseriesVisual(), 'bars', { stacked: true }).unit('short').decimals(1).colorScheme(palette()),
      }),
      sqlPanel({
        title: t('Accepted events per second by topic (event time)', '各主题每秒接受事件数（事件时间）'),
        description: t('Rows of each raw table per panel interval of their event time ÷ interval seconds.', '各原始事件表每个事件时间间隔内的行数 ÷ 间隔秒数。'),
        w: 12,
        h: 8,
        queries: [
          {
            refId: 'A',
            sql:
              `SELECT time, topic, events / ($__interval_s) AS events_per_s\nFROM (\n  ` +
              unionRaw((table, topic) => `SELECT $__timeInterval(event_time) AS time, '${topic}' AS topic, count() AS events FROM ${table} WHERE $__timeFilter(event_time) GROUP BY time`) +
              `\n)\nORDER BY time, topic`,
            format: 'timeSeries',
            columns: ['time', 'topic', 'events_per_s'],
            requiresData: true,
          },
        ],
        visual: () => seriesStyle(timeseriesVisual(), 'line').unit('short').decimals(1).colorScheme(palette()),
      }),
      sqlPanel({
        title: t('Flushes per minute by topic', '各主题每分钟刷写次数'),
        description: t('Completed flushes (one transaction of inserts per partition) per minute, by wall-clock write time.', '每分钟完成的刷写次数（每个分区一次写入事务），按写入时间。'),
        w: 12,
        h: 8,
        queries: [
          {
            refId: 'A',
            sql: `SELECT\n  $__timeInterval(written_at) AS time,\n  topic,\n  count() * 60 / ($__interval_s) AS flushes_per_min\n${flushes}\nGROUP BY time, topic\nORDER BY time, topic`,
            format: 'timeSeries',
            columns: ['time', 'topic', 'flushes_per_min'],
            requiresData: true,
          },
        ],
        visual: () => seriesStyle(timeseriesVisual(), 'line').unit('short').decimals(1).colorScheme(palette()),
      }),
      sqlPanel({
        title: t('Processor partitions', '处理器分区'),
        description: t('Per topic: completed flushes and messages in the selected range, and the age of the newest flush.', '按主题：所选时间范围内完成的刷写次数与消息数，以及最近一次刷写距今的时间。'),
        w: 12,
        h: 8,
        queries: [
          {
            refId: 'A',
            sql:
              `SELECT\n  topic,\n  uniqExact(partition) AS partitions,\n  count() AS flushes,\n  sum(to_offset - from_offset) AS messages,\n  countIf(idle) AS idle_flushes,\n  dateDiff('second', max(written_at), now()) AS seconds_since_flush\n` +
              `${flushes}\nGROUP BY topic\nORDER BY topic`,
            format: 'table',
            columns: ['topic', 'partitions', 'flushes', 'messages', 'idle_flushes', 'seconds_since_flush'],
            requiresData: true,
          },
        ],
        visual: (lang) =>
          tableVisual().overrides([
            topicName(lang),
            field('partitions', [{ id: 'displayName', value: lang === 'zh' ? '分区数' : 'Partitions' }]),
            field('flushes', [{ id: 'displayName', value: lang === 'zh' ? '刷写次数' : 'Flushes' }]),
            field('messages', [{ id: 'displayName', value: lang === 'zh' ? '消息数' : 'Messages' }]),
            field('idle_flushes', [{ id: 'displayName', value: lang === 'zh' ? '空闲刷写' : 'Idle flushes' }]),
            field('seconds_since_flush', [{ id: 'displayName', value: lang === 'zh' ? '距最近刷写' : 'Since last flush' }, { id: 'unit', value: 's' }]),
          ]),
      }),
      row(t('Dead letters', '死信')),
      sqlPanel({
        title: t('Dead letters by reason', '按原因的死信'),
        description: t('Events refused per panel interval by reason: decode, invalid, late, future, orphan.', '每个时间间隔内按原因统计的被拒绝事件：decode（解码失败）、invalid（无效）、late（迟到）、future（未来时间）、orphan（孤立）。'),
        w: 12,
        h: 8,
        queries: [
          {
            refId: 'A',
            sql: `SELECT\n  $__timeInterval(dead_lettered_at) AS time,\n  reason,\n  count() AS dead_letters\nFROM ${db}.dead_letters\nWHERE $__timeFilter(dead_lettered_at)\nGROUP BY time, reason\nORDER BY time, reason`,
            format: 'timeSeries',
            columns: ['time', 'reason', 'dead_letters'],
            requiresData: true,
          },
        ],
        visual: () => seriesStyle(timeseriesVisual(), 'bars', { stacked: true }).unit('short').decimals(0).colorScheme(palette()),
      }),
      sqlPanel({
        title: t('Dead letters by topic and reason', '按主题与原因的死信'),
        description: t(
          'Refused events in the selected range, with the newest detail. The original bytes are in cs.dead_letters (payload) and on the cs.dead_letters topic for replay.',
          '所选时间范围内被拒绝的事件及最新的详情。原始字节见 cs.dead_letters（payload 列）及用于回放的 cs.dead_letters 主题。',
        ),
        w: 12,
        h: 8,
        queries: [
          {
            refId: 'A',
            sql:
              `SELECT\n  topic,\n  reason,\n  count() AS dead_letters,\n  max(dead_lettered_at) AS last_seen,\n  argMax(detail, dead_lettered_at) AS last_detail\nFROM ${db}.dead_letters\n` +
              `WHERE $__timeFilter(dead_lettered_at)\nGROUP BY topic, reason\nORDER BY dead_letters DESC, topic, reason`,
            format: 'table',
            columns: ['topic', 'reason', 'dead_letters', 'last_seen', 'last_detail'],
            requiresData: true,
          },
        ],
        visual: (lang) =>
          tableVisual().overrides([
            topicName(lang),
            field('reason', [{ id: 'displayName', value: L.reason[lang] }]),
            field('dead_letters', [{ id: 'displayName', value: lang === 'zh' ? '死信数' : 'Dead letters' }]),
            field('last_seen', [{ id: 'displayName', value: lang === 'zh' ? '最近出现' : 'Last seen' }]),
            field('last_detail', [{ id: 'displayName', value: lang === 'zh' ? '最新详情' : 'Newest detail' }]),
          ]),
      }),
      row(t('Live and final', '实时与最终')),
      sqlPanel({
        title: t('Settled up to, per metric', '各指标已结算至'),
        description: t(
          'From cs.settled: the instant before which every bucket of the metric is final (no accepted or future event can change it), and how long ago that is. Later buckets are live: visible at once, corrected by late events until their windows close (allowed lateness; the FCR and retention windows for those metrics).',
          '来自 cs.settled：该指标在此时刻之前的所有时间段均已最终确定（任何已接受或未来的事件都不会再改变），以及距今多久。之后的时间段为实时数据：立即可见，在其窗口关闭前会被迟到事件修正（允许迟到时长；首次解决率与挽留率为各自的窗口）。',
        ),
        w: 24,
        h: 9,
        queries: [
          {
            refId: 'A',
            sql: `SELECT\n  metric,\n  settled_up_to,\n  dateDiff('second', settled_up_to, now()) AS provisional_s\nFROM ${db}.settled\nORDER BY provisional_s DESC, metric`,
            format: 'table',
            columns: ['metric', 'settled_up_to', 'provisional_s'],
            requiresData: true,
          },
        ],
        visual: (lang) =>
          tableVisual().overrides([
            field('metric', [{ id: 'displayName', value: lang === 'zh' ? '指标' : 'Metric' }]),
            field('settled_up_to', [{ id: 'displayName', value: lang === 'zh' ? '已结算至' : 'Settled up to' }]),
            field('provisional_s', [{ id: 'displayName', value: lang === 'zh' ? '未定时长' : 'Provisional for' }, { id: 'unit', value: 's' }]),
          ]),
      }),
    ],
  };
}
