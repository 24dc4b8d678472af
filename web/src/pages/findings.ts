// The findings of one scan with their review (confirm / false positive / waive, each with a
// reason), and one finding's evidence with its call paths.
import { h, mount, type Child } from '../dom';
import { t, tx, pick, categoryName, fmtTime } from '../i18n';
import { post, type Finding, type Me, type Evidence, type Sdk } from '../api';
import { severity, reviewBadge, reviewer, errorBox, link, method, callPath, readableText } from '../ui';

// The contract lets an enterprise review findings of its own apps; the server allows only the
// regulator (403 otherwise), so only the regulator gets the buttons.
const canReview = (me: Me) => me.role === 'regulator';

/** An inline form asking for a reason, then POSTing the review; calls done() with the new finding. */
function reviewForm(f: Finding, state: 'confirmed' | 'false_positive' | 'waived', done: (f: Finding) => void, cancel: () => void): HTMLElement {
  const reason = h('input', { type: 'text', name: 'reason', placeholder: t('common.reason'), 'aria-label': t('common.reason') });
  const msg = h('span.form-error');
  const send = async (e: Event) => {
    e.preventDefault();
    if (!reason.value.trim()) {
      msg.textContent = t('finding.reason_needed');
      return;
    }
    try {
      done(await post<Finding>(`findings/${f.id}/review`, { state, reason: reason.value.trim() }));
    } catch (err) {
      msg.replaceChildren(errorBox(err));
    }
  };
  const form = h(
    'form.inline-form.review-form',
    { onsubmit: send },
    h('strong', null, tx('review', state)),
    reason,
    h('button.primary', { type: 'submit' }, t('common.save')),
    h('button', { type: 'button', onclick: cancel }, t('common.cancel')),
    msg,
  );
  setTimeout(() => reason.focus());
  return form;
}

/** The review cell: the state, and the three actions for those allowed to review. */
export function reviewCell(f: Finding, me: Me, onChange: (f: Finding) => void): HTMLElement {
  const cell = h('div.review-cell', { 'data-finding': f.id });
  const show = () => {
    mount(
      cell,
      reviewBadge(f.review),
      f.review ? h('div.muted.small', null, f.review.reason) : null,
      canReview(me)
        ? h(
            'div.review-actions',
            null,
            (['confirmed', 'false_positive', 'waived'] as const).map((state) =>
              h(
                `button.small.act-${state}`,
                {
                  'data-action': state,
                  disabled: f.review?.state === state,
                  onclick: () =>
                    mount(
                      cell,
                      reviewForm(
                        f,
                        state,
                        (nf) => {
                          f = nf;
                          show();
                          onChange(nf);
                        },
                        show,
                      ),
                    ),
                },
                t(state === 'confirmed' ? 'finding.confirm' : state === 'false_positive' ? 'finding.false_positive' : 'finding.waive'),
              ),
            ),
          )
        : null,
    );
  };
  show();
  return cell;
}

/** The findings table; `select` adds a checkbox column (for opening a case). */
export function findingsTable(
  findings: Finding[],
  me: Me,
  opts: { select?: Set<number>; onChange?: (f: Finding) => void; sdks?: Sdk[] } = {},
): HTMLElement {
  if (findings.length === 0) return h('p.empty', null, t('common.none'));
  const { select, onChange = () => {}, sdks = [] } = opts;
  return h(
    'table.grid.findings',
    null,
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        select ? h('th') : null,
        h('th', null, t('finding.severity')),
        h('th', null, t('finding.title')),
        h('th', null, t('finding.category')),
        h('th', null, t('finding.party')),
        h('th', null, t('finding.evidence')),
        h('th', null, t('finding.review')),
      ),
    ),
    h(
      'tbody',
      null,
      findings.map((f) =>
        h(
          'tr',
          { 'data-rule': f.rule, 'data-finding-id': f.id },
          select
            ? h(
                'td',
                null,
                h('input', {
                  type: 'checkbox',
                  class: 'select-finding',
                  'aria-label': f.rule,
                  checked: select.has(f.id),
                  onchange: (e: Event) => ((e.target as HTMLInputElement).checked ? select.add(f.id) : select.delete(f.id)),
                }),
              )
            : null,
          h('td', null, severity(f.severity)),
          h('td', null, h('div', null, pick(f.finding?.title ?? f.title, f.finding?.title_zh)), h('div.muted.small', null, f.rule)),
          h('td', null, categoryName(f.category)),
          h('td', null, partyName(partyOf(f), sdks)),
          h('td', null, link(`#/scans/${f.scan_id}/findings/${f.id}`, t('finding.view_evidence'), ` (${f.finding?.evidence?.length ?? 0})`)),
          h('td', null, reviewCell(f, me, onChange)),
        ),
      ),
    ),
  );
}

