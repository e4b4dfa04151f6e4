/** Dashboard variables shared by the boards on cs.metrics. */
import type { VariableSpec } from '../board.ts';
import { BU_FILTER, DIM_FILTERS, nonWorkforceCond, variableSql, workforceCond } from '../sql.ts';
import { L, t } from '../text.ts';

export function dimensionVariables(db: string): VariableSpec[] {
  return [
    {
      name: 'business_unit',
      label: L.businessUnit,
      description: t('Business units with figures in the selected range.', '所选时间范围内有数据的业务单元。'),
      sql: variableSql(db, 'business_unit', nonWorkforceCond, []),
    },
    {
      name: 'product',
      label: L.product,
      description: t('Products of the selected business units.', '所选业务单元的产品。'),
      sql: variableSql(db, 'product', nonWorkforceCond, BU_FILTER),
    },
    {
      name: 'channel',
      label: L.channel,
      description: t('Channels of the selected business units and products.', '所选业务单元与产品的渠道。'),
      sql: variableSql(db, 'channel', nonWorkforceCond, DIM_FILTERS.slice(0, 2)),
    },
  ];
}

/** Agent metrics put the site type (IN_HOUSE, OUTSOURCED) in the product column and leave channel empty. */
export function workforceVariables(db: string): VariableSpec[] {
  return [
    {
      name: 'business_unit',
      label: L.businessUnit,
      description: t('Business units with staffed agents in the selected range.', '所选时间范围内有坐席在岗的业务单元。'),
      sql: variableSql(db, 'business_unit', workforceCond, []),
    },
    {
      name: 'site_type',
      label: L.siteType,
      description: t('In-house or outsourced sites (IN_HOUSE, OUTSOURCED).', '自有或外包站点（IN_HOUSE、OUTSOURCED）。'),
      sql: variableSql(db, 'product', workforceCond, BU_FILTER),
    },
  ];
}
