// Bits shared by the bulk-action screens (docs/bulk-actions.md): status
// and kind labels, failure-reason texts, the lock and late notices, and the
// live progress stream.
import { badge, h } from './dom.js';
import { apiText, fmtTime, has, t } from './i18n.js';

export const STATUSES = ['waiting', 'on_hold', 'running', 'completed', 'completed_with_failures', 'error'];
export const FINISHED = new Set(['completed', 'completed_with_failures', 'error']);
export const MAX_RESERVED = 5;          // BA-3
export const MAX_HITS = 3000;           // BA-5
export const LOCK_MS = 11 * 60000;      // BA-9: locked when T is closer than this

// Small inline icons (SVG: the emoji fonts of a machine cannot be relied on).
const SVG = 'http://www.w3.org/2000/svg';
const ICONS = {
  lock: ['M5 7V5a3 3 0 0 1 6 0v2', 'M3.5 7h9v7h-9z'],
  clock: ['M8 1.8a6.2 6.2 0 1 0 0 12.4A6.2 6.2 0 0 0 8 1.8z', 'M8 4.5V8l2.5 1.6'],
};
export function icon(name, cls = '') {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('class', `icon icon-${name} ${cls}`.trim());
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const d of ICONS[name]) {
    const p = document.createElementNS(SVG, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  return svg;
}

export function statusBadge(status) {
  return badge(has(`bulk.status.${status}`) ? t(`bulk.status.${status}`) : status,
               `bulk-status st-${status}`);
}

export const kindText = (kind) => (has(`bulk.kind.${kind}`) ? t(`bulk.kind.${kind}`) : kind);

// A failure reason: the API's text in the current language when it gave
// one, else ours for the stable code, else the code itself.
export function reasonText(code, message) {
  const m = apiText(message);
  if (m) return m;
  const c = String(code || '');
  const i = c.indexOf(':');
  const base = i > 0 ? c.slice(0, i) : c;
  if (has(`reason.${base}`)) return t(`reason.${base}`, { name: i > 0 ? c.slice(i + 1) : '' });
  return c;
}

export function duration(ms) {
  const min = Math.max(1, Math.round(ms / 60000));
  if (min < 60) return t('time.minutes', { n: min });
  const hrs = Math.floor(min / 60);
  const rest = min % 60;
  return rest ? t('time.hoursMinutes', { h: hrs, m: rest }) : t('time.hours', { h: hrs });
}

// "Started 5 min late" (the scheduler was down at T), or null.
export function lateNotice(a) {
  if (!a.late_ms) return null;
  return h('span', { class: 'late', title: t('bulk.lateHint') },
    icon('clock'), ' ', t('bulk.late', { d: duration(a.late_ms) }));
}

export function lockNotice(a) {
  return h('span', { class: 'lock-note' }, icon('lock'), ' ', t('bulk.locked', { at: fmtTime(a.run_at) }));
}

// {"code","message":{"en","ja"}} → a readable line.
export function errorText(err) {
  if (!err) return '';
  return reasonText(err.code, err.message);
}

// Live events of the tenant (GET /api/v1/stream, server-sent events).
// onProgress gets each bulk_action.progress payload.  onLapped is called
// when events may have been missed: the server says the reader was lapped,
// and on every (re)connection, since what happened between the screen's
// read and the stream's start is not in the stream; the screen reads what
// it shows again.  onDead: the server refused the stream.  Returns a stop
// function.  `on` maps other event names (message.received, …) to a
// handler of their parsed payload.
export const EVENTS_URL = '/api/v1/stream';

export function subscribe({ onProgress, onLapped, onDead, onOpen, on = {} }) {
  if (typeof EventSource === 'undefined') { if (onDead) queueMicrotask(onDead); return () => {}; }
  let es = new EventSource(EVENTS_URL, { withCredentials: true });
  es.addEventListener('open', () => {
    if (onOpen) onOpen();
    if (onLapped) onLapped();
  });
  es.addEventListener('bulk_action.progress', (ev) => {
    let data;
    try { data = JSON.parse(ev.data); } catch { return; }
    if (onProgress) onProgress(data);
  });
  for (const [name, fn] of Object.entries(on)) {
    es.addEventListener(name, (ev) => {
      let data;
      try { data = JSON.parse(ev.data); } catch { return; }
      fn(data);
    });
  }
  es.addEventListener('lapped', () => { if (onLapped) onLapped(); });
  es.addEventListener('error', () => {
    // CLOSED: the server refused the stream (not there, not allowed); the
    // browser gives up, so the screen falls back to polling
    if (es && es.readyState === EventSource.CLOSED) {
      es = null;
      if (onDead) onDead();
    }
  });
  return () => { if (es) es.close(); es = null; };
}

export const resultCells = (r) => [
  h('a', { href: `#/candidates/${r.candidate_id}` }, r.candidate_name || `#${r.candidate_id}`),
  r.to_agent ? h('span', null, r.email || '', ' ', badge(t('bulk.toAgent'), 'agent')) : (r.email || ''),
];

export const fmtOrDash = (iso) => (iso ? fmtTime(iso) : '—');
