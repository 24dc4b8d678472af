// Shared pieces of the pages: badges, links, errors, Dalvik descriptors made readable.
import { h, type Child } from './dom';
import { t, tx, fmtTime, type Key } from './i18n';
import { currentUser, type Review } from './api';

export const link = (href: string, ...children: Child[]) => h('a', { href }, ...children);

export function severity(s: string): HTMLElement {
  return h(`span.badge.sev-${s}`, null, tx('sev', s));
}
export function status(prefix: 'scan' | 'status', s: string | null): HTMLElement {
  return h(`span.badge.st-${s ?? 'none'}`, null, s ? tx(prefix, s) : '—');
}
/** Who reviewed: a name, or the user id the server sends. */
export function reviewer(r: Review): string {
  if (typeof r.by === 'number') return r.by === currentUser?.id ? currentUser.name : t('finding.user', { id: r.by });
  return r.by ?? '—';
}
export function reviewBadge(r: Review | null): HTMLElement {
  if (!r) return h('span.badge.rv-none', null, t('finding.not_reviewed'));
  return h(`span.badge.rv-${r.state}`, { title: `${r.reason} — ${t('finding.reviewed_by', { by: reviewer(r), at: fmtTime(r.at) })}` }, tx('review', r.state));
}

export function errorBox(e: unknown): HTMLElement {
  const msg = e instanceof Error ? e.message : String(e);
  return h('div.error', { role: 'alert' }, `${t('common.error')}: ${msg}`);
}
export const loading = () => h('p.loading', null, t('common.loading'));

export function section(title: Key | string, ...children: Child[]): HTMLElement {
  const text = title.includes('.') ? t(title as Key) : title;
  return h('section.card', null, h('h2', null, text), ...children);
}

/** Dalvik type descriptor → Java-ish name: 'Ljava/lang/String;' → 'String', '[I' → 'int[]'. */
export function typeName(desc: string, short = true): string {
  let dims = 0;
  while (desc[dims] === '[') dims++;
  const base = desc.slice(dims);
  const prim: Record<string, string> = {
    V: 'void', Z: 'boolean', B: 'byte', S: 'short', C: 'char', I: 'int', J: 'long', F: 'float', D: 'double',
  };
  let name = prim[base] ?? base.replace(/^L/, '').replace(/;$/, '').replaceAll('/', '.');
  if (short && !prim[base]) name = name.slice(name.lastIndexOf('.') + 1);
  return name + '[]'.repeat(dims);
}

/** Splits a parameter list 'ILjava/lang/String;[J' into descriptors. */
function params(list: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < list.length) {
    let j = i;
    while (list[j] === '[') j++;
    if (list[j] === 'L') j = list.indexOf(';', j);
    if (j < 0) break;
    out.push(list.slice(i, j + 1));
    i = j + 1;
  }
  return out;
}

/**
 * A method descriptor 'Lcom/a/B;->run(ILjava/lang/String;)V' as 'com.a.B.run(int, String)';
 * anything else (a URI, a settings key, "...") is returned as it is.
 */
export function methodName(desc: string): string {
  const m = /^(\[*L[^;]+;)->([^(:]+)(?:\(([^)]*)\)(.*))?(?::(.*))?$/.exec(desc);
  if (!m) return desc;
  const cls = typeName(m[1], false);
  if (m[3] === undefined && m[4] === undefined) return `${cls}.${m[2]}`;
  return `${cls}.${m[2]}(${params(m[3] ?? '').map((p) => typeName(p)).join(', ')})`;
}

/** A sentence with method descriptors in it, the descriptors made readable. */
export function readableText(s: string): string {
  return s.replace(/\[*L[^;\s]+;->[^\s(:]+(?:\([^)\s]*\)[^\s,)]*|:\S+)?/g, (m) => methodName(m));
}

/** A method shown readable, with its exact descriptor on hover and for copying. */
export function method(desc: string): HTMLElement {
  return h('code.method', { title: desc }, methodName(desc));
}

/** A witness path: one frame per line, each with how it was reached from the previous one. */
export function callPath(path: string[], via?: string[]): HTMLElement {
  if (!path || path.length === 0) return h('span.muted', null, '—');
  return h(
    'ol.callpath',
    null,
    path.map((frame, i) =>
      h(
        'li',
        null,
        i > 0 && via?.[i - 1] ? h('span.via', { title: t('finding.path_via') }, via[i - 1]) : null,
        frame === '...' ? h('span.muted', null, '…') : method(frame),
      ),
    ),
  );
}

export function pager(total: number, offset: number, limit: number, go: (offset: number) => void): HTMLElement | null {
  if (total <= limit) return null;
  return h(
    'div.pager',
    null,
    h('button', { disabled: offset === 0, onclick: () => go(Math.max(0, offset - limit)) }, t('common.prev')),
    h('span', null, `${offset + 1}–${Math.min(total, offset + limit)} / ${total}`),
    h('button', { disabled: offset + limit >= total, onclick: () => go(offset + limit) }, t('common.next')),
  );
}
