// Submit an APK: the file is the request body (XMLHttpRequest, for upload progress), then the
// scan is polled until it is done or failed, with a link to the result.
import { h, mount } from '../dom';
import { t, tx } from '../i18n';
import { get, upload, ApiError, type Scan, type Submitted } from '../api';
import { link, errorBox } from '../ui';
import type { Page } from './page';

export const uploadPage: Page = (view, ctx) => {
  const file = h('input', { type: 'file', id: 'upload-file', accept: '.apk,application/vnd.android.package-archive', 'aria-label': t('upload.file') });
  const appType = h('input', { type: 'text', id: 'upload-app-type', placeholder: '浏览器' });
  const channel = h('input', { type: 'text', id: 'upload-channel' });
  const enterprise = h('input', { type: 'text', id: 'upload-enterprise', value: ctx.me.enterprise?.name ?? '' });
  const recheck = h('input', { type: 'checkbox', id: 'upload-recheck' });
  const bar = h('progress', { id: 'upload-progress', max: 100, value: 0 });
  const pct = h('span', { id: 'upload-percent' }, '');
  const state = h('div', { id: 'upload-state', 'aria-live': 'polite' });
  const button = h('button.primary', { type: 'submit', id: 'upload-submit' }, t('upload.submit'));

  const submit = async (e: Event) => {
    e.preventDefault();
    const f = file.files?.[0];
    if (!f) {
      mount(state, h('p.form-error', null, t('upload.choose')));
      return;
    }
    const q = new URLSearchParams();
    if (appType.value.trim()) q.set('app_type', appType.value.trim());
    if (channel.value.trim()) q.set('source_channel', channel.value.trim());
    if (enterprise.value.trim()) q.set('enterprise', enterprise.value.trim());
    if (recheck.checked) q.set('recheck', '1');
    button.disabled = true;
    bar.value = 0;
    mount(state);
    let sub: Submitted;
    try {
      sub = await upload<Submitted>(`submissions${q.size ? `?${q}` : ''}`, f, (fr) => {
        bar.value = Math.round(fr * 100);
        pct.textContent = t('upload.uploading', { p: Math.round(fr * 100) });
      });
    } catch (err) {
      button.disabled = false;
      mount(state, err instanceof ApiError && err.status === 413 ? h('p.form-error', null, t('upload.too_big')) : errorBox(err));
      return;
    }
    pct.textContent = '100%';
    const head = h('p', null, sub.existing ? t('upload.existing') : t('upload.uploaded'), ' · ', link(`#/scans/${sub.scan_id}`, `#${sub.scan_id}`));
    const line = h('p', { id: 'scan-state' });
    mount(state, head, line);
    // Poll until the scan ends or the page is left.
    for (;;) {
      if (!view.isConnected) return;
      let scan: Scan;
      try {
        scan = await get<Scan>(`scans/${sub.scan_id}`);
      } catch (err) {
        state.appendChild(errorBox(err));
        break;
      }
      if (scan.status === 'done') {
        mount(
          line,
          h('span.badge.st-done', null, t('upload.done')),
          ' ',
          link(`#/scans/${sub.scan_id}`, t('upload.view')),
          scan.app ? [' · ', link(`#/apps/${scan.app.id}`, scan.app.label ?? scan.app.package)] : null,
          ` · ${t('apps.findings')}: ${scan.findings_count}`,
        );
        line.dataset.status = 'done';
        break;
      }
      if (scan.status === 'failed') {
        mount(line, h('span.form-error', null, t('upload.failed', { e: scan.error ?? '' })), ' ', link(`#/scans/${sub.scan_id}`, t('upload.view')));
        line.dataset.status = 'failed';
        break;
      }
      mount(line, t('upload.waiting', { s: tx('scan', scan.status) }));
      await new Promise((r) => setTimeout(r, 700));
    }
    button.disabled = false;
  };

  mount(
    view,
    h('h1', null, t('upload.title')),
    h(
      'form.card.upload',
      { onsubmit: submit },
      h('label', { for: 'upload-file' }, t('upload.file')),
      file,
      h('label', { for: 'upload-app-type' }, t('upload.app_type')),
      appType,
      h('label', { for: 'upload-channel' }, t('upload.channel')),
      channel,
      ctx.me.role !== 'distributor' ? [h('label', { for: 'upload-enterprise' }, t('upload.enterprise')), enterprise] : null,
      h('label.check', null, recheck, t('upload.recheck')),
      h('div.progress-row', null, bar, pct),
      button,
      state,
    ),
  );
};
