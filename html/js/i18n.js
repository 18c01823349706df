// Strings of the admin screens in Japanese, English and French.  The
// choice is kept in localStorage; without one, Japanese when the browser
// prefers Japanese, else English.
import en from '../i18n/en.js';
import ja from '../i18n/ja.js';
import fr from '../i18n/fr.js';

const dicts = { en, ja, fr };
export const LANGS = [['ja', '日本語'], ['en', 'English'], ['fr', 'Français']];
const KEY = 'hrx.lang';
const listeners = new Set();

function initial() {
  let saved = null;
  try { saved = localStorage.getItem(KEY); } catch { /* storage disabled */ }
  if (saved && dicts[saved]) return saved;
  const nav = typeof navigator === 'undefined' ? '' : navigator.language || '';
  return nav.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

let lang = initial();
let timeZone;

export const getLang = () => lang;

export function setLang(l) {
  if (!dicts[l] || l === lang) return;
  lang = l;
  try { localStorage.setItem(KEY, l); } catch { /* storage disabled */ }
  applyStatic();
  for (const f of listeners) f(l);
}

export const onLangChange = (f) => listeners.add(f);

// t('search.count', {n: 3}) — "{n}" in the string is replaced.
export function t(key, params) {
  let s = dicts[lang][key] ?? dicts.en[key] ?? key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  return s;
}

export const has = (key) => key in dicts[lang] || key in dicts.en;

// Static markup: data-i18n (text), data-i18n-aria-label, data-i18n-placeholder.
export function applyStatic(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-aria-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
  }
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) {
    el.setAttribute('placeholder', t(el.dataset.i18nPlaceholder));
  }
}

export function setTimeZone(tz) { timeZone = tz; }

// An RFC 3339 instant shown in the tenant's time zone.
export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  try {
    return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short', timeZone })
      .format(d);
  } catch {
    return d.toISOString();
  }
}

// "2026-04-01" at 00:00 (or 23:59:59 when endOfDay) in the tenant's time
// zone, as an RFC 3339 UTC instant.
export function dateToInstant(day, endOfDay = false) {
  const [y, m, d] = day.split('-').map(Number);
  const wall = Date.UTC(y, m - 1, d, endOfDay ? 23 : 0, endOfDay ? 59 : 0, endOfDay ? 59 : 0);
  let offset = 0;
  try {
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    }).formatToParts(new Date(wall)).map((p) => [p.type, p.value]));
    const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day,
                           +parts.hour, +parts.minute, +parts.second);
    offset = asUtc - wall;
  } catch { /* unknown zone: UTC */ }
  return new Date(wall - offset).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// The inverse for showing a stored bound in a date input.
export function instantToDate(iso) {
  if (!iso) return '';
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit',
                                              day: '2-digit' }).format(new Date(iso));
  } catch {
    return String(iso).slice(0, 10);
  }
}
