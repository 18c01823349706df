// Saved-search condition builder (docs/data-model.md § Saved-search
// conditions): groups matching all / any / none of their children, leaves
// {field, op, value} and the shorthands has_label, has_line_link,
// agent_route, has_interview.  The model is kept here; getCondition()
// compiles it to the API's JSON tree and remembers the API path of every
// node so an error such as "condition.all[1].any[0].value" is shown next
// to the row it names.
import { button, fill, h, select } from './dom.js';
import { dateToInstant, instantToDate, t } from './i18n.js';

export const STATUSES = ['applied', 'screening', 'interview', 'offer', 'hired', 'rejected', 'withdrawn'];

const TEXT = ['eq', 'ne', 'in', 'contains', 'regex', 'exists'];
const NUM = ['eq', 'ne', 'in', 'range', 'exists'];
export const FIELDS = {
  family_name: 'text', given_name: 'text', family_name_kana: 'text', given_name_kana: 'text',
  email: 'text', phone: 'text', country: 'text', school: 'text', graduation_year: 'int',
  status: 'enum', route: 'enum', candidate_group_id: 'ref', owner_id: 'ref', agent_id: 'ref',
  job_opening_id: 'ref', opted_out: 'bool', created_at: 'datetime', updated_at: 'datetime',
  custom: 'custom', '@label': 'label', '@line': 'flag', '@agent_route': 'flag', '@interview': 'flag',
};
const ENUMS = { status: STATUSES, route: ['direct', 'agent'] };
const REFS = { candidate_group_id: 'candidate-groups', owner_id: 'users', agent_id: 'agents',
               job_opening_id: 'job-openings' };
const FLAGS = { '@line': 'has_line_link', '@agent_route': 'agent_route', '@interview': 'has_interview' };
const FLAG_FIELD = Object.fromEntries(Object.entries(FLAGS).map(([k, v]) => [v, k]));
const OPS = { text: TEXT, int: NUM, enum: ['eq', 'ne', 'in'], ref: ['eq', 'ne', 'in', 'exists'],
              bool: ['eq'], datetime: ['range', 'exists'], label: ['has', 'lacks'], flag: ['is'],
              'custom:text': TEXT, 'custom:number': NUM, 'custom:bool': ['eq', 'exists'] };
const MAX_DEPTH = 10;
const MAX_CHILDREN = 50;

class Incomplete extends Error {}

const kindOf = (leaf) => (FIELDS[leaf.field] === 'custom' ? `custom:${leaf.customType}` : FIELDS[leaf.field]);

function newLeaf(field = 'status') {
  const leaf = { type: 'leaf', field, op: '', value: '', customKey: '', customType: 'text' };
  leaf.op = OPS[kindOf(leaf)][0];
  if (field === 'status') { leaf.op = 'in'; leaf.value = []; }
  resetValue(leaf);
  return leaf;
}
const newGroup = (mode = 'all') => ({ type: 'group', mode, children: [] });

function resetValue(leaf) {
  const k = kindOf(leaf);
  if (leaf.op === 'in') leaf.value = Array.isArray(leaf.value) ? leaf.value : [];
  else if (leaf.op === 'range') leaf.value = ['', ''];
  else if (['exists', 'is'].includes(leaf.op) || k === 'bool' || k === 'custom:bool') leaf.value = 'true';
  else if (k === 'enum') leaf.value = ENUMS[leaf.field][0];
  else leaf.value = '';
}

// ---- model → API JSON ---------------------------------------------------

function scalar(leaf, raw) {
  const k = kindOf(leaf);
  const s = String(raw ?? '').trim();
  if (s === '') throw new Incomplete();
  if (k === 'int' || k === 'ref' || k === 'custom:number') {
    const n = Number(s);
    if (!Number.isFinite(n) || ((k === 'int' || k === 'ref') && !Number.isInteger(n))) throw new Incomplete();
    return n;
  }
  if (k === 'bool' || k === 'custom:bool') return s === 'true';
  return s;
}

