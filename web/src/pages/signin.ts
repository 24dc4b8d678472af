// Sign-in with an API token: checked against GET /me before it is kept (sessionStorage).
import { h, mount } from '../dom';
import { t } from '../i18n';
import { apiUrl } from '../api';
import type { Page } from './page';

export const signInPage: Page = (view, ctx) => {
  const input = h('input', {
    id: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: '0123abcd…',
    required: true,
  });
  const msg = h('p.form-error', { role: 'alert' }, ctx.message ? t(ctx.message) : '');
  const submit = async (e: Event) => {
    e.preventDefault();
    const tok = input.value.trim();
    if (!tok) return;
    msg.textContent = '';
    const res = await fetch(apiUrl('me'), { headers: { Authorization: `Bearer ${tok}` } });
    if (res.ok) await ctx.signedIn!(tok);
    else msg.textContent = res.status === 401 ? t('signin.bad') : `${t('common.error')}: ${res.status}`;
  };
  mount(
    view,
    h(
      'form.card.signin',
      { onsubmit: submit },
      h('h1', null, t('signin.title')),
      h('label', { for: 'token' }, t('signin.token')),
      input,
      h('p.hint', null, t('signin.hint')),
      msg,
      h('button.primary', { type: 'submit', id: 'signin-submit' }, t('signin.submit')),
    ),
  );
  input.focus();
};
