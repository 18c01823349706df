// Mail settings of the tenant (docs/bulk-actions.md): the transport (a
// file per message, or SMTP with host, port, security and login), the
// sender and reply-to.  The password is write-only: the server only says
// whether one is set; leaving the box empty keeps it.
import { api, ApiError, isMissingEndpoint } from '../api.js';
import { badge, clearErrors, field, fill, h, select, showError, toast } from '../dom.js';
import { fmtTime, t } from '../i18n.js';

const SECURITY = ['starttls', 'tls', 'none'];
const DEFAULT_PORT = { starttls: 587, tls: 465, none: 25 };

export async function render(el, params, ctx) {
  el.append(h('h2', null, t('nav.mailSettings')));
  if (!ctx.can('integrations.admin')) {
    el.append(h('p', { class: 'form-error', role: 'alert' }, t('mail.noPermission')));
    return;
  }
  let m = null;
  try { m = await api('GET', '/settings/mail'); } catch (e) {
    if (isMissingEndpoint(e)) {
      el.append(h('p', { class: 'form-error', role: 'alert' }, t('common.notYet')));
      return;
    }
    // no settings yet: a fresh form (mail goes to files until then)
    if (!(e instanceof ApiError && e.status === 404)) {
      el.append(h('p', { class: 'form-error', role: 'alert' }, e.message));
      return;
    }
  }
  const v = m || { transport: 'file', smtp_security: 'starttls' };

  const transport = ['file', 'smtp'].map((x) => h('input', {
    type: 'radio', name: 'transport', value: x, checked: (v.transport || 'file') === x, onchange: () => showSmtp(),
  }));
  const transportField = h('fieldset', { class: 'field radios', id: 'transport-field' },
    h('legend', null, t('mail.transport')),
    h('label', { class: 'check' }, transport[0], ' ', t('mail.transport.file')),
    h('label', { class: 'check' }, transport[1], ' ', t('mail.transport.smtp')),
    h('p', { class: 'hint', id: 'transport-hint' }),
    h('p', { class: 'field-error', dataset: { errorFor: 'transport' } }));
  const isSmtp = () => transport[1].checked;

  const host = h('input', { name: 'smtp_host', maxlength: 253, value: v.smtp_host || '', autocomplete: 'off',
                            spellcheck: 'false' });
  const port = h('input', { name: 'smtp_port', type: 'number', min: 1, max: 65535,
                            value: v.smtp_port ?? DEFAULT_PORT[v.smtp_security || 'starttls'] });
  const security = select('smtp_security', SECURITY.map((s) => [s, t(`mail.security.${s}`)]),
                          v.smtp_security || 'starttls');
  security.addEventListener('change', () => {
    // follow the usual port while the port is still one of the defaults
    if (Object.values(DEFAULT_PORT).map(String).includes(port.value) || !port.value) {
      port.value = String(DEFAULT_PORT[security.value]);
    }
  });
  const user = h('input', { name: 'smtp_username', maxlength: 254, value: v.smtp_username || '',
                            autocomplete: 'off' });
  const pass = h('input', { name: 'smtp_password', type: 'password', maxlength: 512,
                            autocomplete: 'new-password',
                            placeholder: v.password_set ? t('mail.passwordKeep') : '' });
  const passState = h('span', { id: 'password-state' });
  const clearPass = h('input', { type: 'checkbox', name: 'clear_password' });
  const clearField = h('label', { class: 'check clear-password' }, clearPass, ' ', t('mail.clearPassword'));
  clearPass.addEventListener('change', () => { pass.disabled = clearPass.checked; });
  function showPassState(set) {
    fill(passState, set ? badge(t('mail.passwordSet'), 'active') : badge(t('mail.passwordNotSet'), 'disabled'));
    clearField.hidden = !set;
    pass.placeholder = set ? t('mail.passwordKeep') : '';
  }
  const passField = field('mail.password', pass, { hint: t('mail.passwordHint') });
  passField.querySelector('label').append(' ', passState);

  const smtpBox = h('fieldset', { class: 'smtp', id: 'smtp-fields' }, h('legend', null, t('mail.smtp')),
    h('div', { class: 'grid-form' },
      field('mail.host', host, { required: true }),
      field('mail.port', port, { required: true }),
      field('mail.security', security, { hint: t('mail.securityHint') }),
      field('mail.username', user, { hint: t('mail.usernameHint') }),
      h('div', null, passField, clearField)));

  const fromEmail = h('input', { name: 'from_email', type: 'email', maxlength: 254, value: v.from_email || '',
                                 required: true });
  const fromName = h('input', { name: 'from_name', maxlength: 200, value: v.from_name || '' });
  const replyTo = h('input', { name: 'reply_to', type: 'email', maxlength: 254, value: v.reply_to || '' });

  function showSmtp() {
    smtpBox.hidden = !isSmtp();
    transportField.querySelector('#transport-hint').textContent = t(isSmtp() ? 'mail.smtpHint' : 'mail.fileHint');
  }

  const meta = h('p', { class: 'hint', id: 'mail-meta' });
  const showMeta = (x) => {
    meta.textContent = x && x.updated_at ? t('template.lastEdit', { at: fmtTime(x.updated_at) }) : '';
  };
  const submit = h('button', { type: 'submit', class: 'primary' }, t('common.save'));
  const savedNote = h('p', { class: 'saved-note', role: 'status' });
  const form = h('form', { id: 'mail-form', class: 'stack-form', novalidate: true },
    transportField, smtpBox,
    h('fieldset', null, h('legend', null, t('mail.sender')),
      h('div', { class: 'grid-form' },
        field('mail.fromEmail', fromEmail, { required: true }),
        field('mail.fromName', fromName, { hint: t('mail.fromNameHint') }),
        field('mail.replyTo', replyTo))),
    h('div', { class: 'actions' }, submit),
    h('p', { class: 'form-error', role: 'alert' }), savedNote);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    savedNote.textContent = '';
    const body = { transport: isSmtp() ? 'smtp' : 'file', from_email: fromEmail.value.trim() };
    if (!body.from_email) { showError(form, { field: 'from_email', message: t('common.required') }); return; }
    const opt = (k, val) => { body[k] = val === '' ? null : val; };
    opt('from_name', fromName.value.trim());
    opt('reply_to', replyTo.value.trim());
    if (isSmtp()) {
      if (!host.value.trim()) { showError(form, { field: 'smtp_host', message: t('common.required') }); return; }
      if (!port.value) { showError(form, { field: 'smtp_port', message: t('common.required') }); return; }
      body.smtp_host = host.value.trim();
      body.smtp_port = Number(port.value);
      body.smtp_security = security.value;
      opt('smtp_username', user.value.trim());
    } else {
      // the SMTP server stays remembered for when it is switched back on
      if (host.value.trim()) body.smtp_host = host.value.trim();
      if (port.value) body.smtp_port = Number(port.value);
      body.smtp_security = security.value;
      if (user.value.trim()) body.smtp_username = user.value.trim();
    }
    // the password: typed → set; "clear" → null; empty → keep (absent)
    if (clearPass.checked && !clearField.hidden) body.smtp_password = null;
    else if (pass.value !== '') body.smtp_password = pass.value;
    submit.disabled = true;
    try {
      const saved = await api('PUT', '/settings/mail', body);
      pass.value = '';
      clearPass.checked = false;
      pass.disabled = false;
      showPassState(!!(saved && saved.password_set));
      showMeta(saved);
      savedNote.textContent = t('common.saved');
      toast(t('common.saved'));
    } catch (e) {
      showError(form, e);
    } finally {
      submit.disabled = false;
    }
  });

  showPassState(!!v.password_set);
  showSmtp();
  showMeta(m);
  el.append(h('p', { class: 'hint' }, t('mail.about')), meta,
    h('section', { class: 'panel narrow' }, form));
}
