// Bulk actions: two tabs, reserved (waiting, on hold, running; BA-14) and
// history (finished in the last 7 days).  Edit/delete while editable, a
// lock and why when not (BA-9); updated live from the event stream.
import { api, isMissingEndpoint } from '../api.js';
import {
  errorText, kindText, lateNotice, LOCK_MS, lockNotice, MAX_RESERVED, statusBadge, subscribe,
} from '../bulk-common.js';
import { button, fill, h, row, table, toast } from '../dom.js';
import { fmtTime, getTimeZone, t } from '../i18n.js';

const TABS = ['reserved', 'history'];

export async function render(el, params, ctx) {
  const canManage = ctx.can('bulk_actions.manage') && ctx.can('candidates.operate_other');
  const q = new URLSearchParams(location.hash.split('?')[1] || '');
  let tab = TABS.includes(q.get('tab')) ? q.get('tab') : 'reserved';
  let alive = true;
  let lockTimer = null;
  let reloadTimer = null;
  let shown = new Set();          // ids in the current table, for live updates

  const panel = h('div', { id: 'bulk-panel', role: 'tabpanel', tabindex: '0' });
  const quota = h('p', { class: 'hint', id: 'bulk-quota' });
  const errBox = h('p', { class: 'form-error', role: 'alert' });

  const tabButtons = TABS.map((name) => h('button', {
    type: 'button', role: 'tab', id: `bulk-tab-${name}`, 'aria-controls': 'bulk-panel',
    class: 'tab', dataset: { tab: name },
    onclick: () => select(name),
    onkeydown: (ev) => {
      const i = TABS.indexOf(name);
      const j = ev.key === 'ArrowRight' ? (i + 1) % TABS.length
        : ev.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : -1;
      if (j >= 0) { ev.preventDefault(); select(TABS[j]); tabButtons[j].focus(); }
    },
  }, t(`bulk.tab.${name}`)));

  function select(name) {
    tab = name;
    for (const b of tabButtons) {
      const on = b.dataset.tab === tab;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
    }
    panel.setAttribute('aria-labelledby', `bulk-tab-${tab}`);
    // keep the tab in the address without a new render
    history.replaceState(null, '', `#/bulk-actions${tab === 'history' ? '?tab=history' : ''}`);
    load();
  }

  async function remove(a) {
    if (!confirm(t('common.confirmDelete', { name: a.name }))) return;
    try {
      await api('DELETE', `/bulk-actions/${a.id}`);
      toast(t('bulk.deleted', { name: a.name }));
      await load();
    } catch (e) { errBox.textContent = e.message; }
  }

  function reservedRow(a) {
    let actions;
    if (a.locked) actions = lockNotice(a);
    else if (a.editable && canManage) {
      actions = h('span', { class: 'row-actions' },
        h('a', { class: 'button small', href: `#/bulk-actions/${a.id}/edit`,
                 'aria-label': t('bulk.editNamed', { name: a.name }) }, t('common.edit')),
        button('common.delete', () => remove(a),
               { class: 'small danger', 'aria-label': `${t('common.delete')} ${a.name}` }));
    } else actions = null;
    const progress = a.status === 'running' && a.counts
      ? h('span', { class: 'hint' }, ' ', t('bulk.progressShort', {
        done: (a.counts.reached || 0) + (a.counts.failed || 0), n: a.counts.hits ?? '?' })) : null;
    return row([
      h('a', { href: `#/bulk-actions/${a.id}` }, a.name),
      h('span', null, statusBadge(a.status), progress),
      h('time', { datetime: a.run_at }, fmtTime(a.run_at)),
      kindText(a.kind),
      a.saved_search_name || (a.saved_search_id ? `#${a.saved_search_id}` : ''),
      a.estimate === null || a.estimate === undefined ? '—'
        : t(a.estimate === 1 ? 'search.countOne' : 'search.count', { n: a.estimate }),
      actions,
    ], { dataset: { id: String(a.id), status: a.status } });
  }

  function historyRow(a) {
    const c = a.counts || {};
    return row([
      h('a', { href: `#/bulk-actions/${a.id}` }, a.name),
      h('span', { class: 'status-cell' }, statusBadge(a.status),
        a.error ? h('span', { class: 'hint' }, errorText(a.error)) : null),
      h('time', { datetime: a.finished_at }, fmtTime(a.finished_at)),
      kindText(a.kind),
      h('span', { class: 'num' }, String(c.reached ?? 0)),
      h('span', { class: `num${c.failed ? ' bad' : ''}` }, String(c.failed ?? 0)),
      lateNotice(a),
    ], { dataset: { id: String(a.id), status: a.status } });
  }

  // A waiting action locks 11 minutes before T: draw the list again then.
  function scheduleLockRedraw(items) {
    clearTimeout(lockTimer);
    const now = Date.now();
    const next = items.filter((a) => a.status === 'waiting' && !a.locked)
      .map((a) => Date.parse(a.run_at) - LOCK_MS - now).filter((d) => d > 0);
    if (next.length) lockTimer = setTimeout(load, Math.min(...next) + 1000);
  }

  let loadSeq = 0;
  async function load() {
    const seq = ++loadSeq;
    errBox.textContent = '';
    let items;
    try {
      const r = await api('GET', `/bulk-actions?view=${tab}`);
      items = (r && (r.items || r)) || [];
    } catch (e) {
      if (seq !== loadSeq || !alive) return;
      fill(panel, h('p', { class: 'form-error', role: 'alert' },
        isMissingEndpoint(e) ? t('common.notYet') : e.message));
      return;
    }
    if (seq !== loadSeq || !alive) return;
    shown = new Set(items.map((a) => a.id));
    if (tab === 'reserved') {
      const reserved = items.filter((a) => a.status === 'waiting' || a.status === 'on_hold').length;
      quota.textContent = t('bulk.quota', { n: reserved, max: MAX_RESERVED });
      quota.hidden = false;
      if (newLink) newLink.classList.toggle('disabled', reserved >= MAX_RESERVED);
      fill(panel,
        h('p', { class: 'hint' }, t('bulk.reservedAbout', { tz: getTimeZone() })),
        table(['bulk.name', 'bulk.status', 'bulk.runAt', 'bulk.kind', 'bulk.search', 'bulk.estimate', ''],
          items.map(reservedRow), { empty: t('bulk.noneReserved'), class: 'bulk-list' }));
      scheduleLockRedraw(items);
      watch(items);
    } else {
      quota.hidden = true;
      fill(panel,
        h('p', { class: 'hint' }, t('bulk.historyAbout')),
        table(['bulk.name', 'bulk.status', 'bulk.finishedAt', 'bulk.kind', 'bulk.reached', 'bulk.failed', ''],
          items.map(historyRow), { empty: t('bulk.noneHistory'), class: 'bulk-list' }));
    }
  }

  // Live: while an action runs or is about to, a progress event for one
  // we show reloads the list (coalesced); without the event stream, the
  // list is polled instead.
  let stopLive = null;
  let pollTimer = null;
  function reloadSoon() {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => { if (alive) load(); }, 400);
  }
  function watch(items) {
    const soon = Date.now() + 15 * 60000;
    const busy = items.some((a) => a.status === 'running'
                             || (a.status === 'waiting' && Date.parse(a.run_at) < soon));
    clearTimeout(pollTimer);
    if (!busy) { if (stopLive) stopLive(); stopLive = null; return; }
    if (stopLive === 'dead') { pollTimer = setTimeout(() => { if (alive) load(); }, 5000); return; }
    if (!stopLive) {
      stopLive = subscribe({
        onProgress: (p) => { if (shown.has(p.id)) reloadSoon(); },
        onLapped: reloadSoon,
        onDead: () => { stopLive = 'dead'; reloadSoon(); },
      });
    }
  }

  const newLink = canManage
    ? h('a', { class: 'button primary', href: '#/bulk-actions/new', id: 'bulk-new' }, t('bulk.new')) : null;
  el.append(
    h('div', { class: 'screen-head' }, h('h2', null, t('nav.bulkActions')), newLink),
    quota,
    h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('nav.bulkActions') }, tabButtons),
    panel, errBox);
  select(tab);

  return () => {
    alive = false;
    clearTimeout(lockTimer);
    clearTimeout(reloadTimer);
    clearTimeout(pollTimer);
    if (typeof stopLive === 'function') stopLive();
  };
}
