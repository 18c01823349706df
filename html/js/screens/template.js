// One template: name, subject, text and HTML bodies, the merge variables
// (GET /merge-variables) to insert at the cursor, and a preview for a
// chosen candidate (POST /templates/{id}/preview) listing missing data.
import { api, ApiError, isMissingEndpoint, tryList } from '../api.js';
import { fullName } from '../candidates-common.js';
import { clearErrors, field, fill, h, showError } from '../dom.js';
import { fmtTime, getLang, t } from '../i18n.js';
import { navigate } from '../router.js';

function variablesOf(reply) {
  const list = Array.isArray(reply) ? reply : reply.items || reply.variables || [];
  return list.map((v) => (typeof v === 'string' ? { name: v } : v));
}

export async function render(el, params, ctx) {
  const isNew = !params.id;
  let tpl = null;
  if (!isNew) {
    try { tpl = await api('GET', `/templates/${encodeURIComponent(params.id)}`); } catch (e) {
      el.append(h('h2', null, t('nav.templates')), h('p', { class: 'form-error', role: 'alert' },
        e instanceof ApiError && e.status === 404 ? t('template.notFound') : e.message));
      return;
    }
  }
  const canEdit = ctx.can('templates.manage');
  const inputs = {
    name: h('input', { name: 'name', maxlength: 200, required: true, value: tpl ? tpl.name : '', readOnly: !canEdit }),
    subject: h('input', { name: 'subject', maxlength: 255, value: tpl ? tpl.subject : '', readOnly: !canEdit }),
    body_text: h('textarea', { name: 'body_text', rows: 10, maxlength: 100000, value: tpl ? tpl.body_text : '',
                               readOnly: !canEdit }),
    body_html: h('textarea', { name: 'body_html', rows: 6, maxlength: 200000, value: (tpl && tpl.body_html) || '',
                               readOnly: !canEdit, class: 'mono' }),
  };
  let lastFocus = inputs.body_text;
  let dirty = false;
  for (const i of [inputs.subject, inputs.body_text, inputs.body_html]) {
    i.addEventListener('focus', () => { lastFocus = i; });
  }
  for (const i of Object.values(inputs)) i.addEventListener('input', () => { dirty = true; });

  const submit = h('button', { type: 'submit', class: 'primary' }, t(isNew ? 'template.create' : 'common.save'));
  const savedNote = h('p', { class: 'saved-note', role: 'status' });
  const form = h('form', { id: 'template-form', class: 'stack-form', novalidate: true },
    field('template.name', inputs.name, { required: true }),
    field('template.subject', inputs.subject),
    field('template.body_text', inputs.body_text),
    field('template.body_html', inputs.body_html, { hint: t('template.htmlHint') }),
    canEdit ? h('div', { class: 'actions' }, submit) : null,
    h('p', { class: 'form-error', role: 'alert' }), savedNote);

  async function save() {
    clearErrors(form);
    savedNote.textContent = '';
    const body = { name: inputs.name.value.trim(), subject: inputs.subject.value, body_text: inputs.body_text.value,
                   body_html: inputs.body_html.value === '' ? null : inputs.body_html.value };
    if (!body.name) { showError(form, { field: 'name', message: t('common.required') }); return false; }
    try {
      if (isNew) {
        const made = await api('POST', '/templates', body);
        navigate(`/templates/${made.id}`);
        return false;
      }
      tpl = await api('PATCH', `/templates/${tpl.id}`, body);
      dirty = false;
      savedNote.textContent = t('common.saved');
      meta.textContent = t('template.lastEdit', { at: fmtTime(tpl.updated_at) });
      return true;
    } catch (e) { showError(form, e); return false; }
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); save(); });

  // ---- merge variables ----
  const varBox = h('div', { class: 'variables', id: 'merge-variables' });
  function insert(text) {
    const i = lastFocus;
    if (i.readOnly) return;
    const s = i.selectionStart ?? i.value.length;
    const e = i.selectionEnd ?? i.value.length;
    i.setRangeText(text, s, e, 'end');
    i.focus();
    dirty = true;
  }
  try {
    const vars = variablesOf(await api('GET', '/merge-variables'));
    const ja = getLang() === 'ja';
    varBox.append(h('p', { class: 'hint' }, t('template.varsHint')),
      h('ul', { class: 'var-list' }, vars.map((v) => {
        const alias = v.alias || v.ja || v.japanese || (Array.isArray(v.aliases) ? v.aliases[0] : null);
        const token = `{${ja && alias ? alias : v.name}}`;
        return h('li', null, h('button', {
          type: 'button', class: 'var', title: v.description || '', dataset: { var: v.name },
          'aria-label': t('template.insert', { name: token }), onclick: () => insert(token),
        }, token), ' ', alias ? h('span', { class: 'hint' }, ja ? v.name : alias) : null);
      })));
  } catch (e) {
    varBox.append(h('p', { class: 'hint' }, isMissingEndpoint(e) ? t('common.notYet') : e.message));
  }

  // ---- preview ----
  const candSel = h('select', { name: 'candidate_id', id: 'preview-candidate' });
  const previewOut = h('div', { id: 'preview', class: 'preview', 'aria-live': 'polite' });
  const previewForm = h('form', { class: 'inline-form', id: 'preview-form', novalidate: true },
    field('template.previewFor', candSel, { name: 'candidate_id' }),
    h('button', { type: 'submit' }, t('template.preview')),
    h('p', { class: 'form-error', role: 'alert' }));
  const cands = await tryList('/candidates', 200).catch(() => null);
  if (cands) {
    candSel.append(...cands.map((c) => h('option', { value: c.id }, `${fullName(c)} (#${c.id})`)));
  }
  previewForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(previewForm);
    if (!candSel.value) { showError(previewForm, { field: 'candidate_id', message: t('template.chooseCandidate') }); return; }
    if (dirty && canEdit && !(await save())) return;
    try {
      const p = await api('POST', `/templates/${tpl.id}/preview`, { candidate_id: Number(candSel.value) });
      const missing = p.missing || [];
      fill(previewOut, 
        missing.length ? h('div', { class: 'missing', role: 'alert', id: 'preview-missing' },
          h('strong', null, t('template.missing')), ' ',
          h('ul', { class: 'chips warn' }, missing.map((m) => h('li', null, `{${m}}`))),
          h('p', { class: 'hint' }, t('template.missingHint')))
          : h('p', { class: 'ok', id: 'preview-missing' }, t('template.noMissing')),
        h('dl', { class: 'facts' },
          h('dt', null, t('template.subject')), h('dd', { id: 'preview-subject' }, p.subject ?? '')),
        h('h4', null, t('template.body_text')),
        h('pre', { class: 'body-text', id: 'preview-text' }, p.body_text ?? ''),
        p.body_html ? [h('h4', null, t('template.body_html')),
          // the rendered HTML in a sandbox: no scripts, no same-origin access
          h('iframe', { class: 'html-preview', sandbox: '', title: t('template.body_html'),
                        srcdoc: p.body_html, referrerpolicy: 'no-referrer' })] : null);
    } catch (e) { showError(previewForm, e); }
  });

  const meta = h('p', { class: 'hint', id: 'template-meta' },
    tpl ? t('template.lastEdit', { at: fmtTime(tpl.updated_at) }) : '');
  el.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/templates' }, t('template.back'))),
    h('h2', null, isNew ? t('template.new') : tpl.name), meta,
    h('div', { class: 'split template' },
      h('section', { class: 'panel', 'aria-labelledby': 'tpl-edit' },
        h('h3', { id: 'tpl-edit' }, t('template.edit')), form),
      h('div', null,
        h('section', { class: 'panel', 'aria-labelledby': 'tpl-vars' },
          h('h3', { id: 'tpl-vars' }, t('template.variables')), varBox),
        isNew ? null : h('section', { class: 'panel', 'aria-labelledby': 'tpl-preview' },
          h('h3', { id: 'tpl-preview' }, t('template.previewTitle')),
          cands === null ? h('p', { class: 'hint' }, t('common.notYet')) : previewForm, previewOut))));
  return () => {};
}
