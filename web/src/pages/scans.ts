// One scan: its status (polled until done or failed), the app, the findings with review, the
// SDKs and PI collections of its report; and one finding's evidence.
import { h, mount } from '../dom';
import { t, fmtTime, pick } from '../i18n';
import { get, type Scan, type Finding, type List, type Report, type Me } from '../api';
import { status, link, errorBox, section } from '../ui';
import { findingsTable, findingDetail } from './findings';
import { sdkTable, collectionsTable } from './report';
import type { Page } from './page';

export function reportSections(report: Report | undefined): HTMLElement[] {
  if (!report) return [];
  return [
    section('app.sdks', sdkTable(report.sdks ?? [])),
    section('app.collections', collectionsTable(report.collections ?? [], report.sdks)),
  ];
}

export async function findingsSection(scanId: number, me: Me, report?: Report): Promise<HTMLElement> {
  const list = await get<List<Finding>>(`scans/${scanId}/findings?limit=500`);
  return section('app.findings', findingsTable(list.items, me, { sdks: report?.sdks }));
}

export const scanPage: Page = async (view, ctx) => {
  const id = Number(ctx.params[0]);
  let scan = await get<Scan>(`scans/${id}`);
  // Poll while the scan is still in the queue; stop when the page is left.
  while ((scan.status === 'queued' || scan.status === 'running') && view.isConnected) {
    mount(view, h('h1', null, t('scan.title', { id })), h('p', { id: 'scan-status' }, t('scan.status'), ': ', status('scan', scan.status)));
    await new Promise((r) => setTimeout(r, 1000));
    if (!view.isConnected) return;
    scan = await get<Scan>(`scans/${id}`);
  }
  const app = scan.app;
  const head = h(
    'section.card',
    null,
    h(
      'dl.kv',
      null,
      h('dt', null, t('scan.status')),
      h('dd', { id: 'scan-status' }, status('scan', scan.status)),
      h('dt', null, t('scan.app')),
      h('dd', null, app ? link(`#/apps/${app.id}`, `${app.label ?? app.package} ${app.version_name ?? ''}`) : '—', app ? h('div.muted.small', null, app.package) : null),
      h('dt', null, t('app.sha256')),
      h('dd', null, h('code.hash', null, scan.sha256)),
      h('dt', null, t('app.submitted')),
      h('dd', null, fmtTime(scan.created_at)),
      h('dt', null, t('scan.attempts')),
      h('dd', null, scan.attempts),
      scan.error ? [h('dt', null, t('scan.error')), h('dd.form-error', null, scan.error)] : null,
    ),
    scan.report
      ? h(
          'button',
          {
            id: 'download-report',
            onclick: () => {
              const blob = new Blob([JSON.stringify(scan.report, null, 2)], { type: 'application/json' });
              const a = h('a', { href: URL.createObjectURL(blob), download: `scan-${id}.json` });
              a.click();
            },
          },
          t('scan.report_json'),
        )
      : null,
  );
  mount(view, h('h1', null, t('scan.title', { id }), ' ', app ? h('span.muted', null, pick(app.package, app.label)) : null), head);
  if (scan.status === 'done') {
    view.appendChild(await findingsSection(id, ctx.me, scan.report));
    for (const s of reportSections(scan.report)) view.appendChild(s);
  }
};

export const findingPage: Page = async (view, ctx) => {
  const scanId = Number(ctx.params[0]);
  const fid = Number(ctx.params[1]);
  const [list, scan] = await Promise.all([get<List<Finding>>(`scans/${scanId}/findings?limit=500`), get<Scan>(`scans/${scanId}`)]);
  const f = list.items.find((x) => x.id === fid);
  if (!f) {
    mount(view, errorBox(t('finding.not_found')));
    return;
  }
  mount(view, h('p', null, link(`#/scans/${scanId}`, '← ', t('scan.title', { id: scanId }))), findingDetail(f, ctx.me, () => {}, scan.report?.sdks));
};
