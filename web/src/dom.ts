// A tiny DOM builder: h('div.card', {onclick}, child, ...) instead of a framework. Pages
// rebuild their part of the page from data; nothing here diffs or keeps state.

export type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, unknown>;

/** Creates an element. `tag` may carry classes: 'button.primary.small'. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K | `${K}.${string}`,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name as K);
  if (classes.length) el.className = classes.join(' ');
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v as EventListener);
    } else if (k === 'class') {
      el.className = [el.className, String(v)].filter(Boolean).join(' ');
    } else if (k === 'style' && typeof v === 'object') {
      Object.assign(el.style, v);
    } else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'disabled') {
      (el as unknown as Record<string, unknown>)[k] = v;
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else parent.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces everything in `el` with `children`. */
export function mount(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A table from rows; `cols` are [header, cell(row)] pairs. */
export function table<T>(rows: T[], cols: [string, (r: T) => Child][], empty: string, attrs?: Attrs): HTMLElement {
  if (rows.length === 0) return h('p.empty', null, empty);
  return h(
    'table.grid',
    attrs ?? null,
    h('thead', null, h('tr', null, cols.map(([head]) => h('th', null, head)))),
    h('tbody', null, rows.map((r) => h('tr', null, cols.map(([, cell]) => h('td', null, cell(r)))))),
  );
}
