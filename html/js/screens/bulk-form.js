// Reserve or edit a bulk action (BA-1…BA-9): name, kind (fixed once
// saved), the saved search with its live count, template, custom form or
// event, executed label, T to the minute in the tenant's time zone, LINE,
// hold; and a dry run (BA-15) of who would receive it now and who would
// fail, and why.  Errors of the server are shown by the field they name.
import { api, ApiError, isMissingEndpoint, tryList } from '../api.js';
import {
  errorText, kindText, lockNotice, MAX_HITS, reasonText, resultCells,
} from '../bulk-common.js';
import { append, badge, clearErrors, field, fill, h, showError, table, row, toast } from '../dom.js';
import { fmtTime, getTimeZone, instantToWall, t, wallToInstant } from '../i18n.js';
import { navigate } from '../router.js';

const KINDS = ['message', 'event_invitation'];

function option(value, label, selected) {
  return h('option', { value: String(value), selected: String(value) === String(selected ?? '') }, label);
}

// A select of objects; a current value the list lacks (not reached any
// more) stays as "#id" so that saving without touching it keeps it.
function objectSelect(name, items, value, { none, label = (o) => o.name || o.title || `#${o.id}` } = {}) {
  const s = h('select', { name });
  s.append(option('', none ? t('common.noneChosen') : t('search.choose'), value));
  for (const o of items || []) s.append(option(o.id, label(o), value));
  if (value && !(items || []).some((o) => String(o.id) === String(value))) s.append(option(value, `#${value}`, value));
  return s;
}

const num = (v) => (v === '' || v === null || v === undefined ? null : Number(v));

// Default T for a new reservation: the next full hour at least 30 minutes away.
function defaultRunAt() {
  const d = new Date(Date.now() + 30 * 60000);
  d.setUTCMinutes(0, 0, 0);
  return new Date(d.getTime() + 3600000).toISOString();
}

