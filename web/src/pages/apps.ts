// Apps: the list with search and filters, and one app with its versions, the diff between two
// versions, its latest scan's SDKs, PI collections and findings (reviewed here, and put into a
// case), its distributors and cases.
import { h, mount, table, type Child } from '../dom';
import { t, fmtTime, tx } from '../i18n';
import { get, post, type AppDetail, type AppRow, type Case, type Diff, type Finding, type List, type Org, type Scan, type Version } from '../api';
import { status, link, errorBox, section, pager, loading } from '../ui';
import { findingsTable } from './findings';
import { sdkTable, collectionsTable } from './report';
import type { Page } from './page';

const LIMIT = 50;

export const appsPage: Page = async (view, ctx) => {
  const q = ctx.query.get('q') ?? '';
  const ent = ctx.query.get('enterprise_id') ?? '';
  const onlyFindings = ctx.query.get('with_findings') === '1';
  const offset = Number(ctx.query.get('offset') ?? 0);
  const params = new URLSearchParams({ limit: String(LIMIT), offset: String(offset) });
  if (q) params.set('q', q);
  if (ent) params.set('enterprise_id', ent);
  const [list, enterprises] = await Promise.all([
    get<List<AppRow>>(`apps?${params}`),
    ctx.me.role === 'regulator' ? get<List<Org>>('enterprises?limit=500').then((l) => l.items) : Promise.resolve([] as Org[]),
  ]);

  const go = (next: Record<string, string>) => {
    const p = new URLSearchParams({ q, enterprise_id: ent, with_findings: onlyFindings ? '1' : '', ...next });
    for (const [k, v] of [...p]) if (!v || v === '0') p.delete(k);
    location.hash = `#/apps${p.size ? `?${p}` : ''}`;
  };
  const search = h('input', { type: 'search', id: 'app-search', value: q, placeholder: t('apps.search'), 'aria-label': t('apps.search') });
  const rows = onlyFindings ? list.items.filter((a) => (a.latest?.findings ?? 0) > 0) : list.items;

  mount(
    view,
    h('div.page-head', null, h('h1', null, t('apps.title')), h('span.muted', null, t('common.total', { n: list.total }))),
    h(
      'form.filters',
      {
        onsubmit: (e: Event) => {
          e.preventDefault();
          go({ q: search.value.trim(), offset: '' });
        },
      },
      search,
      enterprises.length
        ? h(
            'select',
            { id: 'enterprise-filter', 'aria-label': t('apps.enterprise'), onchange: (e: Event) => go({ enterprise_id: (e.target as HTMLSelectElement).value, offset: '' }) },
            h('option', { value: '' }, `${t('apps.enterprise')}: ${t('common.all')}`),
            enterprises.map((o) => h('option', { value: String(o.id), selected: String(o.id) === ent }, o.name)),
          )
        : null,
      h(
        'label.check',
        null,
        h('input', { type: 'checkbox', id: 'with-findings', checked: onlyFindings, onchange: (e: Event) => go({ with_findings: (e.target as HTMLInputElement).checked ? '1' : '' }) }),
        t('apps.with_findings'),
      ),
      h('button.primary', { type: 'submit' }, t('common.search')),
    ),
    h(
      'section.card',
      null,
      table(
        rows,
        [
          [t('apps.label'), (a) => link(`#/apps/${a.id}`, a.label || a.package)],
          [t('apps.package'), (a) => h('code', null, a.package)],
          [t('apps.enterprise'), (a) => a.enterprise?.name ?? '—'],
          [t('apps.versions'), (a) => a.versions],
          [t('apps.latest'), (a) => (a.latest ? `${a.latest.version_name ?? ''} (${a.latest.version_code ?? '—'})` : '—')],
          [t('apps.status'), (a) => (a.latest?.scan_id ? link(`#/scans/${a.latest.scan_id}`, status('scan', a.latest.status)) : status('scan', a.latest?.status ?? null))],
          [t('apps.findings'), (a) => h(`span${(a.latest?.findings ?? 0) > 0 ? '.strong' : ''}`, null, a.latest?.findings ?? 0)],
          [t('apps.open_cases'), (a) => (a.open_cases ? h('span.badge.st-open', null, a.open_cases) : '0')],
        ],
        t('apps.empty'),
        { id: 'apps-table' },
      ),
      pager(list.total, offset, LIMIT, (o) => go({ offset: String(o) })),
    ),
  );
};

