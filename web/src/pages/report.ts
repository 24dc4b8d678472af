// Tables over a scan report: the SDKs found and the PI collections with their witness paths.
import { h, mount, table } from '../dom';
import { t, pick } from '../i18n';
import type { Collection, Sdk } from '../api';
import { method, callPath } from '../ui';
import { partyName } from './findings';

export function sdkTable(sdks: Sdk[]): HTMLElement {
  return table(
    sdks,
    [
      [t('sdk.name'), (s) => h('span', null, pick(s.name, s.name_zh), h('div.muted.small', null, s.id))],
      [t('sdk.vendor'), (s) => s.vendor],
      [t('sdk.category'), (s) => s.category],
      [t('sdk.collects'), (s) => (s.collects ? h('span.badge.sev-medium', null, t('common.yes')) : t('common.no'))],
      [t('sdk.pi_types'), (s) => s.pi_types.join(', ') || '—'],
    ],
    t('common.none'),
    { id: 'sdk-table' },
  );
}

/** Collections, reachable ones first, pre-consent ones first of all; the first 50 then a button for the rest. */
export function collectionsTable(all: Collection[], sdks: Sdk[] = []): HTMLElement {
  const box = h('div.collections');
  const sorted = [...all].sort((a, b) => Number(b.pre_consent) - Number(a.pre_consent) || Number(b.reachable) - Number(a.reachable));
  const draw = (limit: number) => {
    const rows = sorted.slice(0, limit);
    mount(
      box,
      table(
        rows,
        [
          [t('coll.pi_type'), (c) => h('code', null, c.pi_type)],
          [t('coll.party'), (c) => partyName(c.party, sdks)],
          [t('coll.api'), (c) => method(c.api)],
          [t('coll.entry'), (c) => (c.entry ? h('span', null, h('span.badge', null, c.entry.kind), h('div.muted.small', null, c.entry.component ?? '')) : '—')],
          [t('coll.pre_consent'), (c) => (c.pre_consent ? h('span.badge.sev-high', null, t('common.yes')) : c.reachable ? t('common.no') : '—')],
          [t('coll.guard'), (c) => c.consent_guard ?? '—'],
          [
            t('coll.path'),
            (c) =>
              c.path.length
                ? h('details', null, h('summary', null, `${c.path.length} ${t('coll.path')}`), callPath(c.path, c.path_via))
                : h('span.muted', null, '—'),
          ],
        ],
        t('common.none'),
        { id: 'collections-table' },
      ),
      sorted.length > limit ? h('button', { onclick: () => draw(sorted.length) }, t('coll.show_all', { n: sorted.length })) : null,
    );
  };
  draw(50);
  return box;
}