function compileLeaf(leaf) {
  const k = kindOf(leaf);
  if (k === 'label') {
    if (!leaf.value) throw new Incomplete();
    const n = { has_label: Number(leaf.value) };
    return leaf.op === 'lacks' ? { not: n } : n;
  }
  if (k === 'flag') return { [FLAGS[leaf.field]]: leaf.value === 'true' };
  let field = leaf.field;
  if (k.startsWith('custom')) {
    if (!/^[a-z][a-z0-9_]{0,39}$/.test(leaf.customKey)) throw new Incomplete();
    field = `custom.${leaf.customKey}`;
  }
  let value;
  if (leaf.op === 'exists') value = leaf.value === 'true';
  else if (leaf.op === 'in') {
    const parts = Array.isArray(leaf.value) ? leaf.value
      : String(leaf.value).split(/[,\n、，]/).map((x) => x.trim()).filter(Boolean);
    if (!parts.length) throw new Incomplete();
    value = parts.map((p) => scalar(leaf, p));
  } else if (leaf.op === 'range') {
    const [lo, hi] = leaf.value;
    if (!String(lo).trim() && !String(hi).trim()) throw new Incomplete();
    if (k === 'datetime') {
      value = [lo ? dateToInstant(lo) : null, hi ? dateToInstant(hi, true) : null];
    } else {
      value = [String(lo).trim() ? scalar(leaf, lo) : null, String(hi).trim() ? scalar(leaf, hi) : null];
    }
  } else value = scalar(leaf, leaf.value);
  return { field, op: leaf.op, value };
}

// ---- API JSON → model ---------------------------------------------------

function parse(node) {
  if (node.all || node.any) {
    const g = newGroup(node.all ? 'all' : 'any');
    g.children = (node.all || node.any).map(parse);
    return g;
  }
  if (node.not) {
    if (node.not.any) { const g = parse(node.not); g.mode = 'none'; return g; }
    if ('has_label' in node.not) return { ...newLeaf('@label'), op: 'lacks', value: String(node.not.has_label) };
    const g = newGroup('none');
    g.children = [parse(node.not)];
    return g;
  }
  if ('has_label' in node) return { ...newLeaf('@label'), op: 'has', value: String(node.has_label) };
  for (const [key, f] of Object.entries(FLAG_FIELD)) {
    if (key in node) return { ...newLeaf(f), op: 'is', value: String(!!node[key]) };
  }
  const leaf = newLeaf('status');
  let field = node.field;
  if (field.startsWith('custom.')) {
    leaf.customKey = field.slice(7);
    const sample = Array.isArray(node.value) ? node.value.find((v) => v !== null) : node.value;
    leaf.customType = node.op === 'exists' ? 'text'
      : typeof sample === 'number' ? 'number' : typeof sample === 'boolean' ? 'bool' : 'text';
    field = 'custom';
  }
  leaf.field = FIELDS[field] ? field : 'family_name';
  leaf.op = node.op;
  const k = kindOf(leaf);
  const str = (v) => (v === null || v === undefined ? '' : String(v));
  if (node.op === 'range') {
    leaf.value = (node.value || []).map((v) => (k === 'datetime' ? instantToDate(v) : str(v)));
  } else if (node.op === 'in') {
    leaf.value = (k === 'enum' || k === 'ref') ? node.value.map(str) : node.value.map(str).join(', ');
  } else leaf.value = str(node.value);
  return leaf;
}

// ---- the component ------------------------------------------------------