function versionLabel(v: Version): string {
  return `${v.version_name ?? '?'} (${v.version_code ?? '—'}) · ${fmtTime(v.created_at, true)}`;
}

/** A diff item as text: strings as they are; objects by their telling fields. */
function diffItem(x: unknown): Child {
  if (typeof x === 'string' || typeof x === 'number') return h('code', null, String(x));
  if (x && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    const parts = ['rule', 'pi_type', 'party', 'api', 'name', 'id', 'title'].filter((k) => o[k] !== undefined && o[k] !== null).map((k) => String(o[k]));
    return h('code', { title: JSON.stringify(o) }, parts.length ? parts.join(' · ') : JSON.stringify(o));
  }
  return String(x);
}

function diffView(d: Diff): HTMLElement {
  const group = (title: string, g: Record<string, unknown[]> | undefined) =>
    h(
      'div.diff-group',
      null,
      h('h3', null, title),
      g
        ? Object.entries(g).map(([kind, items]) =>
            h(
              `div.diff-${kind}`,
              null,
              h('span.diff-kind', null, kind === 'added' ? `+ ${t('app.added')}` : kind === 'removed' ? `− ${t('app.removed')}` : `= ${t('app.unchanged')}`, ` (${items.length})`),
              items.length ? h('ul', null, items.map((i) => h('li', null, diffItem(i)))) : null,
            ),
          )
        : '—',
    );
  return h(
    'div.diff',
    { id: 'diff-result' },
    h('p', null, `${versionLabel(d.from)} → ${versionLabel(d.to)}`),
    group(t('app.permissions'), d.permissions),
    group(t('app.sdks'), d.sdks),
    group(t('app.collections'), d.pi_collections as Record<string, unknown[]>),
    group(t('app.findings'), d.findings as Record<string, unknown[]>),
  );
}

function diffSection(app: AppDetail): HTMLElement {
  if (app.versions.length < 2) return section('app.diff', h('p.empty', null, t('app.diff_need_two')));
  const newest = [...app.versions].sort((a, b) => b.created_at - a.created_at);
  const sel = (id: string, chosen: Version) =>
    h('select', { id, 'aria-label': id }, newest.map((v) => h('option', { value: String(v.id), selected: v.id === chosen.id }, versionLabel(v))));
  const from = sel('diff-from', newest[1]);
  const to = sel('diff-to', newest[0]);
  const out = h('div');
  const run = async () => {
    mount(out, loading());
    try {
      mount(out, diffView(await get<Diff>(`apps/${app.id}/diff?from=${from.value}&to=${to.value}`)));
    } catch (e) {
      mount(out, errorBox(e));
    }
  };
  return section(
    'app.diff',
    h('div.filters', null, h('label', null, t('app.diff_from'), ' ', from), h('label', null, t('app.diff_to'), ' ', to), h('button.primary', { id: 'diff-run', onclick: run }, t('app.diff_run'))),
    out,
  );
}

export function casesTable(cases: Case[]): HTMLElement {
  return table(
    cases,
    [
      ['#', (c) => link(`#/cases/${c.id}`, `#${c.id}`)],
      [t('scan.status'), (c) => status('status', c.status)],
      [t('cases.deadline'), (c) => h('span', null, c.deadline ? fmtTime(c.deadline, true) : '—', c.overdue ? h('span.badge.overdue', null, t('cases.overdue')) : null)],
      [t('cases.findings'), (c) => c.findings.map((f) => f.rule).join(', ')],
    ],
    t('cases.empty'),
  );
}

