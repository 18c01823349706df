// Bits shared by the candidate list and the candidate page.
import { badge, h } from './dom.js';
import { t } from './i18n.js';

export const fullName = (c) => [c.family_name, c.given_name].filter(Boolean).join(' ');
export const kanaName = (c) => [c.family_name_kana, c.given_name_kana].filter(Boolean).join(' ');

export function lineBadge(c) {
  return c.line_linked_at || c.line_user_id ? badge(t('candidate.lineFriend'), 'line') : null;
}

export function statusBadge(s) {
  return s ? badge(t(`status.${s}`), `stage stage-${s}`) : null;
}

export function labelChips(ids, labels) {
  if (!ids || !ids.length) return null;
  return h('ul', { class: 'chips' }, ids.map((id) => {
    const l = (labels || []).find((x) => x.id === id);
    const color = l && /^#[0-9a-f]{6}$/i.test(l.color || '') ? l.color : null;
    return h('li', { style: color ? `border-color:${color}` : null },
      color ? h('span', { class: 'swatch', style: `background:${color}` }) : null, l ? l.name : `#${id}`);
  }));
}
