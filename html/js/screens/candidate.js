// Candidate page (#/candidates/:id) and the new-candidate form
// (#/candidates/new): fields, labels, LINE friend badge (LN-5: shown
// while linked, nothing on the company side removes it), who last edited
// it and when, and the timeline of every channel with the compose box
// (js/timeline.js).
import { api, ApiError, tryList } from '../api.js';
import { fullName, kanaName, labelChips, lineBadge, statusBadge } from '../candidates-common.js';
import { badge, button, clearErrors, field, h, select, showError, fill } from '../dom.js';
import { fmtTime, t } from '../i18n.js';
import { navigate } from '../router.js';
import { STATUSES } from '../search-builder.js';
import { timeline } from '../timeline.js';

const TEXT_FIELDS = [
  ['family_name', 'text', { required: true, maxlength: 100, autocomplete: 'family-name' }],
  ['given_name', 'text', { maxlength: 100, autocomplete: 'given-name' }],
  ['family_name_kana', 'text', { maxlength: 100 }],
  ['given_name_kana', 'text', { maxlength: 100 }],
  ['email', 'email', { maxlength: 254, autocomplete: 'email' }],
  ['phone', 'tel', { placeholder: '+819012345678', autocomplete: 'tel' }],
  ['whatsapp_number', 'tel', { placeholder: '+819012345678' }],
  ['country', 'text', { maxlength: 2, placeholder: 'JP', size: 3 }],
  ['graduation_year', 'number', { min: 1950, max: 2100, step: 1 }],
  ['school', 'text', { maxlength: 200 }],
];
const REF_FIELDS = [['owner_id', 'users'], ['agent_id', 'agents'], ['job_opening_id', 'job-openings'],
                    ['candidate_group_id', 'candidate-groups']];

