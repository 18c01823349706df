// Master groups: members (users) and grants on search groups, forms,
// event groups, templates and candidate groups (docs/data-model.md).
import { api, isMissingEndpoint, listAll, tryList } from '../api.js';
import { button, clearErrors, field, h, row, select, showError, table, fill } from '../dom.js';
import { fmtTime, t } from '../i18n.js';

export const GRANT_TYPES = [
  ['search_group', '/search-groups'], ['form', '/forms'], ['event_group', '/event-groups'],
  ['template', '/templates'], ['candidate_group', '/candidate-groups'],
];

export async function render(el) {
  const list = h('div', { id: 'groups' });
  const editor = h('section', { class: 'panel' });
  el.append(h('h2', null, t('nav.groups')), h('p', { class: 'hint' }, t('group.about')), list, editor);

  const [users, ...objs] = await Promise.all([
    tryList('/users'), ...GRANT_TYPES.map(([, path]) => tryList(path))]);
  const objects = Object.fromEntries(GRANT_TYPES.map(([type], i) => [type, objs[i] || []]));
  const objName = (g) => {
    const o = (objects[g.type] || []).find((x) => x.id === g.id);
    return o ? (o.name || o.title) : `#${g.id}`;
  };

  function form(g) {
    let grants = g ? [...(g.grants || [])] : [];
    const grantList = h('ul', { class: 'grant-list' });
    const drawGrants = () => fill(grantList, ...(grants.length ? grants.map((gr, i) =>
      h('li', null, h('span', { class: 'badge' }, t(`grant.${gr.type}`)), ' ', objName(gr), ' ',
        button('common.remove', () => { grants.splice(i, 1); drawGrants(); },
               { 'aria-label': `${t('common.remove')} ${objName(gr)}` })))
      : [h('li', { class: 'hint' }, t('group.noGrants'))]));
    drawGrants();

    const typeSel = select('grant_type', GRANT_TYPES.map(([type]) => [type, t(`grant.${type}`)]), 'template');
    const objSel = h('select', { name: 'grant_object' });
    const fillObjs = () => fill(objSel, ...objects[typeSel.value].map((o) =>
      h('option', { value: o.id }, o.name || o.title)));
    typeSel.addEventListener('change', fillObjs);
    fillObjs();

    const f = h('form', { class: 'grid-form', id: 'group-form', novalidate: true },
      field('group.name', h('input', { name: 'name', required: true, maxlength: 200, value: g ? g.name : '' }),
            { required: true }),
      h('fieldset', { class: 'checks scroll' }, h('legend', null, t('group.members')),
        (users || []).map((u) => h('label', { class: 'check' },
          h('input', { type: 'checkbox', name: 'member_ids', value: u.id,
                       checked: !!g && (g.member_ids || []).includes(u.id) }), ' ', u.name, ' ',
          h('span', { class: 'hint' }, u.email))),
        h('p', { class: 'field-error', dataset: { errorFor: 'member_ids' } })),
      h('fieldset', { class: 'grants' }, h('legend', null, t('group.grants')), grantList,
        h('div', { class: 'inline-form' },
          field('group.grantType', typeSel), field('group.grantObject', objSel),
          button('group.addGrant', () => {
            if (!objSel.value) return;
            const gr = { type: typeSel.value, id: Number(objSel.value) };
            if (!grants.some((x) => x.type === gr.type && x.id === gr.id)) grants.push(gr);
            drawGrants();
          })),
        h('p', { class: 'field-error', dataset: { errorFor: 'grants' } })),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'primary' }, t(g ? 'common.save' : 'group.create')),
        g ? button('common.cancel', () => form(null)) : null),
      h('p', { class: 'form-error', role: 'alert' }));
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(f);
      const name = f.elements.name.value.trim();
      if (!name) { showError(f, { field: 'name', message: t('common.required') }); return; }
      const member_ids = [...f.querySelectorAll('input[name=member_ids]:checked')].map((c) => Number(c.value));
      const bodyv = { name, member_ids, grants };
      try {
        if (g) await api('PATCH', `/master-groups/${g.id}`, bodyv);
        else await api('POST', '/master-groups', bodyv);
        form(null);
        await load();
      } catch (e) { showError(f, e); }
    });
    fill(editor, h('h3', null, g ? t('group.edit', { name: g.name }) : t('group.new')), f);
  }

  async function load() {
    let groups;
    try { groups = await listAll('/master-groups'); } catch (e) {
      fill(list, h('p', { class: 'form-error', role: 'alert' },
        isMissingEndpoint(e) ? t('common.notYet') : e.message));
      return;
    }
    const uname = (id) => ((users || []).find((u) => u.id === id) || {}).name || `#${id}`;
    fill(list, table(['group.name', 'group.members', 'group.grants', 'common.lastEdit', ''],
      groups.map((g) => row([
        g.name,
        (g.member_ids || []).map(uname).join(', '),
        (g.grants || []).map((gr) => `${t(`grant.${gr.type}`)}: ${objName(gr)}`).join(', '),
        fmtTime(g.updated_at),
        h('span', { class: 'row-actions' },
          button('common.edit', () => form(g), { 'aria-label': t('group.edit', { name: g.name }) }),
          button('common.delete', async () => {
            if (!confirm(t('common.confirmDelete', { name: g.name }))) return;
            try { await api('DELETE', `/master-groups/${g.id}`); await load(); } catch (e) {
              showError(editor, e);
            }
          }, { class: 'danger', 'aria-label': `${t('common.delete')} ${g.name}` })),
      ])), { empty: t('common.none') }));
  }

  form(null);
  await load();
}
