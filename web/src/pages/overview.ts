// Overview: the campaign's counters and charts from GET /stats, and the public-notice export.
import { h, mount } from '../dom';
import { t, categoryName, lang } from '../i18n';
import { get, download, type Stats } from '../api';
import { chart, palette } from '../charts';
import { errorBox } from '../ui';
import type { Page } from './page';

function counter(id: string, label: string, value: number, cls: string): HTMLElement {
  return h(`div.counter.${cls}`, { 'data-counter': id }, h('div.value', null, value.toLocaleString()), h('div.label', null, label));
}

export const overviewPage: Page = async (view, ctx) => {
  const stats = await get<Stats>('stats');
  const exportMsg = h('span.muted');
  const exp = (path: string, name: string) => async () => {
    exportMsg.textContent = '';
    try {
      await download(path, name);
    } catch (e) {
      exportMsg.replaceChildren(errorBox(e));
    }
  };
  const box = (id: string, title: string) => h('section.card.chart-card', null, h('h2', null, title), h('div.chart', { id }));
  mount(
    view,
    h(
      'div.page-head',
      null,
      h('h1', null, t('overview.title')),
      ctx.me.role === 'regulator'
        ? h(
            'div.actions',
            null,
            h('span', null, t('overview.export')),
            h('button', { id: 'export-html', onclick: exp('exports/notice.html', 'notice.html') }, t('overview.export_html')),
            h('button', { id: 'export-xlsx', onclick: exp('exports/notice.xlsx', 'notice.xlsx') }, t('overview.export_xlsx')),
            exportMsg,
          )
        : null,
    ),
    h(
      'div.counters',
      null,
      counter('apps_tested', t('overview.apps_tested'), stats.apps_tested, 'c-blue'),
      counter('ordered_to_rectify', t('overview.ordered'), stats.ordered_to_rectify, 'c-amber'),
      counter('publicly_notified', t('overview.notified'), stats.publicly_notified, 'c-red'),
      counter('taken_down', t('overview.taken_down'), stats.taken_down, 'c-dark'),
    ),
    h(
      'div.chart-grid',
      null,
      box('chart-category', t('overview.by_category')),
      box('chart-month', t('overview.by_month')),
      box('chart-sdk', t('overview.by_sdk')),
      box('chart-distributor', t('overview.by_distributor')),
    ),
    h(
      'section.card',
      null,
      h('h2', null, t('overview.by_category')),
      stats.by_category.length === 0
        ? h('p.empty', null, t('overview.no_data'))
        : h(
            'table.grid',
            { id: 'category-table' },
            h('thead', null, h('tr', null, h('th', null, t('finding.category')), h('th.num', null, t('overview.count')), h('th.num', null, t('overview.share')))),
            h(
              'tbody',
              null,
              stats.by_category.map((c) =>
                h('tr', null, h('td', null, categoryName(c.category, c.name_zh, c.name_en)), h('td.num', null, c.count), h('td.num', null, `${(c.share * 100).toFixed(1)}%`)),
              ),
            ),
          ),
    ),
  );

  const empty = (id: string) => {
    const el = document.getElementById(id)!;
    el.classList.add('chart-empty');
    el.textContent = t('overview.no_data');
  };
  const tooltip = { trigger: 'item' as const, confine: true };

  if (stats.by_category.length === 0) empty('chart-category');
  else
    chart(document.getElementById('chart-category')!, {
      color: palette,
      tooltip: { ...tooltip, formatter: '{b}<br/>{c} ({d}%)' },
      legend: { type: 'scroll', bottom: 0 },
      series: [
        {
          type: 'pie',
          radius: ['35%', '62%'],
          center: ['50%', '44%'],
          label: { formatter: '{d}%' },
          data: stats.by_category.map((c) => ({ name: categoryName(c.category, c.name_zh, c.name_en), value: c.count })),
        },
      ],
    });

  if (stats.by_month.length === 0) empty('chart-month');
  else
    chart(document.getElementById('chart-month')!, {
      color: palette,
      tooltip: { trigger: 'axis', confine: true },
      legend: { bottom: 0 },
      grid: { left: 40, right: 16, top: 16, bottom: 48 },
      xAxis: { type: 'category', data: stats.by_month.map((m) => m.month) },
      yAxis: { type: 'value', minInterval: 1 },
      series: (['scans', 'findings', 'cases'] as const).map((k) => ({
        type: 'line',
        name: t(`overview.${k}`),
        data: stats.by_month.map((m) => m[k]),
      })),
    });

  const bars = (id: string, rows: { name: string; count: number }[], color: string) => {
    if (rows.length === 0) return empty(id);
    const top = rows.slice(0, 15).reverse();
    chart(document.getElementById(id)!, {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, confine: true },
      grid: { left: 8, right: 32, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', data: top.map((r) => r.name), axisLabel: { width: 160, overflow: 'truncate' } },
      series: [{ type: 'bar', barMaxWidth: 26, data: top.map((r) => r.count), itemStyle: { color }, label: { show: true, position: 'right' } }],
    });
  };
  // The server names SDKs in Chinese; English shows the SDK's id.
  bars('chart-sdk', stats.by_sdk.map((s) => ({ name: (lang === 'en' ? '' : s.name) || s.sdk, count: s.count })), palette[0]);
  bars('chart-distributor', stats.by_distributor.map((d) => ({ name: d.distributor, count: d.count })), palette[3]);
};