export async function render(el, params, ctx) {
  const isNew = !params.id;
  let c = null;
  if (!isNew) {
    try {
      c = await api('GET', `/candidates/${encodeURIComponent(params.id)}`);
    } catch (e) {
      el.append(h('h2', null, t('candidate.title')),
        h('p', { class: 'form-error', role: 'alert' },
          e instanceof ApiError && e.status === 404 ? t('candidate.notFound') : e.message),
        h('p', null, h('a', { href: '#/candidates' }, t('candidates.back'))));
      return;
    }
  }
  const [labels, users, agents, jobs, cgroups] = await Promise.all([
    tryList('/labels'), tryList('/users'), tryList('/agents'), tryList('/job-openings'),
    tryList('/candidate-groups')]);
  const lists = { users, agents, 'job-openings': jobs, 'candidate-groups': cgroups };
  const v = (k) => (c ? c[k] : undefined);

  // ---- the form ----
  const inputs = {};
  const textFields = TEXT_FIELDS.map(([name, type, props]) => {
    inputs[name] = h('input', { name, type, value: v(name) ?? '', ...props, required: !!props.required });
    return field(`candidate.${name}`, inputs[name], { required: props.required,
      hint: ['phone', 'whatsapp_number'].includes(name) ? t('candidate.e164') : null });
  });
  // "LINE friend" next to the email (LN-5)
  const emailLabel = textFields[TEXT_FIELDS.findIndex(([n]) => n === 'email')].querySelector('label');
  if (c && (c.line_linked_at || c.line_user_id)) {
    emailLabel.append(' ', badge(t('candidate.lineFriend'), 'line email-line'));
  }
  inputs.status = select('status', STATUSES.map((s) => [s, t(`status.${s}`)]), v('status') || 'applied');
  inputs.route = select('route', [['direct', t('route.direct')], ['agent', t('route.agent')]], v('route') || 'direct');
  const refFields = REF_FIELDS.map(([name, list]) => {
    const items = lists[list];
    inputs[name] = items
      ? select(name, [['', t('common.noneChosen')], ...items.map((o) => [o.id, o.name || o.title])], v(name))
      : h('input', { name, type: 'number', min: 1, value: v(name) ?? '' });
    return field(`candidate.${name}`, inputs[name]);
  });
  const agentField = refFields[1];
  const syncRoute = () => { agentField.hidden = inputs.route.value !== 'agent'; };
  inputs.route.addEventListener('change', syncRoute);

  const labelBox = h('fieldset', { class: 'checks labels' }, h('legend', null, t('candidate.labels')),
    labels === null ? h('p', { class: 'hint' }, t('common.notYet'))
      : labels.length ? labels.map((l) => h('label', { class: 'check chip' },
        h('input', { type: 'checkbox', name: 'label_ids', value: l.id, dataset: { multi: '1' },
                     checked: (v('label_ids') || []).includes(l.id) }), ' ',
        /^#[0-9a-f]{6}$/i.test(l.color || '') ? h('span', { class: 'swatch', style: `background:${l.color}` }) : null,
        l.name)) : h('p', { class: 'hint' }, t('candidate.noLabels'), ' ',
        h('a', { href: '#/data/labels' }, t('nav.labels'))),
    h('p', { class: 'field-error', dataset: { errorFor: 'label_ids' } }));

  // custom fields: key / type / value rows
  const customRows = h('div', { class: 'custom-rows' });
  const addCustom = (key = '', value = '') => {
    const type = typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'bool' : 'text';
    const valIn = h('input', { class: 'cf-value', value: type === 'bool' ? '' : String(value),
                               'aria-label': t('candidate.customValue') });
    const boolSel = select('cf-bool', [['true', t('common.yes')], ['false', t('common.no')]], String(value),
                           { class: 'cf-bool', 'aria-label': t('candidate.customValue') });
    const typeSel = select('cf-type', [['text', t('search.type.text')], ['number', t('search.type.number')],
                                       ['bool', t('search.type.bool')]], type,
                           { class: 'cf-type', 'aria-label': t('search.customType') });
    const sync = () => { valIn.hidden = typeSel.value === 'bool'; boolSel.hidden = typeSel.value !== 'bool'; };
    typeSel.addEventListener('change', sync);
    sync();
    const r = h('div', { class: 'custom-row' },
      h('input', { class: 'cf-key', value: key, pattern: '[a-z][a-z0-9_]{0,39}',
                   'aria-label': t('candidate.customKey'), placeholder: t('candidate.customKey') }),
      typeSel, valIn, boolSel,
      button('search.remove', () => r.remove(), { class: 'icon', 'aria-label': t('common.remove') }));
    customRows.append(r);
  };
  for (const [k, val] of Object.entries(v('custom_fields') || {})) addCustom(k, val);
  const customBox = h('fieldset', { class: 'custom' }, h('legend', null, t('candidate.custom_fields')),
    customRows, button('candidate.addCustom', () => addCustom(), { class: 'small' }),
    h('p', { class: 'field-error', dataset: { errorFor: 'custom_fields' } }));

  inputs.opted_out = h('input', { type: 'checkbox', name: 'opted_out', checked: !!v('opted_out') });

  const submit = h('button', { type: 'submit', class: 'primary' }, t(isNew ? 'candidate.create' : 'common.save'));
  const form = h('form', { id: 'candidate-form', class: 'grid-form', novalidate: true },
    textFields,
    field('candidate.status', inputs.status),
    field('candidate.route', inputs.route),
    refFields,
    labelBox,
    customBox,
    field('candidate.opted_out', inputs.opted_out, { class: 'check-field' }),
    h('div', { class: 'actions' }, submit,
      isNew ? h('a', { class: 'button', href: '#/candidates' }, t('common.cancel')) : null),
    h('p', { class: 'form-error', role: 'alert' }));
  syncRoute();

  function collect() {
    const out = {};
    for (const [name, type] of TEXT_FIELDS) {
      const s = inputs[name].value.trim();
      out[name] = s === '' ? null : type === 'number' ? Number(s) : name === 'country' ? s.toUpperCase() : s;
    }
    out.status = inputs.status.value;
    out.route = inputs.route.value;
    for (const [name] of REF_FIELDS) out[name] = inputs[name].value ? Number(inputs[name].value) : null;
    if (out.route !== 'agent') out.agent_id = null;
    if (labels) out.label_ids = [...labelBox.querySelectorAll('input:checked')].map((x) => Number(x.value));
    const cf = {};
    for (const r of customRows.children) {
      const key = r.querySelector('.cf-key').value.trim();
      if (!key) continue;
      const type = r.querySelector('.cf-type').value;
      const raw = r.querySelector('.cf-value').value;
      cf[key] = type === 'bool' ? r.querySelector('.cf-bool').value === 'true'
        : type === 'number' ? Number(raw) : raw;
    }
    out.custom_fields = cf;
    out.opted_out = inputs.opted_out.checked;
    return out;
  }

  const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const data = collect();
    if (!data.family_name) { showError(form, { field: 'family_name', message: t('common.required') }); return; }
    submit.disabled = true;
    try {
      if (isNew) {
        const body = {};
        for (const [k, val] of Object.entries(data)) {
          if (val === null || val === false || (Array.isArray(val) && !val.length)
              || (k === 'custom_fields' && !Object.keys(val).length)) continue;
          body[k] = val;
        }
        const made = await api('POST', '/candidates', body);
        navigate(`/candidates/${made.id}`);
      } else {
        const patch = {};
        for (const [k, val] of Object.entries(data)) {
          const old = k === 'label_ids' ? [...(c[k] || [])].sort() : c[k];
          const now = k === 'label_ids' ? [...val].sort() : val;
          if (!same(old ?? (k === 'custom_fields' ? {} : null), now)) patch[k] = val;
        }
        if (Object.keys(patch).length) {
          c = await api('PATCH', `/candidates/${c.id}`, patch);
          drawHead();
          drawRecord();
          // the route decides whether LINE may be used (LN-8)
          if ('route' in patch || 'agent_id' in patch) renewTimeline();
        }
        const ok = form.querySelector('.form-error');
        ok.textContent = '';
        status.textContent = t('common.saved');
      }
    } catch (e) {
      showError(form, e);
    } finally {
      submit.disabled = false;
    }
  });
  const status = h('p', { class: 'saved-note', role: 'status' });

  // ---- head, record, timeline ----
  const head = h('div', { class: 'candidate-head' });
  function drawHead() {
    if (isNew) { fill(head, h('h2', null, t('candidate.new'))); return; }
    fill(head, 
      h('p', { class: 'crumbs' }, h('a', { href: '#/candidates' }, t('candidates.back'))),
      h('h2', { id: 'candidate-name' }, fullName(c) || `#${c.id}`),
      kanaName(c) ? h('p', { class: 'kana' }, kanaName(c)) : null,
      h('p', { class: 'badges' }, statusBadge(c.status), ' ', lineBadge(c), ' ',
        c.opted_out ? badge(t('candidate.optedOutBadge'), 'warn') : null, ' ',
        c.route === 'agent' ? badge(t('route.agent'), 'muted') : null),
      labelChips(c.label_ids, labels));
  }
  const uname = (id) => {
    if (!id) return t('common.system');
    const u = (users || []).find((x) => x.id === id);
    return u ? u.name : (ctx.session.user.id === id ? ctx.session.user.name : `#${id}`);
  };
  const record = h('dl', { class: 'facts', id: 'candidate-record' });
  function drawRecord() {
    if (isNew) return;
    fill(record, 
      h('dt', null, t('candidate.lastEdited')),
      h('dd', { id: 'last-edited' }, t('candidate.byAt', { who: uname(c.updated_by), at: fmtTime(c.updated_at) })),
      h('dt', null, t('candidate.created')),
      h('dd', null, t('candidate.byAt', { who: uname(c.created_by), at: fmtTime(c.created_at) })),
      h('dt', null, t('candidate.line')),
      h('dd', null, c.line_user_id
        ? [h('code', null, c.line_user_id), ' ', t('candidate.linkedAt', { at: fmtTime(c.line_linked_at) })]
        : t('candidate.notLinked')),
      h('dt', null, 'ID'), h('dd', null, String(c.id)));
  }
  drawHead();
  drawRecord();

  let tl = null;
  function renewTimeline() {
    if (!tl) return;
    const old = tl;
    tl = timeline(c, { who: uname, agents });
    old.stop();
    old.el.replaceWith(tl.el);
  }

  el.append(head);
  if (isNew) {
    el.append(form);
  } else {
    tl = timeline(c, { who: uname, agents });
    el.append(h('div', { class: 'split candidate' },
      h('section', { class: 'panel', 'aria-labelledby': 'profile-title' },
        h('h3', { id: 'profile-title' }, t('candidate.profile')), form, status),
      h('div', null,
        h('section', { class: 'panel', 'aria-labelledby': 'record-title' },
          h('h3', { id: 'record-title' }, t('candidate.record')), record,
          ctx.can('candidates.operate_other') ? button('common.delete', async () => {
            if (!confirm(t('common.confirmDelete', { name: fullName(c) }))) return;
            try { await api('DELETE', `/candidates/${c.id}`); navigate('/candidates'); } catch (e) {
              showError(form, e);
            }
          }, { class: 'danger' }) : null),
        tl.el)));
    return () => tl.stop();
  }
}
