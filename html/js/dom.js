// DOM helpers.  Everything that came from the server or from a user is
// inserted as text: h() turns strings into text nodes, never HTML (UI-4).
import { t } from './i18n.js';

const PROPS = new Set(['value', 'checked', 'selected', 'disabled', 'hidden',
                       'multiple', 'required', 'readOnly', 'indeterminate']);
let seq = 0;

export const uid = (p = 'f') => `${p}-${++seq}`;

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (PROPS.has(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// A labelled form field with a slot for the API error naming it.
//   field('candidate.email', h('input', {name: 'email'}))
export function field(labelKey, input, opts = {}) {
  const id = input.id || (input.id = uid('in'));
  const name = opts.name || input.name;
  const err = h('p', { class: 'field-error', id: `${id}-error`,
                       dataset: { errorFor: name || '' } });
  const desc = [err.id];
  let hint = null;
  if (opts.hint) {
    hint = h('p', { class: 'hint', id: `${id}-hint` }, opts.hint);
    desc.push(hint.id);
  }
  input.setAttribute('aria-describedby', desc.join(' '));
  const label = h('label', { for: id, class: opts.required ? 'required' : null }, opts.rawLabel ?? t(labelKey));
  if (opts.required) input.setAttribute('aria-required', 'true');
  return h('div', { class: `field ${opts.class || ''}`.trim() }, label, input, hint, err);
}

export function select(name, options, value, props = {}) {
  const s = h('select', { name, ...props });
  for (const [v, label] of options) {
    s.append(h('option', { value: String(v), selected: String(v) === String(value ?? '') },
               label));
  }
  return s;
}

export function table(headKeys, rows, opts = {}) {
  const thead = h('thead', null, h('tr', null,
    headKeys.map((k) => h('th', { scope: 'col' }, k ? t(k) : ''))));
  const tbody = h('tbody');
  for (const r of rows) tbody.append(r);
  if (!rows.length && opts.empty) {
    tbody.append(h('tr', { class: 'empty' },
      h('td', { colspan: headKeys.length }, opts.empty)));
  }
  return h('div', { class: 'table-wrap' }, h('table', { class: opts.class }, thead, tbody));
}

export function row(cells, props) {
  return h('tr', props, cells.map((c) => h('td', null, c ?? '')));
}

export function clearErrors(root) {
  for (const e of $$('.field-error', root)) e.textContent = '';
  for (const e of $$('[aria-invalid]', root)) e.removeAttribute('aria-invalid');
  for (const e of $$('.form-error', root)) e.textContent = '';
}

// Show an API error next to the field it names: the exact name, else the
// longest prefix of a path such as "custom_fields.foo" or "dates[0].x";
// what no field claims goes to the form's .form-error.
export function showError(root, err) {
  clearErrors(root);
  const msg = err.message || String(err);
  let f = err.field || '';
  while (f) {
    const slot = root.querySelector(`[data-error-for="${CSS.escape(f)}"]`);
    if (slot) {
      slot.textContent = msg;
      const input = slot.closest('.field')?.querySelector('input, select, textarea');
      if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); }
      return slot;
    }
    const cut = Math.max(f.lastIndexOf('.'), f.lastIndexOf('['));
    f = cut > 0 ? f.slice(0, cut) : '';
  }
  let slot = root.querySelector('.form-error');
  if (!slot) {
    slot = h('p', { class: 'form-error', role: 'alert' });
    root.append(slot);
  }
  slot.textContent = err.field ? `${err.field}: ${msg}` : msg;
  return slot;
}

// Form values of named controls, '' left out; checkboxes as booleans.
export function formValues(form) {
  const o = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === 'checkbox') { if (!el.dataset.multi) o[el.name] = el.checked; continue; }
    if (el.type === 'submit' || el.type === 'button') continue;
    if (el.value !== '') o[el.name] = el.value;
  }
  return o;
}

let toastTimer = null;
export function toast(msg) {
  const el = document.getElementById('toast');
  el.textContent = msg;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 3000);
}

export function badge(text, cls = '') {
  return h('span', { class: `badge ${cls}`.trim() }, text);
}

export function button(labelKey, onclick, props = {}) {
  return h('button', { type: 'button', onclick, ...props }, t(labelKey));
}

// replaceChildren that skips null/false and flattens arrays, like h().
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}
