// Enterprises (with repeat offenders) and distributors, and takedown notices.
import { h, mount, table } from '../dom';
import { t, fmtTime } from '../i18n';
import { get, type List, type Org } from '../api';
import { link, section } from '../ui';
import type { Page } from './page';

type OrgRow = Org & { apps: number };

export const enterprisesPage: Page = async (view) => {
  const [list, repeat] = await Promise.all([
    get<List<OrgRow>>('enterprises?limit=500'),
    get<List<{ enterprise: Org; recurrences: number; apps: unknown[] }>>('repeat-offenders'),
  ]);
  mount(
    view,
    h('div.page-head', null, h('h1', null, t('orgs.enterprises')), h('span.muted', null, t('common.total', { n: list.total }))),
    section(
      'orgs.enterprises',
      table(
        list.items,
        [
          [t('orgs.name'), (o) => link(`#/apps?enterprise_id=${o.id}`, o.name)],
          [t('orgs.apps'), (o) => o.apps],
        ],
        t('common.none'),
        { id: 'enterprises-table' },
      ),
    ),
    section(
      'orgs.repeat',
      table(
        repeat.items,
        [
          [t('orgs.name'), (r) => link(`#/apps?enterprise_id=${r.enterprise.id}`, r.enterprise.name)],
          [t('orgs.recurrences'), (r) => r.recurrences],
          [
            t('orgs.apps'),
            (r) =>
              r.apps
                .map((a) => (typeof a === 'object' && a ? ((a as { label?: string; package?: string }).label ?? (a as { package?: string }).package) : String(a)))
                .join(', '),
          ],
        ],
        t('common.none'),
      ),
    ),
  );
};

export const distributorsPage: Page = async (view) => {
  const list = await get<List<OrgRow>>('distributors?limit=500');
  mount(
    view,
    h('div.page-head', null, h('h1', null, t('orgs.distributors')), h('span.muted', null, t('common.total', { n: list.total }))),
    section(
      'orgs.distributors',
      table(
        list.items,
        [
          [t('orgs.name'), (o) => o.name],
          [t('orgs.apps'), (o) => o.apps],
        ],
        t('common.none'),
        { id: 'distributors-table' },
      ),
    ),
  );
};

export const noticesPage: Page = async (view, ctx) => {
  const list = await get<List<Record<string, unknown>>>('notices?limit=500');
  // The notice object is not pinned by the contract: show its telling fields.
  const str = (v: unknown) =>
    v === null || v === undefined ? '—' : typeof v === 'object' ? ((v as { label?: string; name?: string; package?: string }).label ?? (v as { name?: string }).name ?? (v as { package?: string }).package ?? JSON.stringify(v)) : String(v);
  mount(
    view,
    h('div.page-head', null, h('h1', null, t('notices.title')), h('span.muted', null, t('common.total', { n: list.total }))),
    section(
      'notices.title',
      table(
        list.items,
        [
          ['#', (n) => str(n.id)],
          [t('scan.app'), (n) => str(n.app)],
          [t('orgs.distributors'), (n) => str(n.distributor)],
          // Only the regulator can open cases.
          [t('cases.title'), (n) => (n.case_id && ctx.me.role === 'regulator' ? link(`#/cases/${n.case_id}`, `#${n.case_id}`) : `#${str(n.case_id)}`)],
          [t('notices.at'), (n) => (typeof n.created_at === 'number' ? fmtTime(n.created_at) : typeof n.at === 'number' ? fmtTime(n.at) : '—')],
        ],
        t('notices.empty'),
        { id: 'notices-table' },
      ),
    ),
  );
};