export const appPage: Page = async (view, ctx) => {
  const id = Number(ctx.params[0]);
  const app = await get<AppDetail>(`apps/${id}`);
  const versions = [...app.versions].sort((a, b) => b.created_at - a.created_at);
  const latestDone = versions.find((v) => v.status === 'done' && v.scan_id);

  mount(
    view,
    h(
      'div.page-head',
      null,
      h('h1', null, app.label || app.package),
      h('code.muted', null, app.package),
      app.enterprise ? h('span.badge', null, app.enterprise.name) : null,
    ),
    section(
      'app.versions',
      table(
        versions,
        [
          [t('app.version'), (v) => v.version_name ?? '—'],
          [t('app.version_code'), (v) => v.version_code ?? '—'],
          [t('app.sha256'), (v) => h('code.hash', { title: v.sha256 }, v.sha256.slice(0, 16) + '…')],
          [t('app.submitted'), (v) => fmtTime(v.created_at)],
          [t('app.scan'), (v) => (v.scan_id ? link(`#/scans/${v.scan_id}`, status('scan', v.status)) : '—')],
          [t('apps.findings'), (v) => v.findings],
        ],
        t('common.none'),
        { id: 'versions-table' },
      ),
    ),
    diffSection(app),
    h(
      'div.two-col',
      null,
      section('app.distributors', app.distributors.length ? h('ul', null, app.distributors.map((d) => h('li', null, d.name))) : h('p.empty', null, t('common.none'))),
      section('app.cases', casesTable(app.cases)),
    ),
  );

  if (!latestDone?.scan_id) {
    view.appendChild(h('p.muted', null, t('app.scan_pending')));
    return;
  }
  const scanId = latestDone.scan_id;
  const [scan, findings] = await Promise.all([get<Scan>(`scans/${scanId}`), get<List<Finding>>(`scans/${scanId}/findings?limit=500`)]);

  // Findings, reviewed in place; the regulator opens a case on the confirmed ones.
  const selected = new Set<number>();
  const items = findings.items;
  for (const f of items) if (f.review?.state === 'confirmed') selected.add(f.id);
  const caseMsg = h('span.form-error');
  const note = h('input', { type: 'text', id: 'case-note', placeholder: t('app.case_note'), 'aria-label': t('app.case_note') });
  const openCase = async () => {
    const ids = items.filter((f) => selected.has(f.id) && f.review?.state === 'confirmed').map((f) => f.id);
    if (ids.length === 0) {
      caseMsg.textContent = t('app.case_need_confirmed');
      return;
    }
    try {
      const c = await post<Case>('cases', { app_id: app.id, finding_ids: ids, note: note.value.trim() });
      location.hash = `#/cases/${c.id}`;
    } catch (e) {
      caseMsg.replaceChildren(errorBox(e));
    }
  };
  const onChange = (nf: Finding) => {
    const i = items.findIndex((f) => f.id === nf.id);
    if (i >= 0) items[i] = nf;
    if (nf.review?.state === 'confirmed') selected.add(nf.id);
    else selected.delete(nf.id);
    const row = view.querySelector(`tr[data-finding-id="${nf.id}"] input.select-finding`) as HTMLInputElement | null;
    if (row) row.checked = selected.has(nf.id);
  };
  const regulator = ctx.me.role === 'regulator';
  view.append(
    section(
      'app.findings',
      h('p.muted.small', null, t('scan.title', { id: scanId }), ' · ', `${latestDone.version_name ?? ''}`, ' · ', tx('scan', latestDone.status)),
      findingsTable(items, ctx.me, { select: regulator ? selected : undefined, onChange, sdks: scan.report?.sdks }),
      regulator && items.length
        ? h('div.inline-form', null, note, h('button.primary', { id: 'open-case', onclick: openCase }, t('app.open_case')), caseMsg)
        : null,
    ),
    section('app.sdks', sdkTable(scan.report?.sdks ?? [])),
    section('app.collections', collectionsTable(scan.report?.collections ?? [], scan.report?.sdks)),
  );
};
