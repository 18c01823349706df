// Users: list, add, and edit name, status, role, password and master groups.
import { api, tryList } from '../api.js';
import { badge, button, clearErrors, field, formValues, h, row, select, showError, table, fill } from '../dom.js';
import { fmtTime, t } from '../i18n.js';

export async function render(el, params, ctx) {
  const list = h('div', { id: 'users' });
  const editor = h('section', { class: 'panel', hidden: true, 'aria-labelledby': 'user-edit-title' });
  let roles = null;
  let groups = null;
  let users = [];
  const userName = (id) => (users.find((u) => u.id === id) || {}).name || (id ? `#${id}` : '');

  const roleSelect = (value) => (roles
    ? select('role_id', [['', t('user.defaultRole')], ...roles.map((r) => [r.id, r.name])], value)
    : null);

  function groupBoxes(selected) {
    if (!groups) return null;
    const box = h('fieldset', { class: 'checks' }, h('legend', null, t('user.groups')));
    if (!groups.length) box.append(h('p', { class: 'hint' }, t('common.none')));
    for (const g of groups) {
      box.append(h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'master_group_ids', value: g.id, dataset: { multi: '1' },
                     checked: (selected || []).includes(g.id) }), ' ', g.name));
    }
    box.append(h('p', { class: 'field-error', dataset: { errorFor: 'master_group_ids' } }));
    return box;
  }

  const checkedIds = (form, name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)]
    .map((c) => Number(c.value));

  function body(form) {
    const v = formValues(form);
    if (v.role_id) v.role_id = Number(v.role_id);
    if (groups) v.master_group_ids = checkedIds(form, 'master_group_ids');
    return v;
  }

  const createForm = h('form', { id: 'user-form', class: 'grid-form', novalidate: true },
    field('user.name', h('input', { name: 'name', required: true, maxlength: 200 }), { required: true }),
    field('user.email', h('input', { name: 'email', type: 'email', required: true }), { required: true }),
    field('user.password', h('input', { name: 'password', type: 'password', autocomplete: 'new-password' }),
          { hint: t('user.passwordHint') }),
    h('div', { class: 'slot-role' }),
    h('div', { class: 'slot-groups' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('user.add'))),
    h('p', { class: 'form-error', role: 'alert' }));

  createForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(createForm);
    try {
      const b = body(createForm);
      if (b.master_group_ids && !b.master_group_ids.length) delete b.master_group_ids;
      await api('POST', '/users', b);
      createForm.reset();
      await load();
    } catch (e) { showError(createForm, e); }
  });

  function edit(u) {
    const form = h('form', { class: 'grid-form', novalidate: true, id: 'user-edit-form' },
      field('user.name', h('input', { name: 'name', value: u.name, required: true })),
      field('user.status', select('status', [['active', t('status.active')],
                                             ['disabled', t('status.disabled')]], u.status)),
      roles ? field('user.role', roleSelect(u.role_id)) : null,
      field('user.newPassword', h('input', { name: 'password', type: 'password',
                                             autocomplete: 'new-password' }),
            { hint: t('user.passwordHint') }),
      groupBoxes(u.master_group_ids),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'primary' }, t('common.save')),
        button('common.cancel', () => { editor.hidden = true; })),
      h('p', { class: 'form-error', role: 'alert' }));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const v = body(form);
      const patch = {};
      for (const k of ['name', 'status', 'password']) if (v[k] !== undefined && v[k] !== u[k]) patch[k] = v[k];
      if (v.role_id && v.role_id !== u.role_id) patch.role_id = v.role_id;
      if (groups && JSON.stringify([...v.master_group_ids].sort())
          !== JSON.stringify([...(u.master_group_ids || [])].sort())) {
        patch.master_group_ids = v.master_group_ids;
      }
      try {
        if (Object.keys(patch).length) await api('PATCH', `/users/${u.id}`, patch);
        editor.hidden = true;
        await load();
      } catch (e) { showError(form, e); }
    });
    fill(editor, h('h3', { id: 'user-edit-title' }, t('user.edit', { name: u.name })), form);
    editor.hidden = false;
    form.querySelector('input').focus();
  }

  async function load() {
    try {
      users = (await api('GET', '/users?limit=200')).items;
    } catch (e) {
      fill(list, h('p', { class: 'form-error', role: 'alert' }, e.message));
      return;
    }
    const gname = (id) => (groups || []).find((g) => g.id === id)?.name || `#${id}`;
    fill(list, table(
      ['user.name', 'user.email', 'user.role', 'user.groups', 'user.status', 'common.lastEdit', ''],
      users.map((u) => row([
        u.name, u.email, u.role || '',
        (u.master_group_ids || []).map(gname).join(', '),
        badge(t(`status.${u.status}`), u.status),
        `${fmtTime(u.updated_at)} ${userName(u.updated_by)}`.trim(),
        ctx.can('users.admin') ? button('common.edit', () => edit(u),
                                         { 'aria-label': t('user.edit', { name: u.name }) }) : null,
      ])), { empty: t('common.none') }));
  }

  [roles, groups] = await Promise.all([tryList('/roles'), tryList('/master-groups')]);
  const rs = roleSelect('');
  if (rs) createForm.querySelector('.slot-role').replaceWith(field('user.role', rs));
  const gb = groupBoxes([]);
  if (gb) createForm.querySelector('.slot-groups').replaceWith(gb);

  el.append(h('h2', null, t('nav.users')), list, editor);
  if (ctx.can('users.admin')) el.append(h('h3', null, t('user.new')), createForm);
  await load();
}
