// Simple recruiting data kept by name: labels, agents, job openings,
// search groups and candidate groups.  One list + one form per kind.
import { api, isMissingEndpoint, listAll } from '../api.js';
import { badge, button, clearErrors, field, h, row, select, showError, table, fill } from '../dom.js';
import { fmtTime, t } from '../i18n.js';

const KINDS = {
  labels: { title: 'nav.labels', fields: [
    { name: 'name', type: 'text', max: 100, required: true, label: 'res.name' },
    { name: 'color', type: 'color', label: 'res.color', optional: true }] },
  agents: { title: 'nav.agents', fields: [
    { name: 'name', type: 'text', max: 200, required: true, label: 'res.name' },
    { name: 'email', type: 'email', label: 'res.email' },
    { name: 'status', type: 'select', options: ['active', 'disabled'], label: 'res.status' },
    { name: 'route_to_agent', type: 'bool', label: 'res.routeToAgent' }] },
  'job-openings': { title: 'nav.jobOpenings', fields: [
    { name: 'title', type: 'text', max: 200, required: true, label: 'res.title' },
    { name: 'status', type: 'select', options: ['open', 'closed'], label: 'res.status' },
    { name: 'description', type: 'textarea', max: 10000, label: 'res.description' }] },
  'search-groups': { title: 'nav.searchGroups', fields: [
    { name: 'name', type: 'text', max: 200, required: true, label: 'res.name' }] },
  'event-groups': { title: 'nav.eventGroups', fields: [
    { name: 'name', type: 'text', max: 200, required: true, label: 'res.name' }] },
  'candidate-groups': { title: 'nav.candidateGroups', fields: [
    { name: 'name', type: 'text', max: 200, required: true, label: 'res.name' }] },
};

function input(f, value) {
  switch (f.type) {
    case 'select': return select(f.name, f.options.map((o) => [o, t(`status.${o}`)]), value ?? f.options[0]);
    case 'bool': return h('input', { type: 'checkbox', name: f.name, checked: !!value });
    case 'textarea': return h('textarea', { name: f.name, maxlength: f.max, rows: 4, value: value ?? '' });
    case 'color': return h('input', { type: 'color', name: f.name, value: value || '#4a7bd0' });
    default: return h('input', { type: f.type, name: f.name, maxlength: f.max, value: value ?? '',
                                 required: !!f.required });
  }
}

function display(f, v) {
  if (f.type === 'bool') return v ? t('common.yes') : t('common.no');
  if (f.type === 'select') return badge(t(`status.${v}`), v);
  if (f.type === 'color') {
    return v ? h('span', null, h('span', { class: 'swatch', style: `background:${/^#[0-9a-f]{6}$/i.test(v) ? v : 'transparent'}` }), ' ', v) : '';
  }
  if (f.type === 'textarea') return v ? String(v).slice(0, 120) : '';
  return v ?? '';
}

export async function render(el, params) {
  const kind = KINDS[params.kind];
  if (!kind) { el.append(h('h2', null, t('notfound.title'))); return; }
  const path = `/${params.kind}`;
  const list = h('div', { id: `list-${params.kind}` });
  const editor = h('section', { class: 'panel' });
  el.append(h('h2', null, t(kind.title)), list, editor);

  function form(obj) {
    const f = h('form', { class: 'grid-form', novalidate: true },
      kind.fields.map((fd) => field(fd.label, input(fd, obj ? obj[fd.name] : undefined),
                                    { required: fd.required, class: fd.type === 'bool' ? 'check-field' : '' })),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'primary' }, t(obj ? 'common.save' : 'common.add')),
        obj ? button('common.cancel', () => form(null)) : null),
      h('p', { class: 'form-error', role: 'alert' }));
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(f);
      const body = {};
      for (const fd of kind.fields) {
        const e = f.elements[fd.name];
        const v = fd.type === 'bool' ? e.checked : e.value.trim();
        if (fd.required && !v) { showError(f, { field: fd.name, message: t('common.required') }); return; }
        if (v === '' && !obj) continue;
        body[fd.name] = v === '' ? null : v;
      }
      try {
        if (obj) await api('PATCH', `${path}/${obj.id}`, body);
        else await api('POST', path, body);
        form(null);
        await load();
      } catch (e) { showError(f, e); }
    });
    fill(editor, h('h3', null, obj ? t('common.editing', { name: obj.name || obj.title })
                                             : t('common.new')), f);
  }

  async function load() {
    let items;
    try { items = await listAll(path); } catch (e) {
      fill(list, h('p', { class: 'form-error', role: 'alert' },
        isMissingEndpoint(e) ? t('common.notYet') : e.message));
      return;
    }
    fill(list, table([...kind.fields.map((f) => f.label), 'common.lastEdit', ''],
      items.map((o) => row([...kind.fields.map((f) => display(f, o[f.name])), fmtTime(o.updated_at),
        h('span', { class: 'row-actions' },
          button('common.edit', () => form(o), { 'aria-label': `${t('common.edit')} ${o.name || o.title}` }),
          button('common.delete', async () => {
            if (!confirm(t('common.confirmDelete', { name: o.name || o.title }))) return;
            try { await api('DELETE', `${path}/${o.id}`); await load(); } catch (e) { showError(editor, e); }
          }, { class: 'danger', 'aria-label': `${t('common.delete')} ${o.name || o.title}` }))])),
      { empty: t('common.none') }));
  }

  form(null);
  await load();
}
