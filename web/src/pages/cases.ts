// The regulator's workflow: a board with one column per case state (deadlines, overdue cases
// flagged) and one case with its findings, history, recheck result and the next actions:
// order rectification with a deadline (责令整改), recheck, notify (通报), take down (下架).
import { h, mount } from '../dom';
import { t, fmtTime, tx, pick, categoryName } from '../i18n';
import { get, post, type Case, type List, type Me } from '../api';
import { status, link, errorBox, section, severity } from '../ui';
import type { Page } from './page';

const STATES: Case['status'][] = ['open', 'rectifying', 'notified', 'rectified', 'taken_down'];

type Action = 'order' | 'recheck' | 'notify' | 'takedown';
const NEXT: Record<Case['status'], Action[]> = {
  open: ['order'],
  rectifying: ['recheck', 'notify'],
  notified: ['takedown'],
  rectified: [],
  taken_down: [],
};

/** The default deadline offered: 15 working days are about three weeks. */
function defaultDeadline(): string {
  const d = new Date(Date.now() + 21 * 86400_000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The buttons for a case's next steps; each opens a small form and POSTs it. */
function actions(c: Case, me: Me, done: (c: Case) => void): HTMLElement | null {
  if (me.role !== 'regulator' || NEXT[c.status].length === 0) return null;
  const box = h('div.case-actions', { 'data-case': c.id });
  const buttons = () =>
    mount(
      box,
      NEXT[c.status].map((a) => h(`button.small.act-${a}`, { 'data-action': a, onclick: () => (a === 'recheck' ? send(a, {}) : form(a)) }, t(`cases.${a}`))),
    );
  const msg = h('span.form-error');
  const send = async (a: Action, body: Record<string, unknown>) => {
    try {
      done(await post<Case>(`cases/${c.id}/${a}`, body));
    } catch (e) {
      msg.replaceChildren(errorBox(e));
      box.appendChild(msg);
    }
  };
  const form = (a: Action) => {
    const note = h('input', { type: 'text', name: 'note', placeholder: t('common.note'), 'aria-label': t('common.note') });
    const date = a === 'order' ? h('input', { type: 'date', name: 'deadline', value: defaultDeadline(), 'aria-label': t('cases.deadline') }) : null;
    mount(
      box,
      h(
        'form.inline-form.action-form',
        {
          onsubmit: (e: Event) => {
            e.preventDefault();
            if (date) {
              if (!date.value) {
                msg.textContent = t('cases.deadline_needed');
                box.appendChild(msg);
                return;
              }
              // The end of the chosen day, local time.
              const [y, m, d] = date.value.split('-').map(Number);
              void send(a, { deadline: new Date(y, m - 1, d, 23, 59, 59).getTime(), note: note.value.trim() });
            } else void send(a, { note: note.value.trim() });
          },
        },
        h('strong', null, t(`cases.${a}`)),
        date ? h('label', null, t('cases.deadline'), ' ', date) : null,
        note,
        h('button.primary', { type: 'submit' }, t('common.save')),
        h('button', { type: 'button', onclick: buttons }, t('common.cancel')),
      ),
    );
  };
  buttons();
  return box;
}

function deadline(c: Case): HTMLElement {
  return h(
    'div.deadline',
    null,
    c.deadline ? `${t('cases.deadline')}: ${fmtTime(c.deadline, true)}` : c.status === 'open' ? t('cases.no_deadline') : null,
    c.overdue ? h('span.badge.overdue', null, t('cases.overdue')) : null,
  );
}

export const casesPage: Page = async (view, ctx) => {
  const overdueOnly = ctx.query.get('overdue') === '1';
  const list = await get<List<Case>>(`cases?limit=500${overdueOnly ? '&overdue=1' : ''}`);
  const card = (c: Case) =>
    h(
      `article.case-card${c.overdue ? '.is-overdue' : ''}`,
      { 'data-case-id': c.id },
      h('div.case-title', null, link(`#/cases/${c.id}`, `#${c.id}`), ' ', link(`#/apps/${c.app.id}`, c.app.label || c.app.package)),
      c.enterprise ? h('div.muted.small', null, c.enterprise.name) : null,
      h('div.small', null, `${t('cases.findings')}: ${c.findings.length}`),
      deadline(c),
      actions(c, ctx.me, () => void ctx.refresh?.()),
    );
  mount(
    view,
    h(
      'div.page-head',
      null,
      h('h1', null, t('cases.title')),
      h('span.muted', null, t('common.total', { n: list.total })),
      h(
        'label.check',
        null,
        h('input', { type: 'checkbox', id: 'overdue-only', checked: overdueOnly, onchange: (e: Event) => (location.hash = (e.target as HTMLInputElement).checked ? '#/cases?overdue=1' : '#/cases') }),
        t('cases.overdue_only'),
      ),
    ),
    h(
      'div.board',
      null,
      STATES.map((s) => {
        const cards = list.items.filter((c) => c.status === s);
        return h(
          'section.column',
          { 'data-status': s },
          h('h2', null, status('status', s), h('span.count', null, cards.length)),
          cards.length ? cards.map(card) : h('p.empty', null, t('cases.empty')),
        );
      }),
    ),
  );
};

export const casePage: Page = async (view, ctx) => {
  const id = Number(ctx.params[0]);
  const draw = (c: Case) =>
    mount(
      view,
      h('p', null, link('#/cases', '← ', t('cases.title'))),
      h(
        'div.page-head',
        null,
        h('h1', null, t('cases.case', { id: c.id }), ' · ', link(`#/apps/${c.app.id}`, c.app.label || c.app.package)),
        status('status', c.status),
        c.overdue ? h('span.badge.overdue', null, t('cases.overdue')) : null,
      ),
      h(
        'section.card',
        null,
        h(
          'dl.kv',
          null,
          h('dt', null, t('apps.package')),
          h('dd', null, h('code', null, c.app.package)),
          h('dt', null, t('apps.enterprise')),
          h('dd', null, c.enterprise?.name ?? '—'),
          h('dt', null, t('cases.deadline')),
          h('dd', { id: 'case-deadline' }, c.deadline ? fmtTime(c.deadline, true) : '—'),
          c.note ? [h('dt', null, t('common.note')), h('dd', null, c.note)] : null,
        ),
        actions(c, ctx.me, draw),
      ),
      section(
        'cases.findings',
        h(
          'ul.case-findings',
          null,
          c.findings.map((f) =>
            h(
              'li',
              null,
              severity(f.severity),
              ' ',
              link(`#/scans/${f.scan_id}/findings/${f.id}`, pick(f.finding?.title ?? f.title, f.finding?.title_zh)),
              h('span.muted.small', null, ` ${f.rule} · ${categoryName(f.category)}`),
            ),
          ),
        ),
      ),
      c.recheck
        ? section(
            'cases.recheck_result',
            h(
              'dl.kv',
              { id: 'recheck-result' },
              h('dt', null, t('app.scan')),
              h('dd', null, link(`#/scans/${c.recheck.scan_id}`, `#${c.recheck.scan_id}`)),
              h('dt', null, t('cases.remaining')),
              h('dd', null, c.recheck.remaining.join(', ') || '—'),
              h('dt', null, t('cases.fixed')),
              h('dd', null, c.recheck.fixed.join(', ') || '—'),
            ),
          )
        : null,
      section(
        'cases.history',
        h(
          'ol.timeline',
          { id: 'case-history' },
          c.history.map((e) => h('li', null, h('span.when', null, fmtTime(e.at)), h('strong', null, tx('action', e.action)), h('span.muted', null, ` · ${e.by}`), e.note ? h('div', null, e.note) : null)),
        ),
      ),
    );
  draw(await get<Case>(`cases/${id}`));
};
