// Home: who is signed in and the state of the system.
import { h } from '../dom.js';
import { t } from '../i18n.js';

export async function render(el, params, ctx) {
  const dl = h('dl', { class: 'facts', id: 'health' });
  const s = ctx.session;
  el.append(
    h('h2', null, t('home.title')),
    h('p', null, t('home.welcome', { name: s.user.name, tenant: s.tenant ? s.tenant.name : '' })),
    h('ul', { class: 'tiles' },
      h('li', null, h('a', { href: '#/candidates' }, t('nav.candidates'))),
      h('li', null, h('a', { href: '#/templates' }, t('nav.templates'))),
      h('li', null, h('a', { href: '#/bulk-actions' }, t('nav.bulkActions'))),
      ctx.can('users.admin') ? h('li', null, h('a', { href: '#/admin/users' }, t('nav.users'))) : null),
    h('h3', null, t('home.system')), dl);
  try {
    const r = await fetch('/api/v1/health');
    const hl = await r.json();
    for (const [k, v] of [
      ['home.scheduler', hl.scheduler && hl.scheduler.alive ? t('home.running') : t('home.down')],
      ['home.ring', `${hl.ring.depth_bytes} / ${hl.ring.capacity_bytes} ${t('home.bytes')}`],
      ['home.durable', hl.durable_sequence],
    ]) dl.append(h('dt', null, t(k)), h('dd', null, v));
  } catch (e) {
    dl.append(h('dd', { class: 'form-error' }, e.message));
  }
}