export async function render(el, params, ctx) {
  const isNew = !params.id;
  let a = null;
  if (!isNew) {
    try { a = await api('GET', `/bulk-actions/${encodeURIComponent(params.id)}`); } catch (e) {
      el.append(h('p', { class: 'crumbs' }, h('a', { href: '#/bulk-actions' }, t('bulk.back'))),
        h('h2', null, t('nav.bulkActions')), h('p', { class: 'form-error', role: 'alert' },
          e instanceof ApiError && e.status === 404 && !isMissingEndpoint(e) ? t('bulk.notFound')
            : isMissingEndpoint(e) ? t('common.notYet') : e.message));
      return undefined;
    }
  }
  const canManage = ctx.can('bulk_actions.manage') && ctx.can('candidates.operate_other');
  const readOnly = !canManage || (a && !a.editable);
  let alive = true;

  const [searches, sgroups, templates, forms, events, egroups, labels] = await Promise.all([
    tryList('/saved-searches'), tryList('/search-groups'), tryList('/templates'), tryList('/forms'),
    tryList('/events'), tryList('/event-groups'), tryList('/labels')].map((p) => p.catch(() => null)));
  if (!alive) return undefined;

  // ---- inputs ----
  const nameIn = h('input', { name: 'name', maxlength: 200, required: true, value: a ? a.name : '' });

  const kindValue = a ? a.kind : 'message';
  const kindRadios = KINDS.map((k) => h('input', {
    type: 'radio', name: 'kind', value: k, checked: k === kindValue, disabled: !isNew,
    onchange: () => showKind(),
  }));
  const kindField = h('fieldset', { class: 'field radios', id: 'kind-field' },
    h('legend', null, t('bulk.kind')),
    KINDS.map((k, i) => h('label', { class: 'check' }, kindRadios[i], ' ', kindText(k))),
    isNew ? null : h('p', { class: 'hint' }, t('bulk.kindFixed')),
    h('p', { class: 'field-error', dataset: { errorFor: 'kind' } }));
  const kind = () => kindRadios.find((r) => r.checked).value;

  // saved search, grouped by search group, with its count now
  const searchSel = h('select', { name: 'saved_search_id', required: true });
  searchSel.append(option('', t('search.choose'), a && a.saved_search_id));
  const groupName = (id) => ((sgroups || []).find((g) => g.id === id) || {}).name || `#${id}`;
  const byGroup = new Map();
  for (const s of searches || []) {
    if (!byGroup.has(s.search_group_id)) byGroup.set(s.search_group_id, []);
    byGroup.get(s.search_group_id).push(s);
  }
  for (const [gid, items] of byGroup) {
    searchSel.append(h('optgroup', { label: groupName(gid) },
      items.map((s) => option(s.id, s.name, a && a.saved_search_id))));
  }
  if (a && a.saved_search_id && !(searches || []).some((s) => s.id === a.saved_search_id)) {
    searchSel.append(option(a.saved_search_id, a.saved_search_name || `#${a.saved_search_id}`, a.saved_search_id));
  }
  const searchCount = h('output', { id: 'bulk-search-count', class: 'count small', 'aria-live': 'polite',
                                    dataset: { state: 'idle' } });
  let countSeq = 0;
  async function updateCount() {
    const id = searchSel.value;
    const seq = ++countSeq;
    searchCount.classList.remove('bad');
    delete searchCount.dataset.count;
    if (!id) { searchCount.dataset.state = 'idle'; searchCount.textContent = ''; return; }
    searchCount.dataset.state = 'pending';
    searchCount.textContent = t('search.counting');
    try {
      const r = await api('GET', `/saved-searches/${id}/count`);
      if (seq !== countSeq || !alive) return;
      searchCount.dataset.state = 'ok';
      searchCount.dataset.count = String(r.count);
      const n = t(r.count === 1 ? 'search.countOne' : 'search.count', { n: r.count });
      if (r.count > MAX_HITS) {
        searchCount.classList.add('bad');
        searchCount.textContent = `${n} — ${t('bulk.tooManyHits', { max: MAX_HITS })}`;
      } else searchCount.textContent = t('bulk.hitsNow', { n });
    } catch (e) {
      if (seq !== countSeq || !alive) return;
      searchCount.dataset.state = 'error';
      searchCount.textContent = isMissingEndpoint(e) ? t('common.notYet') : e.message;
    }
  }
  searchSel.addEventListener('change', updateCount);
  const searchField = field('bulk.search', searchSel, { required: true, hint: t('bulk.searchHint') });
  searchField.querySelector('select').after(searchCount);

  const templateSel = objectSelect('template_id', templates, a && a.template_id);
  const templateHint = h('p', { class: 'hint', id: 'bulk-template-subject' });
  const showSubject = () => {
    const tp = (templates || []).find((x) => String(x.id) === templateSel.value);
    templateHint.textContent = tp && tp.subject ? t('bulk.subjectIs', { subject: tp.subject }) : '';
  };
  templateSel.addEventListener('change', showSubject);
  const templateField = field('bulk.template', templateSel, { required: true });
  templateField.querySelector('select').after(templateHint);

  const formSel = objectSelect('form_id', forms, a && a.form_id, { none: true });
  const formField = field('bulk.form', formSel, { hint: t('bulk.formHint') });

  // event invitation: one event or a group of events
  const evTarget = a && a.event_group_id ? 'group' : 'event';
  const targetRadios = ['event', 'group'].map((v) => h('input', {
    type: 'radio', name: 'event_target', value: v, checked: v === evTarget, onchange: () => showTarget(),
  }));
  const eventSel = objectSelect('event_id', events, a && a.event_id, {
    label: (e) => `${e.title || e.name || `#${e.id}`}${e.published === false ? ` (${t('bulk.unpublished')})` : ''}`,
  });
  eventSel.setAttribute('aria-label', t('bulk.event'));
  const egroupSel = objectSelect('event_group_id', egroups, a && a.event_group_id);
  egroupSel.setAttribute('aria-label', t('bulk.eventGroup'));
  const eventField = h('fieldset', { class: 'field radios', id: 'event-field' },
    h('legend', { class: 'required' }, t('bulk.eventTarget')),
    h('label', { class: 'check' }, targetRadios[0], ' ', t('bulk.oneEvent')),
    h('label', { class: 'check' }, targetRadios[1], ' ', t('bulk.eventGroupChoice')),
    h('div', { class: 'event-pick' }, eventSel, egroupSel),
    h('p', { class: 'hint' }, t('bulk.eventHint')),
    h('p', { class: 'field-error', dataset: { errorFor: 'event_id' } }),
    h('p', { class: 'field-error', dataset: { errorFor: 'event_group_id' } }));
  const target = () => targetRadios.find((r) => r.checked).value;
  function showTarget() {
    eventSel.hidden = target() !== 'event';
    egroupSel.hidden = target() !== 'group';
  }

  const labelSel = objectSelect('executed_label_id', labels, a && a.executed_label_id, { none: true });
  const labelField = field('bulk.executedLabel', labelSel, { hint: t('bulk.executedLabelHint') });

  // T: date + time to the minute, in the tenant's zone
  const wall = instantToWall(a ? a.run_at : defaultRunAt());
  const dateIn = h('input', { type: 'date', name: 'run_date', value: wall.date, required: true });
  const timeIn = h('input', { type: 'time', name: 'run_time', value: wall.time, step: 60, required: true,
                              'aria-label': t('bulk.time') });
  const runErr = h('p', { class: 'field-error', id: 'run-at-error', dataset: { errorFor: 'run_at' } });
  const runHint = h('p', { class: 'hint', id: 'run-at-hint' }, t('bulk.runAtHint', { tz: getTimeZone() }));
  dateIn.id = 'bulk-run-date';
  for (const i of [dateIn, timeIn]) i.setAttribute('aria-describedby', `${runErr.id} ${runHint.id}`);
  const runField = h('div', { class: 'field', id: 'run-at-field' },
    h('label', { for: dateIn.id, class: 'required' }, t('bulk.runAtLabel', { tz: getTimeZone() })),
    h('div', { class: 'datetime' }, dateIn, timeIn), runHint, runErr);

  const lineIn = h('input', { type: 'checkbox', name: 'also_line', checked: !!(a && a.also_line) });
  const lineField = field('bulk.alsoLine', lineIn, { class: 'check-field', hint: t('bulk.alsoLineHint') });
  // LINE too (LN-12) only while the tenant's LINE is connected.  Who may
  // read the LINE settings sees the box disabled until it is; for anyone
  // else the server answers when saving (409 line_not_connected, shown by
  // the box): the tooltip says so.
  const lineState = h('p', { class: 'hint', id: 'also-line-state' });
  lineField.append(lineState);
  lineIn.setAttribute('aria-describedby', `${lineIn.getAttribute('aria-describedby')} ${lineState.id}`);
  async function showLineState() {
    let st = null;
    if (ctx.can('integrations.admin')) {
      try { st = (await api('GET', '/settings/line')).state || 'disconnected'; } catch (e) {
        st = e instanceof ApiError && e.status === 404 && !isMissingEndpoint(e) ? 'disconnected' : null;
      }
    }
    if (!alive) return;
    lineField.dataset.line = st || 'unknown';
    if (st === 'connected') {
      lineState.textContent = '';
      lineField.title = '';
    } else if (st === 'disconnected') {
      // an action that already has it keeps the box, to untick it
      if (!lineIn.checked && !readOnly) lineIn.disabled = true;
      fill(lineState, t('bulk.lineNotConnected'), ' ',
        h('a', { href: '#/settings/line' }, t('nav.lineSettings')));
      lineField.title = t('bulk.lineNotConnected');
    } else {
      lineState.textContent = '';
      lineField.title = t('bulk.lineCheckedOnSave');
    }
  }
  const holdIn = h('input', { type: 'checkbox', name: 'status', role: 'switch',
                              checked: !!(a && a.status === 'on_hold') });
  const holdField = field('bulk.onHold', holdIn, { class: 'check-field', hint: t('bulk.onHoldHint') });

  function showKind() {
    const msg = kind() === 'message';
    formField.hidden = !msg;
    eventField.hidden = msg;
  }

  // ---- body ----
  function collect() {
    const b = {
      name: nameIn.value.trim(),
      saved_search_id: num(searchSel.value),
      template_id: num(templateSel.value),
      executed_label_id: num(labelSel.value),
      also_line: lineIn.checked,
      status: holdIn.checked ? 'on_hold' : 'waiting',
      run_at: wallToInstant(dateIn.value, timeIn.value),
    };
    if (kind() === 'message') b.form_id = num(formSel.value);
    else if (target() === 'event') { b.event_id = num(eventSel.value); b.event_group_id = null; } else {
      b.event_group_id = num(egroupSel.value); b.event_id = null;
    }
    return b;
  }

  // what the form itself can tell before asking the server
  function check(b, forDryRun) {
    if (!forDryRun && !b.name) return { field: 'name', message: t('common.required') };
    if (!b.saved_search_id) return { field: 'saved_search_id', message: t('common.required') };
    if (!b.template_id) return { field: 'template_id', message: t('common.required') };
    if (kind() === 'event_invitation' && !b.event_id && !b.event_group_id) {
      return { field: target() === 'event' ? 'event_id' : 'event_group_id', message: t('common.required') };
    }
    if (!forDryRun && !b.run_at) return { field: 'run_at', message: t('bulk.needRunAt') };
    return null;
  }

  const dropNulls = (b) => Object.fromEntries(Object.entries(b).filter(([, v]) => v !== null && v !== ''));

  // PATCH: the members that changed (null clears one), never kind; and
  // always T, the time the form shows and the user saves
  function changes(b) {
    const out = {};
    for (const [k, v] of Object.entries(b)) {
      const old = a[k] ?? null;
      if (k === 'run_at' || old !== v) out[k] = v;
    }
    return out;
  }

  // ---- form ----
  const submit = h('button', { type: 'submit', class: 'primary' }, t(isNew ? 'bulk.reserve' : 'common.save'));
  const dryBtn = h('button', { type: 'button', id: 'dry-run-button' }, t('bulk.dryRun'));
  const form = h('form', { id: 'bulk-form', class: 'grid-form bulk-form', novalidate: true },
    field('bulk.name', nameIn, { required: true }),
    kindField, searchField, templateField, formField, eventField, labelField, runField,
    lineField, holdField,
    h('div', { class: 'actions' }, readOnly ? null : submit, dryBtn,
      h('a', { class: 'button', href: a ? `#/bulk-actions/${a.id}` : '#/bulk-actions' }, t('common.cancel'))),
    h('p', { class: 'form-error', role: 'alert' }));

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (readOnly) return;
    clearErrors(form);
    const b = collect();
    const bad = check(b, false);
    if (bad) { showError(form, bad); return; }
    submit.disabled = true;
    try {
      if (isNew) {
        const made = await api('POST', '/bulk-actions', { kind: kind(), ...dropNulls(b) });
        toast(t('bulk.reserved', { name: made.name || b.name }));
      } else {
        await api('PATCH', `/bulk-actions/${a.id}`, changes(b));
        toast(t('bulk.saved', { name: b.name }));
      }
      navigate('/bulk-actions');
    } catch (e) {
      showError(form, e);
    } finally {
      submit.disabled = false;
    }
  });

  // ---- dry run ----
  const dryOut = h('section', { id: 'dry-run', class: 'panel dry-run', hidden: true, 'aria-live': 'polite',
                                'aria-labelledby': 'dry-run-title' });
  form.addEventListener('input', () => { if (!dryOut.hidden) dryOut.classList.add('stale'); });
  form.addEventListener('change', () => { if (!dryOut.hidden) dryOut.classList.add('stale'); });

  function countTile(id, key, n, cls = '') {
    return h('li', { class: `tile ${cls}`.trim(), id, dataset: { count: String(n ?? '') } },
      h('span', { class: 'n' }, n === null || n === undefined ? '—' : String(n)),
      h('span', { class: 'what' }, t(key)));
  }

  function showDryRun(r, at) {
    const failures = r.failures || [];
    const recipients = r.recipients || [];
    const reasons = Object.entries(r.reasons || {});
    const textOf = (code) => {
      const f = failures.find((x) => x.reason === code);
      return reasonText(code, f && f.message);
    };
    dryOut.classList.remove('stale');
    dryOut.hidden = false;
    fill(dryOut,
      h('h3', { id: 'dry-run-title' }, t('bulk.dryRunTitle')),
      h('p', { class: 'hint' }, t('bulk.dryRunAt', { at: fmtTime(at) }),
        h('span', { class: 'stale-note' }, ' ', t('bulk.dryRunStale'))),
      r.error ? h('div', { class: 'alert error', role: 'alert', id: 'dry-run-error' },
        h('strong', null, t('bulk.wholeError')), ' ', errorText(r.error),
        h('span', { class: 'hint' }, ' ', `(${r.error.code})`)) : null,
      h('ul', { class: 'count-tiles' },
        countTile('dry-hits', 'bulk.hits', r.hits),
        countTile('dry-receive', 'bulk.wouldReceive', r.would_receive, 'ok'),
        countTile('dry-fail', 'bulk.wouldFail', r.would_fail, r.would_fail ? 'bad' : '')),
      reasons.length ? [h('h4', null, t('bulk.reasons')),
        h('ul', { class: 'reasons', id: 'dry-run-reasons' }, reasons.map(([code, n]) => h('li', null,
          h('span', { class: 'reason' }, textOf(code)), ' ', badge(String(n)), ' ',
          h('code', { class: 'hint' }, code))))] : null,
      failures.length ? [h('h4', null, t('bulk.failuresTitle')),
        r.would_fail > failures.length ? h('p', { class: 'hint' }, t('bulk.firstN', { n: failures.length, total: r.would_fail })) : null,
        h('div', { id: 'dry-run-failures' }, table(['bulk.candidate', 'bulk.reason', 'bulk.detail'],
          failures.map((f) => row([resultCells(f)[0], reasonText(f.reason, f.message), f.detail || ''])),
          { class: 'failures' }))] : null,
      r.error ? null : [h('h4', null, t('bulk.recipientsTitle')),
        r.would_receive > recipients.length ? h('p', { class: 'hint' },
          t('bulk.firstN', { n: recipients.length, total: r.would_receive })) : null,
        h('div', { id: 'dry-run-recipients' }, table(['bulk.candidate', 'bulk.email', 'bulk.line'],
          recipients.map((x) => row([...resultCells(x), x.line ? badge(t('candidate.lineFriend'), 'line') : ''])),
          { empty: t('bulk.nobody') }))]);
  }

  dryBtn.addEventListener('click', async () => {
    clearErrors(form);
    const b = collect();
    const bad = check(b, true);
    if (bad) { showError(form, bad); return; }
    const body = { kind: kind(), ...dropNulls(b) };
    delete body.status;           // who would receive it now: T and hold do not matter
    delete body.run_at;
    if (!body.name) delete body.name;
    dryBtn.disabled = true;
    dryBtn.setAttribute('aria-busy', 'true');
    try {
      const r = await api('POST', '/bulk-actions/dry-run', body);
      if (alive) showDryRun(r, new Date().toISOString());
    } catch (e) {
      showError(form, isMissingEndpoint(e) ? { message: t('common.notYet') } : e);
    } finally {
      dryBtn.disabled = false;
      dryBtn.removeAttribute('aria-busy');
    }
  });

  // ---- layout ----
  if (readOnly) {
    for (const i of form.querySelectorAll('input, select')) i.disabled = true;
    dryBtn.disabled = !canManage;
  }
  showKind();
  showTarget();
  showSubject();
  const notice = a && !a.editable ? h('p', { class: 'alert', id: 'bulk-locked' },
    a.locked ? lockNotice(a) : t('bulk.notEditable', { status: t(`bulk.status.${a.status}`) })) : null;
  append(el, [
    h('p', { class: 'crumbs' }, h('a', { href: '#/bulk-actions' }, t('bulk.back'))),
    h('h2', null, isNew ? t('bulk.new') : t('bulk.editNamed', { name: a.name })),
    notice,
    h('div', { class: 'split bulk-edit' },
      h('section', { class: 'panel', 'aria-label': t(isNew ? 'bulk.new' : 'common.edit') }, form),
      h('div', null, dryOut,
        h('section', { class: 'panel hint-panel' }, h('h3', null, t('bulk.rulesTitle')),
          h('ul', { class: 'rules' }, ['bulk.rule.limit', 'bulk.rule.soon', 'bulk.rule.lock', 'bulk.rule.hits',
                                       'bulk.rule.search'].map((k) => h('li', null, t(k, { max: MAX_HITS })))))))]);
  if (searchSel.value) updateCount();
  showLineState();
  if (!readOnly) nameIn.focus();
  return () => { alive = false; };
}
