import { h } from '../dom.js';
import { t } from '../i18n.js';

export function render(el) {
  el.append(h('h2', null, t('notfound.title')),
            h('p', null, h('a', { href: '#/' }, t('nav.home'))));
}
