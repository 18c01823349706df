// Email templates: the list.
import { isMissingEndpoint, listAll } from '../api.js';
import { h, row, table } from '../dom.js';
import { fmtTime, t } from '../i18n.js';

export async function render(el, params, ctx) {
  const list = h('div', { id: 'template-list' });
  el.append(h('div', { class: 'screen-head' }, h('h2', null, t('nav.templates')),
    ctx.can('templates.manage') ? h('a', { class: 'button primary', href: '#/templates/new' }, t('template.new')) : null),
  list);
  let items;
  try { items = await listAll('/templates'); } catch (e) {
    list.append(h('p', { class: 'form-error', role: 'alert' }, isMissingEndpoint(e) ? t('common.notYet') : e.message));
    return;
  }
  list.append(table(['template.name', 'template.subject', 'common.lastEdit'],
    items.map((tp) => row([h('a', { href: `#/templates/${tp.id}` }, tp.name), tp.subject, fmtTime(tp.updated_at)])),
    { empty: t('template.none') }));
}
