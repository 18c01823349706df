// One bulk action (BA-14): what it sends to whom, its status and counts,
// the whole-action error, a late start, and each candidate it failed for
// with the reason (paged results).  While it runs, the counts follow the
// live event stream (BA-15); a lapped stream reloads.
import { api, ApiError, isMissingEndpoint, tryList } from '../api.js';
import {
  errorText, FINISHED, fmtOrDash, kindText, lateNotice, lockNotice, reasonText, resultCells, statusBadge,
  subscribe,
} from '../bulk-common.js';
import { badge, button, fill, h, row, table, toast } from '../dom.js';
import { fmtTime, t } from '../i18n.js';
import { navigate } from '../router.js';

const STATES = ['failed', 'reached', 'pending'];
const PAGE = 50;

export async function render(el, params, ctx) {
  const id = encodeURIComponent(params.id);
  const canManage = ctx.can('bulk_actions.manage') && ctx.can('candidates.operate_other');
  let alive = true;
  let a = null;
  let stopLive = null;
  let pollTimer = null;
  let reloadTimer = null;

  async function fetchAction() {
    return api('GET', `/bulk-actions/${id}`);
  }
  try { a = await fetchAction(); } catch (e) {
    el.append(h('p', { class: 'crumbs' }, h('a', { href: '#/bulk-actions' }, t('bulk.back'))),
      h('h2', null, t('nav.bulkActions')), h('p', { class: 'form-error', role: 'alert' },
        isMissingEndpoint(e) ? t('common.notYet')
          : e instanceof ApiError && e.status === 404 ? t('bulk.notFound') : e.message));
    return undefined;
  }

  // names of what the action refers to (the lists the reader reaches)
  const [forms, events, egroups, labels] = await Promise.all([
    a.form_id ? tryList('/forms') : null, a.event_id ? tryList('/events') : null,
    a.event_group_id ? tryList('/event-groups') : null,
    a.executed_label_id ? tryList('/labels') : null].map((p) => Promise.resolve(p).catch(() => null)));
  const nameIn = (list, oid) => {
    const o = (list || []).find((x) => x.id === oid);
    return o ? (o.name || o.title) : `#${oid}`;
  };

  const head = h('div', { class: 'screen-head' });
  const notices = h('div', { id: 'bulk-notices' });
  const facts = h('dl', { class: 'facts', id: 'bulk-facts' });
  const counts = h('ul', { class: 'count-tiles', id: 'bulk-counts' });
  const progress = h('div', { class: 'progress', id: 'bulk-progress', hidden: true });
  const reasonsBox = h('div', { id: 'bulk-reasons' });
  const errBox = h('p', { class: 'form-error', role: 'alert' });

  async function remove() {
    if (!confirm(t('common.confirmDelete', { name: a.name }))) return;
    try {
      await api('DELETE', `/bulk-actions/${a.id}`);
      toast(t('bulk.deleted', { name: a.name }));
      navigate('/bulk-actions');
    } catch (e) { errBox.textContent = e.message; }
  }

  function drawHead() {
    fill(head,
      h('h2', { id: 'bulk-name' }, a.name),
      h('span', { class: 'row-actions' },
        a.editable && canManage && !FINISHED.has(a.status) && a.status !== 'running' ? [
          h('a', { class: 'button', href: `#/bulk-actions/${a.id}/edit` }, t('common.edit')),
          button('common.delete', remove, { class: 'danger', 'aria-label': `${t('common.delete')} ${a.name}` })]
          : null));
    fill(notices,
      h('p', { class: 'badges' }, statusBadge(a.status), badge(kindText(a.kind), 'kind')),
      a.locked ? h('p', { class: 'alert' }, lockNotice(a)) : null,
      a.error ? h('div', { class: 'alert error', role: 'alert', id: 'bulk-error' },
        h('strong', null, t('bulk.wholeError')), ' ', errorText(a.error),
        h('span', { class: 'hint' }, ' ', `(${a.error.code})`)) : null,
      a.late_ms ? h('p', { class: 'alert warn', id: 'bulk-late' }, lateNotice(a), ' ',
        h('span', { class: 'hint' }, t('bulk.lateHint'))) : null);
  }

  function drawFacts() {
    const tpl = a.template;
    const rowsOf = [
      ['bulk.status', statusBadge(a.status)],
      ['bulk.kind', kindText(a.kind)],
      ['bulk.runAt', h('time', { datetime: a.run_at }, fmtTime(a.run_at))],
      ['bulk.search', h('span', null, a.saved_search_name || `#${a.saved_search_id}`,
        a.estimate !== null && a.estimate !== undefined
          ? h('span', { class: 'hint' }, ` (${t('bulk.estimateWhenSaved', { n: a.estimate })})`) : null)],
      ['bulk.template', tpl ? h('span', null, h('a', { href: `#/templates/${tpl.id}` }, tpl.name),
        tpl.subject ? h('span', { class: 'hint' }, ` — ${tpl.subject}`) : null) : `#${a.template_id}`],
      a.kind === 'message' ? ['bulk.form', a.form_id ? nameIn(forms, a.form_id) : t('common.noneChosen')] : null,
      a.event_id ? ['bulk.event', nameIn(events, a.event_id)] : null,
      a.event_group_id ? ['bulk.eventGroup', nameIn(egroups, a.event_group_id)] : null,
      ['bulk.executedLabel', a.executed_label_id ? nameIn(labels, a.executed_label_id) : t('common.noneChosen')],
      ['bulk.alsoLineShort', a.also_line ? t('common.yes') : t('common.no')],
      ['bulk.startedAt', fmtOrDash(a.started_at)],
      ['bulk.finishedAt', fmtOrDash(a.finished_at)],
      ['common.lastEdit', `${fmtTime(a.updated_at)}${a.updated_by_name ? ` · ${a.updated_by_name}` : ''}`],
    ].filter(Boolean);
    fill(facts, rowsOf.map(([k, v]) => [h('dt', null, t(k)), h('dd', null, v)]));
  }

  function tile(key, n, cls = '') {
    return h('li', { class: `tile ${cls}`.trim(), id: `count-${key}`, dataset: { count: String(n ?? '') } },
      h('span', { class: 'n' }, n === null || n === undefined ? '—' : String(n)),
      h('span', { class: 'what' }, t(`bulk.count.${key}`)));
  }

  function drawCounts() {
    const c = a.counts || {};
    fill(counts, tile('hits', c.hits), tile('reached', c.reached ?? 0, 'ok'),
      tile('failed', c.failed ?? 0, c.failed ? 'bad' : ''), tile('pending', c.pending ?? 0));
    const total = c.hits || 0;
    const done = (c.reached || 0) + (c.failed || 0);
    progress.hidden = a.status !== 'running' || !total;
    if (!progress.hidden) {
      const pct = Math.min(100, Math.round((done / total) * 100));
      fill(progress, h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': String(total),
                                'aria-valuenow': String(done), 'aria-label': t('bulk.progress') },
        h('span', { style: `width:${pct}%` })),
      h('span', { class: 'hint' }, t('bulk.progressShort', { done, n: total })));
    }
    const reasons = Object.entries(a.reasons || {});
    fill(reasonsBox, reasons.length ? [h('h4', null, t('bulk.reasons')),
      h('ul', { class: 'reasons' }, reasons.map(([code, n]) => h('li', null,
        h('span', { class: 'reason' }, reasonText(code, firstMessage[code])), ' ', badge(String(n)), ' ',
        h('code', { class: 'hint' }, code))))] : null);
  }

  // ---- results (failures by default), paged ----
  const firstMessage = {};        // reason code → the API's text, from the rows seen
  let state = 'failed';
  let after = null;
  let results = [];
  const resultsBox = h('div', { id: 'bulk-results' });
  const more = button('common.more', () => loadResults(false), { hidden: true });
  const stateSel = h('div', { class: 'seg', role: 'group', 'aria-label': t('bulk.showResults') },
    STATES.map((s) => h('button', { type: 'button', class: 'small', dataset: { state: s },
                                    'aria-pressed': String(s === state),
                                    onclick: () => { state = s; loadResults(true); } },
      t(`bulk.count.${s}`))));

  let resultSeq = 0;
  async function loadResults(reset) {
    const seq = ++resultSeq;
    if (reset) { after = null; results = []; }
    for (const b of stateSel.children) b.setAttribute('aria-pressed', String(b.dataset.state === state));
    let page;
    try {
      page = await api('GET', `/bulk-actions/${id}/results?state=${state}&limit=${PAGE}${after ? `&after=${after}` : ''}`);
    } catch (e) {
      if (seq !== resultSeq || !alive) return;
      fill(resultsBox, h('p', { class: 'form-error', role: 'alert' }, isMissingEndpoint(e) ? t('common.notYet') : e.message));
      more.hidden = true;
      return;
    }
    if (seq !== resultSeq || !alive) return;
    const items = page.items || [];
    for (const r of items) if (r.reason && r.message && !firstMessage[r.reason]) firstMessage[r.reason] = r.message;
    results.push(...items);
    after = page.next_after;
    more.hidden = !after;
    const cols = state === 'failed' ? ['bulk.candidate', 'bulk.email', 'bulk.reason', 'bulk.detail']
      : ['bulk.candidate', 'bulk.email', 'bulk.line'];
    const cells = (r) => (state === 'failed'
      ? [...resultCells(r), h('span', { class: 'reason' }, reasonText(r.reason, r.message)),
         r.detail ? h('code', { class: 'detail' }, r.detail) : '']
      : [...resultCells(r), r.line ? badge(t('candidate.lineFriend'), 'line') : '']);
    fill(resultsBox, table(cols,
      results.map((r) => row(cells(r), { dataset: { candidate: String(r.candidate_id) } })),
      { empty: t(`bulk.noResults.${state}`), class: `results ${state}` }));
    if (state === 'failed') drawCounts();            // reason texts may now be the server's
  }

  // ---- live ----
  function watching() {
    if (a.status === 'running') return true;
    return a.status === 'waiting' && Date.parse(a.run_at) - Date.now() < 15 * 60000;
  }

  async function reload() {
    let fresh;
    try { fresh = await fetchAction(); } catch (e) { return; }
    if (!alive) return;
    a = fresh;
    drawAll();
    if (a.status !== 'waiting' && a.status !== 'on_hold') loadResults(true);
    watch();
  }
  function reloadSoon() {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(reload, 300);
  }

  function onProgress(p) {
    if (String(p.id) !== String(a.id)) return;
    const finished = FINISHED.has(p.status);
    a.status = p.status || a.status;
    a.counts = { ...(a.counts || {}), hits: p.hits ?? a.counts?.hits, reached: p.reached ?? a.counts?.reached,
                 failed: p.failed ?? a.counts?.failed, pending: p.pending ?? a.counts?.pending };
    drawHead();
    drawFacts();
    drawCounts();
    // finished (finished_at, error, reasons) or new failures: read it all again
    if (finished || (a.counts.failed || 0) !== results.length) reloadSoon();
  }

  function watch() {
    clearTimeout(pollTimer);
    if (!watching()) {
      if (typeof stopLive === 'function') stopLive();
      if (stopLive !== 'dead') stopLive = null;
      delete el.dataset.live;
      return;
    }
    if (stopLive === 'dead') { pollTimer = setTimeout(reload, 3000); return; }
    if (!stopLive) {
      stopLive = subscribe({ onProgress, onLapped: reloadSoon,
                             onOpen: () => { el.dataset.live = 'open'; },
                             onDead: () => { delete el.dataset.live; stopLive = 'dead'; watch(); } });
    }
  }

  function drawAll() { drawHead(); drawFacts(); drawCounts(); }

  el.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/bulk-actions' }, t('bulk.back'))),
    head, notices,
    h('div', { class: 'split bulk-detail' },
      h('section', { class: 'panel', 'aria-labelledby': 'bulk-content-title' },
        h('h3', { id: 'bulk-content-title' }, t('bulk.content')), facts),
      h('section', { class: 'panel', 'aria-labelledby': 'bulk-counts-title' },
        h('h3', { id: 'bulk-counts-title' }, t('bulk.countsTitle')), counts, progress,
        h('p', { class: 'hint' }, t('bulk.countsHint')), reasonsBox)),
    h('section', { class: 'panel', 'aria-labelledby': 'bulk-results-title' },
      h('div', { class: 'screen-head' }, h('h3', { id: 'bulk-results-title' }, t('bulk.resultsTitle')), stateSel),
      resultsBox, more),
    errBox);
  drawAll();
  if (a.status !== 'waiting' && a.status !== 'on_hold') await loadResults(true);
  else fill(resultsBox, h('p', { class: 'hint' }, t('bulk.notRunYet')));
  watch();

  return () => {
    alive = false;
    clearTimeout(pollTimer);
    clearTimeout(reloadTimer);
    if (typeof stopLive === 'function') stopLive();
  };
}
