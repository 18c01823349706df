// Roles: a name and a set of permissions (docs/commands.md § Permissions).
import { api, isMissingEndpoint, listAll } from '../api.js';
import { button, clearErrors, field, h, row, showError, table, fill } from '../dom.js';
import { fmtTime, t } from '../i18n.js';

export const PERMISSIONS = ['candidates.operate_other', 'bulk_actions.manage', 'messages.view_reply',
  'integrations.admin', 'templates.manage', 'campaigns.manage', 'users.admin'];

export async function render(el) {
  const list = h('div', { id: 'roles' });
  const editor = h('section', { class: 'panel' });
  el.append(h('h2', null, t('nav.roles')), list, editor);

  function form(r) {
    const f = h('form', { class: 'grid-form', id: 'role-form', novalidate: true },
      field('role.name', h('input', { name: 'name', required: true, maxlength: 200, value: r ? r.name : '' }),
            { required: true }),
      h('fieldset', { class: 'checks' }, h('legend', null, t('role.permissions')),
        PERMISSIONS.map((p) => h('label', { class: 'check' },
          h('input', { type: 'checkbox', name: 'permissions', value: p,
                       checked: !!r && (r.permissions || []).includes(p) }),
          ' ', t(`perm.${p}`), ' ', h('code', null, p))),
        h('p', { class: 'field-error', dataset: { errorFor: 'permissions' } })),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'primary' }, t(r ? 'common.save' : 'role.create')),
        r ? button('common.cancel', () => form(null)) : null),
      h('p', { class: 'form-error', role: 'alert' }));
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(f);
      const name = f.elements.name.value.trim();
      if (!name) { showError(f, { field: 'name', message: t('common.required') }); return; }
      const permissions = [...f.querySelectorAll('input[name=permissions]:checked')].map((c) => c.value);
      try {
        if (r) await api('PATCH', `/roles/${r.id}`, { name, permissions });
        else await api('POST', '/roles', { name, permissions });
        form(null);
        await load();
      } catch (e) { showError(f, e); }
    });
    fill(editor, h('h3', null, r ? t('role.edit', { name: r.name }) : t('role.new')), f);
    if (r) f.elements.name.focus();
  }

  async function load() {
    let roles;
    try { roles = await listAll('/roles'); } catch (e) {
      fill(list, h('p', { class: 'form-error', role: 'alert' },
        isMissingEndpoint(e) ? t('common.notYet') : e.message));
      return;
    }
    fill(list, table(['role.name', 'role.permissions', 'common.lastEdit', ''],
      roles.map((r) => row([
        r.name,
        h('ul', { class: 'chips' }, (r.permissions || []).map((p) => h('li', { title: p }, t(`perm.${p}`)))),
        fmtTime(r.updated_at),
        h('span', { class: 'row-actions' },
          button('common.edit', () => form(r), { 'aria-label': t('role.edit', { name: r.name }) }),
          r.builtin ? null : button('common.delete', async () => {
            if (!confirm(t('common.confirmDelete', { name: r.name }))) return;
            try { await api('DELETE', `/roles/${r.id}`); await load(); } catch (e) {
              showError(editor, e);
            }
          }, { class: 'danger', 'aria-label': `${t('common.delete')} ${r.name}` })),
      ])), { empty: t('common.none') }));
  }

  form(null);
  await load();
}
