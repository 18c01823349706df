// Candidate list with the saved-search builder: a live count of the
// condition being built (debounced POST /searches/count), saving it into a
// search group, and opening saved searches to list their candidates.
import { api, isMissingEndpoint, tryList } from '../api.js';
import { fullName, kanaName, labelChips, lineBadge, statusBadge } from '../candidates-common.js';
import { button, clearErrors, field, h, row, select, showError, table, fill } from '../dom.js';
import { fmtTime, t } from '../i18n.js';
import { createBuilder } from '../search-builder.js';

const DEBOUNCE_MS = 350;

export async function render(el, params, ctx) {
  let lookups = {};
  let searchGroups = [];
  let saved = [];
  let current = null;          // the saved search being shown / edited
  let timer = null;
  let countSeq = 0;
  let aborter = null;
  let alive = true;

  const countOut = h('output', { id: 'search-count', class: 'count', 'aria-live': 'polite',
                                 dataset: { state: 'idle' } });
  const builder = createBuilder({ lookups, onChange: () => scheduleCount() });

  // ---- live count ----
  function scheduleCount() {
    clearTimeout(timer);
    countOut.dataset.state = 'pending';
    timer = setTimeout(runCount, DEBOUNCE_MS);
  }

  async function runCount() {
    builder.clearErrors();
    let got;
    try { got = builder.getCondition(); } catch (e) { got = { incomplete: true }; }
    if (aborter) aborter.abort();
    const seq = ++countSeq;
    if (got.incomplete) {
      countOut.dataset.state = 'incomplete';
      delete countOut.dataset.count;
      countOut.textContent = t('search.incomplete');
      return;
    }
    if (!got.condition) {
      countOut.dataset.state = 'empty';
      delete countOut.dataset.count;
      countOut.textContent = t('search.noConditionsAll');
      return;
    }
    aborter = new AbortController();
    countOut.textContent = t('search.counting');
    try {
      const r = await api('POST', '/searches/count', { condition: got.condition }, { signal: aborter.signal });
      if (seq !== countSeq || !alive) return;
      countOut.dataset.state = 'ok';
      countOut.dataset.count = String(r.count);
      countOut.textContent = t(r.count === 1 ? 'search.countOne' : 'search.count', { n: r.count });
    } catch (e) {
      if (e.name === 'AbortError' || seq !== countSeq || !alive) return;
      countOut.dataset.state = 'error';
      delete countOut.dataset.count;
      if (isMissingEndpoint(e)) { countOut.textContent = t('common.notYet'); return; }
      if (!builder.showError(e)) countOut.textContent = e.message;
      else countOut.textContent = t('search.fix');
    }
  }

  // ---- save ----
  const groupSel = h('select', { name: 'search_group_id' });
  const newGroupInput = h('input', { name: 'new_group', maxlength: 200 });
  const newGroupField = field('search.newGroup', newGroupInput);
  newGroupField.hidden = true;
  groupSel.addEventListener('change', () => { newGroupField.hidden = groupSel.value !== 'new'; });
  const nameInput = h('input', { name: 'name', maxlength: 200, required: true });
  const saveNew = h('button', { type: 'submit', class: 'primary', dataset: { mode: 'new' } }, t('search.save'));
  const saveUpdate = h('button', { type: 'submit', dataset: { mode: 'update' }, hidden: true }, t('search.update'));
  const saveForm = h('form', { id: 'save-search-form', class: 'grid-form compact', novalidate: true },
    field('search.name', nameInput, { required: true }),
    field('search.group', groupSel, { required: true }),
    newGroupField,
    h('div', { class: 'actions' }, saveUpdate, saveNew),
    h('p', { class: 'form-error', role: 'alert' }));

  function fillGroups(selected) {
    fill(groupSel, 
      ...searchGroups.map((g) => h('option', { value: g.id, selected: g.id === selected }, g.name)),
      ctx.can('bulk_actions.manage') ? h('option', { value: 'new' }, t('search.newGroupOption')) : null);
    newGroupField.hidden = groupSel.value !== 'new';
  }

  saveForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(saveForm);
    builder.clearErrors();
    const update = ev.submitter && ev.submitter.dataset.mode === 'update' && current;
    const name = nameInput.value.trim();
    if (!name) { showError(saveForm, { field: 'name', message: t('common.required') }); return; }
    const got = builder.getCondition();
    if (got.incomplete || !got.condition) {
      showError(saveForm, { message: t(got.incomplete ? 'search.incomplete' : 'search.needCondition') });
      return;
    }
    try {
      let gid = groupSel.value;
      if (gid === 'new') {
        const gname = newGroupInput.value.trim();
        if (!gname) { showError(saveForm, { field: 'new_group', message: t('common.required') }); return; }
        try {
          const g = await api('POST', '/search-groups', { name: gname });
          searchGroups.push(g);
          gid = g.id;
          fillGroups(g.id);
          newGroupInput.value = '';
        } catch (e) {
          showError(saveForm, e.field === 'name' ? { ...e, message: e.message, field: 'new_group' } : e);
          return;
        }
      }
      if (!gid) { showError(saveForm, { field: 'search_group_id', message: t('common.required') }); return; }
      const body = { search_group_id: Number(gid), name, condition: got.condition };
      const s = update ? await api('PATCH', `/saved-searches/${current.id}`, body)
                       : await api('POST', '/saved-searches', body);
      current = s;
      await loadSaved();
      showSaved(s, false);
    } catch (e) {
      if (!(e.field && e.field.startsWith('condition') && builder.showError(e))) showError(saveForm, e);
    }
  });

  // ---- saved searches ----
  const savedBox = h('div', { id: 'saved-searches' });
  async function loadSaved() {
    const list = await tryList('/saved-searches');
    if (list === null) { fill(savedBox, h('p', { class: 'hint' }, t('common.notYet'))); return; }
    saved = list;
    const byGroup = new Map();
    for (const s of saved) {
      if (!byGroup.has(s.search_group_id)) byGroup.set(s.search_group_id, []);
      byGroup.get(s.search_group_id).push(s);
    }
    if (!saved.length) { fill(savedBox, h('p', { class: 'hint' }, t('search.noneSaved'))); return; }
    fill(savedBox, ...[...byGroup].map(([gid, items]) => h('div', { class: 'saved-group' },
      h('h4', null, (searchGroups.find((g) => g.id === gid) || {}).name || `#${gid}`),
      h('ul', { class: 'saved-list' }, items.map((s) => h('li', { class: current && current.id === s.id ? 'current' : '' },
        h('a', { href: `#/candidates?search=${s.id}`, onclick: (e) => { e.preventDefault(); showSaved(s, true); } }, s.name),
        ' ', button('common.delete', async () => {
          if (!confirm(t('common.confirmDelete', { name: s.name }))) return;
          try {
            await api('DELETE', `/saved-searches/${s.id}`);
            if (current && current.id === s.id) showAll();
            await loadSaved();
          } catch (e) { showError(saveForm, e); }
        }, { class: 'small danger', 'aria-label': `${t('common.delete')} ${s.name}` })))))));
  }

  function showSaved(s, loadIntoBuilder) {
    current = s;
    if (loadIntoBuilder) {
      builder.setCondition(s.condition);
      nameInput.value = s.name;
      fillGroups(s.search_group_id);
      scheduleCount();
    }
    saveUpdate.hidden = false;
    saveUpdate.textContent = t('search.updateNamed', { name: s.name });
    listTitle.textContent = t('search.resultsOf', { name: s.name });
    showAllBtn.hidden = false;
    for (const li of savedBox.querySelectorAll('li')) li.classList.remove('current');
    loadList(`/saved-searches/${s.id}/candidates`, true);
  }

  function showAll() {
    current = null;
    saveUpdate.hidden = true;
    listTitle.textContent = t('candidates.all');
    showAllBtn.hidden = true;
    loadList('/candidates', true);
  }

  // ---- list ----
  const listTitle = h('h3', { id: 'list-title' }, t('candidates.all'));
  const showAllBtn = button('candidates.showAll', () => showAll(), { hidden: true, class: 'small' });
  const listBox = h('div', { id: 'candidate-list' });
  const more = button('common.more', () => loadList(listPath, false), { hidden: true });
  let listPath = '/candidates';
  let after = null;
  let rows = [];

  async function loadList(path, reset) {
    if (reset) { listPath = path; after = null; rows = []; }
    let page;
    try {
      page = await api('GET', `${listPath}?limit=50${after ? `&after=${after}` : ''}`);
    } catch (e) {
      fill(listBox, h('p', { class: 'form-error', role: 'alert' },
        isMissingEndpoint(e) ? t('common.notYet') : e.message));
      more.hidden = true;
      return;
    }
    if (!alive) return;
    rows.push(...page.items);
    after = page.next_after;
    more.hidden = !after;
    fill(listBox, table(
      ['candidate.name', 'candidate.email', 'candidate.status', 'candidate.graduation_year',
       'candidate.school', 'candidate.labels', 'common.updated'],
      rows.map((c) => row([
        h('span', { class: 'name-cell' },
          h('a', { href: `#/candidates/${c.id}` }, fullName(c) || `#${c.id}`),
          kanaName(c) ? h('span', { class: 'kana' }, kanaName(c)) : null, ' ', lineBadge(c)),
        c.email || '', statusBadge(c.status), c.graduation_year ?? '', c.school || '',
        labelChips(c.label_ids, lookups.labels), fmtTime(c.updated_at)])),
      { empty: t('candidates.none'), class: 'candidates' }));
  }

  // ---- layout ----
  el.append(
    h('div', { class: 'screen-head' }, h('h2', null, t('nav.candidates')),
      ctx.can('candidates.operate_other')
        ? h('a', { class: 'button primary', href: '#/candidates/new' }, t('candidates.new')) : null),
    h('div', { class: 'split' },
      h('section', { class: 'panel search-panel', 'aria-labelledby': 'search-title' },
        h('h3', { id: 'search-title' }, t('search.title')),
        builder.el,
        h('p', { class: 'count-line' }, h('span', null, t('search.matching')), ' ', countOut),
        h('h4', null, t('search.saveTitle')), saveForm,
        h('h4', null, t('search.saved')), savedBox),
      h('section', { class: 'list-panel', 'aria-labelledby': 'list-title' },
        h('div', { class: 'screen-head' }, listTitle, showAllBtn), listBox, more)));

  builder.setCondition(null);
  runCount();

  const [labels, cgroups, users, agents, jobs, sgroups] = await Promise.all([
    tryList('/labels'), tryList('/candidate-groups'), tryList('/users'), tryList('/agents'),
    tryList('/job-openings'), tryList('/search-groups')]).catch(() => []);
  if (!alive) return undefined;
  lookups = { labels, 'candidate-groups': cgroups, users, agents, 'job-openings': jobs };
  builder.setLookups(lookups);
  searchGroups = sgroups || [];
  fillGroups(searchGroups[0] && searchGroups[0].id);
  await loadSaved();
  const q = new URLSearchParams(location.hash.split('?')[1] || '');
  const sid = Number(q.get('search'));
  const s = sid && saved.find((x) => x.id === sid);
  if (s) showSaved(s, true); else await loadList('/candidates', true);

  return () => { alive = false; clearTimeout(timer); if (aborter) aborter.abort(); };
}
