// The dashboard: hash routes (#/apps/3), a header with the navigation, the user and the
// language switch, and one page at a time below it.
import './style.css';
import { h, mount } from './dom';
import { t, lang, setLang, tx, type Key } from './i18n';
import { get, setToken, token, setUnauthorizedHandler, setCurrentUser, type Me } from './api';
import { errorBox, loading } from './ui';
import type { Page } from './pages/page';
import { signInPage } from './pages/signin';
import { overviewPage } from './pages/overview';
import { appsPage, appPage } from './pages/apps';
import { scanPage, findingPage } from './pages/scans';
import { casesPage, casePage } from './pages/cases';
import { enterprisesPage, distributorsPage, noticesPage } from './pages/orgs';
import { uploadPage } from './pages/upload';

const routes: [RegExp, Page][] = [
  [/^$/, overviewPage],
  [/^apps$/, appsPage],
  [/^apps\/(\d+)$/, appPage],
  [/^scans\/(\d+)$/, scanPage],
  [/^scans\/(\d+)\/findings\/(\d+)$/, findingPage],
  [/^cases$/, casesPage],
  [/^cases\/(\d+)$/, casePage],
  [/^enterprises$/, enterprisesPage],
  [/^distributors$/, distributorsPage],
  [/^notices$/, noticesPage],
  [/^upload$/, uploadPage],
];

const nav: [string, Key, Me['role'][]][] = [
  ['#/', 'nav.overview', ['regulator', 'enterprise', 'distributor']],
  ['#/apps', 'nav.apps', ['regulator', 'enterprise', 'distributor']],
  ['#/cases', 'nav.cases', ['regulator', 'enterprise']],
  ['#/enterprises', 'nav.enterprises', ['regulator']],
  ['#/distributors', 'nav.distributors', ['regulator']],
  ['#/notices', 'nav.notices', ['regulator', 'distributor']],
  ['#/upload', 'nav.upload', ['regulator', 'enterprise', 'distributor']],
];

const root = document.getElementById('app')!;
let me: Me | null = null;
let signInMessage: Key | null = null;

setUnauthorizedHandler(() => {
  if (!token()) return;
  setToken(null);
  me = null;
  signInMessage = 'signin.expired';
  if (location.hash === '#/signin') void render();
  else location.hash = '#/signin'; // renders on hashchange
});

/** '#/apps?q=x' → ['apps', {q: 'x'}] */
function parseHash(): [string, URLSearchParams] {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query] = raw.split('?', 2);
  return [path.replace(/\/$/, ''), new URLSearchParams(query ?? '')];
}

function header(current: string): HTMLElement {
  const switchLang = () => {
    setLang(lang === 'en' ? 'zh-CN' : 'en');
    render();
  };
  return h(
    'header.top',
    null,
    h('a.brand', { href: '#/' }, h('strong', null, 'appaudit'), h('span', null, t('app.title'))),
    me
      ? h(
          'nav',
          null,
          nav
            .filter(([, , roles]) => roles.includes(me!.role))
            .map(([href, key]) => {
              const path = href.slice(2);
              const active = path === '' ? current === '' : current === path || current.startsWith(`${path}/`);
              return h('a', { href, class: active ? 'active' : undefined, 'data-nav': path || 'overview' }, t(key));
            }),
        )
      : h('nav'),
    h(
      'div.user',
      null,
      me
        ? h(
            'span.who',
            null,
            me.name,
            ' · ',
            tx('role', me.role),
            me.enterprise ? ` · ${me.enterprise.name}` : null,
            me.distributor ? ` · ${me.distributor.name}` : null,
          )
        : null,
      h('button.link', { id: 'lang-switch', onclick: switchLang }, t('app.lang_switch')),
      me
        ? h(
            'button.link',
            {
              id: 'signout',
              onclick: () => {
                setToken(null);
                me = null;
                location.hash = '#/signin';
              },
            },
            t('nav.signout'),
          )
        : null,
    ),
  );
}

let generation = 0;

async function render(): Promise<void> {
  const gen = ++generation;
  const [path, query] = parseHash();
  document.title = `appaudit · ${t('app.title')}`;

  if (!token() || path === 'signin') {
    me = null;
    const view = h('main.view');
    mount(root, header(path), view);
    // Kept until the next sign-in, so re-renders (language switch) keep saying why.
    const message = signInMessage;
    signInPage(view, {
      params: [],
      query,
      me: null as unknown as Me,
      message,
      signedIn: async (tok) => {
        setToken(tok);
        signInMessage = null;
        location.hash = '#/';
      },
    });
    return;
  }
  if (!me) {
    mount(root, header(path), h('main.view', null, loading()));
    try {
      me = await get<Me>('me');
      setCurrentUser(me);
    } catch (e) {
      if (gen === generation && token()) mount(root, header(path), h('main.view', null, errorBox(e)));
      return;
    }
    if (gen !== generation) return;
  }
  const view = h('main.view');
  mount(root, header(path), view);
  for (const [re, page] of routes) {
    const m = re.exec(path);
    if (m) {
      try {
        await page(view, { params: m.slice(1), query, me, refresh: render });
      } catch (e) {
        view.appendChild(errorBox(e));
      }
      return;
    }
  }
  mount(view, h('p', null, '404'));
}

window.addEventListener('hashchange', () => void render());
void render();