/** The finding's party from the report itself: the server's row turns a null party (the app
 *  package as a whole) into "app". */
export const partyOf = (f: Finding): string | null => (f.finding && 'party' in f.finding ? f.finding.party : f.party);

/** 'app', null or an SDK id, as a reader wants it (the SDK's name when the report is at hand). */
export function partyName(p: string | null | undefined, sdks: Sdk[] = []): string {
  if (p === null || p === undefined) return t('party.none');
  if (p === 'app') return t('party.app');
  const sdk = sdks.find((s) => s.id === p);
  return sdk ? pick(sdk.name, sdk.name_zh) : p;
}

function evidenceItem(ev: Evidence, i: number): HTMLElement {
  const known = new Set(['kind', 'text', 'location', 'pi_type', 'api', 'path', 'path_via', 'entry', 'caller']);
  const extra = Object.entries(ev).filter(([k, v]) => !known.has(k) && v !== null && v !== undefined);
  const entry = ev.entry as { kind?: string; component?: string | null; method?: string } | undefined;
  const rows: [string, Child][] = [];
  if (ev.pi_type) rows.push([t('coll.pi_type'), h('code', null, ev.pi_type)]);
  if (ev.api) rows.push([t('coll.api'), method(ev.api)]);
  if (entry) rows.push([t('coll.entry'), h('span', null, h('span.badge', null, entry.kind ?? ''), ' ', entry.component ?? '')]);
  if (ev.location) rows.push([t('finding.location'), /->/.test(ev.location) ? method(ev.location) : h('code', null, ev.location)]);
  for (const [k, v] of extra) rows.push([k, h('code', null, typeof v === 'string' ? v : JSON.stringify(v))]);
  return h(
    'li.evidence',
    { 'data-kind': ev.kind },
    h('div.evidence-head', null, h('span.badge.kind', null, ev.kind), h('span.num', null, `#${i + 1}`), h('span.evidence-text', { title: ev.text }, readableText(ev.text))),
    rows.length ? h('dl.kv', null, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])) : null,
    ev.path && ev.path.length ? h('div.path-block', null, h('div.muted.small', null, t('coll.path')), callPath(ev.path, ev.path_via)) : null,
  );
}

/** One finding in full: what, which clauses, review, and every piece of evidence readable. */
export function findingDetail(f: Finding, me: Me, onChange: (f: Finding) => void, sdks: Sdk[] = []): HTMLElement {
  const rf = f.finding;
  return h(
    'div.finding-detail',
    null,
    h('div.page-head', null, h('h1', null, severity(f.severity), ' ', pick(rf?.title ?? f.title, rf?.title_zh))),
    h(
      'section.card',
      null,
      h(
        'dl.kv',
        null,
        h('dt', null, t('finding.rule')),
        h('dd', null, h('code', null, f.rule)),
        h('dt', null, t('finding.category')),
        h('dd', null, categoryName(f.category)),
        h('dt', null, t('finding.party')),
        h('dd', null, partyName(partyOf(f), sdks)),
        h('dt', null, t('finding.clauses')),
        h('dd', null, (rf?.clauses ?? []).map((c) => h('code.clause', null, c))),
        h('dt', null, t('finding.confidence')),
        h('dd', null, rf ? rf.confidence.toFixed(2) : '—'),
        h('dt', null, t('finding.review')),
        h('dd', null, reviewCell(f, me, onChange), f.review ? h('div.muted.small', null, t('finding.reviewed_by', { by: reviewer(f.review), at: fmtTime(f.review.at) })) : null),
      ),
    ),
    h(
      'section.card',
      null,
      h('h2', null, t('finding.evidence'), ` (${rf?.evidence?.length ?? 0})`),
      h('ol.evidence-list', null, (rf?.evidence ?? []).map(evidenceItem)),
      h('details', null, h('summary', null, t('finding.raw')), h('pre.raw', null, JSON.stringify(rf?.evidence ?? [], null, 2))),
    ),
  );
}
