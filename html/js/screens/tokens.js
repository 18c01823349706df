// API tokens of the signed-in user: list, create (secret shown once), revoke.
import { api } from '../api.js';
import { button, field, formValues, h, row, showError, table, clearErrors, fill } from '../dom.js';
import { fmtTime, t } from '../i18n.js';

export async function render(el) {
  const list = h('div');
  const secret = h('p', { id: 'new-token', hidden: true });
  const form = h('form', { id: 'token-form', class: 'inline-form', novalidate: true },
    field('token.name', h('input', { name: 'name', required: true, maxlength: 100 }),
          { required: true }),
    h('button', { type: 'submit', class: 'primary' }, t('token.create')),
    h('p', { class: 'form-error', role: 'alert' }));

  async function load() {
    try {
      const { items } = await api('GET', '/tokens');
      fill(list, table(['token.name', 'token.prefix', 'common.created', 'token.expires', ''],
        items.map((tk) => row([tk.name, h('code', null, tk.prefix), fmtTime(tk.created_at),
          tk.expires_at ? fmtTime(tk.expires_at) : t('token.never'),
          button('token.revoke', async () => {
            if (!confirm(t('token.confirmRevoke', { name: tk.name }))) return;
            try { await api('DELETE', `/tokens/${tk.id}`); load(); } catch (e) { showError(form, e); }
          })])), { empty: t('common.none') }));
    } catch (e) { showError(form, e); }
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const body = formValues(form);
    if (!body.name) { showError(form, { field: 'name', message: t('common.required') }); return; }
    try {
      const tk = await api('POST', '/tokens', body);
      form.reset();
      secret.hidden = false;
      fill(secret, t('token.shownOnce'), ' ', h('code', null, tk.token));
      load();
    } catch (e) { showError(form, e); }
  });

  el.append(h('h2', null, t('nav.tokens')), list, h('h3', null, t('token.new')), form, secret);
  await load();
}
