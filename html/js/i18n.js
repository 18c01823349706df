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
export const getTimeZone = () => timeZone || 'UTC';

// A text the API gives in several languages ({"en","ja"}): the current
// language, else English, else Japanese; a plain string as it is.
export function apiText(m) {
  if (m === null || m === undefined) return '';
  if (typeof m !== 'object') return String(m);
  return m[lang] ?? m.en ?? m.ja ?? Object.values(m)[0] ?? '';
}

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

// The wall clock of the tenant's time zone at an instant (ms).
function wallParts(ms) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return { y: +parts.year, mo: +parts.month, d: +parts.day, h: +parts.hour, mi: +parts.minute,
           s: +parts.second };
}

// How far the tenant's wall clock is ahead of UTC at an instant (ms).
function zoneOffset(ms) {
  try {
    const p = wallParts(ms);
    return Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) - Math.floor(ms / 1000) * 1000;
  } catch {
    return 0;                                   // unknown zone: UTC
  }
}

// A wall-clock time of the tenant's zone (as a UTC-based ms number) to the
// instant; the offset is taken again at the first guess so that a time
// just after a daylight-saving change lands right.
function wallToMs(wall) {
  const guess = wall - zoneOffset(wall);
  return wall - zoneOffset(guess);
}

const rfc3339 = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

// "2026-04-01" at 00:00 (or 23:59:59 when endOfDay) in the tenant's time
// zone, as an RFC 3339 UTC instant.
export function dateToInstant(day, endOfDay = false) {
  const [y, m, d] = day.split('-').map(Number);
  const wall = Date.UTC(y, m - 1, d, endOfDay ? 23 : 0, endOfDay ? 59 : 0, endOfDay ? 59 : 0);
  return rfc3339(wallToMs(wall));
}

// "2026-12-01" + "10:30" in the tenant's time zone → "2026-12-01T01:30:00Z";
// null when either is not a valid date / time.
export function wallToInstant(day, hhmm) {
  const dm = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '');
  const tm = /^(\d{2}):(\d{2})(?::\d{2})?$/.exec(hhmm || '');
  if (!dm || !tm) return null;
  const wall = Date.UTC(+dm[1], +dm[2] - 1, +dm[3], +tm[1], +tm[2], 0);
  if (Number.isNaN(wall)) return null;
  return rfc3339(wallToMs(wall));
}

// The inverse: {date: "2026-12-01", time: "10:30"} in the tenant's zone.
export function instantToWall(iso) {
  const ms = typeof iso === 'number' ? iso : Date.parse(iso);
  if (Number.isNaN(ms)) return { date: '', time: '' };
  let p;
  try { p = wallParts(ms); } catch {
    const d = new Date(ms);
    p = { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(), h: d.getUTCHours(),
          mi: d.getUTCMinutes() };
  }
  const z = (n, w = 2) => String(n).padStart(w, '0');
  return { date: `${z(p.y, 4)}-${z(p.mo)}-${z(p.d)}`, time: `${z(p.h)}:${z(p.mi)}` };
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