export function createBuilder({ lookups = {}, onChange = () => {} } = {}) {
  let root = newGroup('all');
  let slots = new Map();          // API path → error slot
  const el = h('div', { class: 'builder', id: 'search-builder' });

  const changed = () => onChange();
  const structural = () => { draw(); onChange(); };

  function options(field) {
    if (field === '@label') return lookups.labels;
    return REFS[field] ? lookups[REFS[field]] : null;
  }
  const optLabel = (o) => o.name || o.title || `#${o.id}`;

  function valueControl(leaf) {
    const k = kindOf(leaf);
    const set = (v) => { leaf.value = v; changed(); };
    const label = t('search.value');
    if (k === 'label') {
      const opts = options('@label');
      if (!opts) {
        return h('input', { type: 'number', min: 1, value: leaf.value, 'aria-label': t('search.labelId'),
                            oninput: (e) => set(e.target.value) });
      }
      const s = select('value', [['', t('search.choose')], ...opts.map((o) => [o.id, optLabel(o)])],
                       leaf.value, { 'aria-label': t('field.@label') });
      s.addEventListener('change', (e) => set(e.target.value));
      return s;
    }
    if (leaf.op === 'exists' || k === 'flag' || k === 'bool' || k === 'custom:bool') {
      const yesNo = leaf.op === 'exists' ? [['true', t('search.exists.true')], ['false', t('search.exists.false')]]
        : [['true', t('common.yes')], ['false', t('common.no')]];
      const s = select('value', yesNo, leaf.value, { 'aria-label': label });
      s.addEventListener('change', (e) => set(e.target.value));
      return s;
    }
    const enumOpts = k === 'enum' ? ENUMS[leaf.field].map((v) => [v, t(`${leaf.field}.${v}`)])
      : k === 'ref' && options(leaf.field) ? options(leaf.field).map((o) => [String(o.id), optLabel(o)]) : null;
    if (leaf.op === 'in' && enumOpts) {
      const chosen = new Set(leaf.value);
      return h('fieldset', { class: 'in-values' }, h('legend', { class: 'sr-only' }, label),
        enumOpts.map(([v, text]) => h('label', { class: 'check' },
          h('input', { type: 'checkbox', value: v, checked: chosen.has(v), onchange: (e) => {
            if (e.target.checked) chosen.add(v); else chosen.delete(v);
            set([...chosen]);
          } }), ' ', text)));
    }
    if (enumOpts) {
      const s = select('value', [['', t('search.choose')], ...enumOpts], leaf.value, { 'aria-label': label });
      s.addEventListener('change', (e) => set(e.target.value));
      return s;
    }
    const type = k === 'datetime' ? 'date' : (k === 'int' || k === 'ref' || k === 'custom:number') && leaf.op !== 'in'
      ? 'number' : 'text';
    if (leaf.op === 'range') {
      const [lo, hi] = leaf.value;
      return h('span', { class: 'range' },
        h('input', { type, value: lo, 'aria-label': t('search.min'), placeholder: t('search.min'),
                     oninput: (e) => set([e.target.value, leaf.value[1]]) }),
        h('span', { 'aria-hidden': 'true' }, ' – '),
        h('input', { type, value: hi, 'aria-label': t('search.max'), placeholder: t('search.max'),
                     oninput: (e) => set([leaf.value[0], e.target.value]) }));
    }
    return h('input', { type, value: leaf.value, 'aria-label': label,
                        placeholder: leaf.op === 'in' ? t('search.inHint')
                          : leaf.op === 'regex' ? t('search.regexHint') : '',
                        oninput: (e) => set(e.target.value) });
  }

  function drawLeaf(leaf, parent, path) {
    const k = kindOf(leaf);
    const fieldSel = select('field', Object.keys(FIELDS).map((f) => [f, t(`field.${f}`)]), leaf.field,
                            { 'aria-label': t('search.field') });
    fieldSel.addEventListener('change', (e) => {
      leaf.field = e.target.value;
      const ops = OPS[kindOf(leaf)];
      if (!ops.includes(leaf.op)) leaf.op = ops[0];
      leaf.value = '';
      resetValue(leaf);
      structural();
    });
    const ops = OPS[k];
    const opSel = select('op', ops.map((o) => [o, t(`op.${o}`)]), leaf.op, { 'aria-label': t('search.op') });
    opSel.addEventListener('change', (e) => { leaf.op = e.target.value; leaf.value = ''; resetValue(leaf); structural(); });
    let custom = null;
    if (k.startsWith('custom')) {
      const typeSel = select('custom_type', [['text', t('search.type.text')], ['number', t('search.type.number')],
                                             ['bool', t('search.type.bool')]], leaf.customType,
                             { 'aria-label': t('search.customType') });
      typeSel.addEventListener('change', (e) => {
        leaf.customType = e.target.value;
        if (!OPS[kindOf(leaf)].includes(leaf.op)) leaf.op = OPS[kindOf(leaf)][0];
        resetValue(leaf);
        structural();
      });
      custom = h('span', { class: 'custom-key' },
        h('input', { value: leaf.customKey, 'aria-label': t('search.customKey'), placeholder: t('search.customKey'),
                     pattern: '[a-z][a-z0-9_]{0,39}', size: 12,
                     oninput: (e) => { leaf.customKey = e.target.value; changed(); } }), typeSel);
    }
    const err = h('p', { class: 'field-error', role: 'alert' });
    const li = h('li', { class: 'cond', dataset: { path } },
      h('div', { class: 'cond-row' }, fieldSel, custom, ops.length > 1 ? opSel : null, valueControl(leaf),
        button('search.remove', () => { parent.children.splice(parent.children.indexOf(leaf), 1); structural(); },
               { class: 'icon', 'aria-label': t('search.removeCondition') })),
      err);
    leaf.row = li;
    return li;
  }

  function drawGroup(group, parent, depth) {
    const modeSel = select('mode', ['all', 'any', 'none'].map((m) => [m, t(`search.mode.${m}`)]), group.mode,
                           { 'aria-label': t('search.match') });
    modeSel.addEventListener('change', (e) => { group.mode = e.target.value; structural(); });
    const list = h('ol', { class: 'cond-list' });
    for (const c of group.children) {
      list.append(c.type === 'group' ? drawGroup(c, group, depth + 1) : drawLeaf(c, group, ''));
    }
    if (!group.children.length) list.append(h('li', { class: 'hint empty' }, t('search.noConditions')));
    const full = group.children.length >= MAX_CHILDREN;
    const box = h('fieldset', { class: `group depth-${depth % 3}` },
      h('legend', { class: 'sr-only' }, t(parent ? 'search.subgroup' : 'search.title')),
      h('div', { class: 'group-head' }, h('span', null, t('search.matchPrefix')), ' ', modeSel, ' ',
        h('span', null, t('search.matchSuffix'))),
      list,
      h('div', { class: 'group-actions' },
        button('search.addCondition', () => { group.children.push(newLeaf()); structural(); },
               { disabled: full, class: 'small' }),
        depth + 1 < MAX_DEPTH - 1 ? button('search.addGroup', () => {
          const g = newGroup(group.mode === 'all' ? 'any' : 'all');
          g.children.push(newLeaf());
          group.children.push(g);
          structural();
        }, { disabled: full, class: 'small' }) : null,
        parent ? button('search.removeGroup', () => {
          parent.children.splice(parent.children.indexOf(group), 1); structural();
        }, { class: 'small danger' }) : null),
      h('p', { class: 'field-error', role: 'alert' }));
    group.box = box;
    const wrap = parent ? h('li', { class: 'cond cond-group' }, box) : box;
    return wrap;
  }

  function draw() {
    fill(el, drawGroup(root, null, 0));
  }

  // compile, recording each node's API path and its error slot
  function compile(node, path) {
    if (node.type === 'leaf') {
      node.row.dataset.path = path;
      slots.set(path, node.row.querySelector(':scope > .field-error'));
      return compileLeaf(node);
    }
    slots.set(path, node.box.querySelector(':scope > .field-error'));
    const key = node.mode === 'none' ? 'any' : node.mode;
    const base = node.mode === 'none' ? `${path}.not.any` : `${path}.${key}`;
    const kids = node.children.map((c, i) => compile(c, `${base}[${i}]`));
    if (!kids.length) throw new Incomplete();
    return node.mode === 'none' ? { not: { any: kids } } : { [key]: kids };
  }

  return {
    el,
    // {condition} (null when there is no condition), or {incomplete: true}
    getCondition() {
      slots = new Map();
      if (!root.children.length) { draw(); return { condition: null }; }
      try { return { condition: compile(root, 'condition') }; } catch (e) {
        if (e instanceof Incomplete) return { incomplete: true };
        throw e;
      }
    },
    setCondition(cond) {
      root = cond ? parse(cond) : newGroup('all');
      if (root.type !== 'group') { const g = newGroup('all'); g.children = [root]; root = g; }
      draw();
    },
    addCondition(field) { root.children.push(newLeaf(field)); structural(); },
    clearErrors() {
      for (const s of el.querySelectorAll('.field-error')) s.textContent = '';
      for (const r of el.querySelectorAll('.invalid')) r.classList.remove('invalid');
    },
    // Show an error whose field is an API path; false if no node claims it.
    showError(err) {
      const f = err.field || '';
      let best = null;
      for (const p of slots.keys()) {
        if ((f === p || f.startsWith(p + '.') || f.startsWith(p + '['))
            && (!best || p.length > best.length)) best = p;
      }
      if (!best) return false;
      const slot = slots.get(best);
      slot.textContent = err.message;
      slot.parentElement.classList.add('invalid');
      return true;
    },
    redraw: draw,
    setLookups(l) { Object.assign(lookups, l); draw(); },
  };
}

