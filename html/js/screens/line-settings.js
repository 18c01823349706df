// LINE settings of the tenant (docs/line.md, SPEC LN-1, LN-6, LN-10):
// the Messaging API channel (id, secret, access token) and the LINE Login
// channel (id, secret); the webhook and callback URLs to paste into the
// LINE console; connect (the server checks the credentials with LINE and
// names the field that is wrong), disconnect (refused while candidates
// are linked), and the LINE events of users linked to no candidate.
// Secrets are write-only: the server only says whether each is set, and
// an empty box keeps the stored one.
import { api, ApiError, isMissingEndpoint } from '../api.js';
import { badge, clearErrors, field, fill, h, showError, table, row, toast } from '../dom.js';
import { apiText, fmtTime, has, t } from '../i18n.js';

const SECRETS = ['channel_secret', 'access_token', 'login_channel_secret'];

// The URLs the server shows; when it has not given them (no settings
// yet on an older server), what they are on this host.
function urls(s, ctx) {
  const tenant = ctx.session && ctx.session.tenant;
  return {
    webhook: s.webhook_url || (tenant ? `${location.origin}/webhooks/line/${tenant.id}` : ''),
    callback: s.callback_url || `${location.origin}/line/callback`,
  };
}

async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // no clipboard API (or not allowed): the selection and the old command
    input.focus();
    input.select();
    try { document.execCommand('copy'); } catch { /* the text stays selected */ }
  }
  toast(t('line.copied'));
}

function copyField(labelKey, id, value) {
  const input = h('input', { id, readOnly: true, value, class: 'mono', spellcheck: 'false' });
  input.addEventListener('focus', () => input.select());
  const btn = h('button', { type: 'button', class: 'small copy', 'aria-label': t('line.copyNamed', { name: t(labelKey) }),
                            onclick: () => copyText(input.value, input) }, t('line.copy'));
  const f = field(labelKey, input);
  input.after(btn);
  input.parentNode.classList.add('copy-field');
  return { el: f, input };
}

// The message of an API error of the LINE check: ours for a code we know
// (in the screen's language), else the server's.
function checkMessage(e) {
  const d = (e && e.detail) || {};
  for (const code of [d.reason, d.check, d.detail_code]) {
    if (code && has(`line.check.${code}`)) return t(`line.check.${code}`);
  }
  return apiText(d.message) || e.message;
}

export async function render(el, params, ctx) {
  el.append(h('h2', null, t('nav.lineSettings')));
  if (!ctx.can('integrations.admin')) {
    el.append(h('p', { class: 'form-error', role: 'alert' }, t('mail.noPermission')));
    return undefined;
  }
  let alive = true;
  let s = null;
  try { s = await api('GET', '/settings/line'); } catch (e) {
    if (isMissingEndpoint(e)) {
      el.append(h('p', { class: 'form-error', role: 'alert' }, t('common.notYet')));
      return undefined;
    }
    if (!(e instanceof ApiError && e.status === 404)) {
      el.append(h('p', { class: 'form-error', role: 'alert' }, e.message));
      return undefined;
    }
  }
  s = s || { state: 'disconnected', secrets_set: {} };

  // ---- state ----
  const statePanel = h('section', { class: 'panel line-state', id: 'line-state', 'aria-labelledby': 'line-state-title',
                                    'aria-live': 'polite' });
  const disconnectBtn = h('button', { type: 'button', class: 'danger', id: 'line-disconnect' }, t('line.disconnect'));
  const disconnectErr = h('p', { class: 'form-error', role: 'alert', id: 'line-disconnect-error' });
  const configured = () => !!(s.channel_id || s.state === 'connected');
  function drawState() {
    const on = s.state === 'connected';
    statePanel.dataset.state = on ? 'connected' : 'disconnected';
    fill(statePanel,
      h('h3', { id: 'line-state-title' }, t('line.stateTitle')),
      h('p', { class: 'line-state-line' },
        badge(t(on ? 'line.connected' : 'line.disconnected'), on ? 'active line-connected' : 'disabled'),
        on && (s.bot_name || s.bot_basic_id) ? [' ', h('strong', { id: 'line-bot-name' }, s.bot_name || ''), ' ',
          s.bot_basic_id ? h('code', { id: 'line-bot-id' }, s.bot_basic_id) : null] : null),
      on ? h('dl', { class: 'facts' },
        s.connected_at ? [h('dt', null, t('line.connectedAt')), h('dd', null, fmtTime(s.connected_at))] : null,
        h('dt', null, t('line.linkedCandidates')),
        h('dd', { id: 'line-linked-count' }, String(s.linked_candidates ?? 0)),
        s.bot_basic_id ? [h('dt', null, t('line.friendLink')),
          h('dd', null, h('a', { href: `https://line.me/R/ti/p/${encodeURIComponent(s.bot_basic_id)}`,
                                 target: '_blank', rel: 'noopener noreferrer' },
            `https://line.me/R/ti/p/${s.bot_basic_id}`))] : null)
        : h('p', { class: 'hint' }, t(configured() ? 'line.notConnectedHint' : 'line.neverConnectedHint')),
      configured() ? h('div', { class: 'actions' }, disconnectBtn) : null,
      disconnectErr);
  }
  disconnectBtn.addEventListener('click', async () => {
    disconnectErr.textContent = '';
    if (!confirm(t('line.confirmDisconnect'))) return;
    disconnectBtn.disabled = true;
    try {
      await api('DELETE', '/settings/line');
      toast(t('line.disconnected'));
      const fresh = await api('GET', '/settings/line').catch(() => null);
      s = fresh || { state: 'disconnected', secrets_set: {},
                     webhook_url: s.webhook_url, callback_url: s.callback_url };
      drawAll();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'line_in_use') {
        const d = e.detail || {};
        const n = [d.count, d.linked, d.linked_candidates, s.linked_candidates]
          .find((x) => typeof x === 'number');
        disconnectErr.textContent = typeof n !== 'number' ? e.message : n === 1 ? t('line.inUseOne') : t('line.inUse', { n });
      } else disconnectErr.textContent = e.message;
    } finally {
      disconnectBtn.disabled = false;
    }
  });

  // ---- URLs for the LINE console ----
  const u = urls(s, ctx);
  const webhook = copyField('line.webhookUrl', 'line-webhook-url', u.webhook);
  const callback = copyField('line.callbackUrl', 'line-callback-url', u.callback);
  const urlPanel = h('section', { class: 'panel', id: 'line-urls', 'aria-labelledby': 'line-urls-title' },
    h('h3', { id: 'line-urls-title' }, t('line.consoleTitle')),
    h('p', { class: 'hint' }, t('line.consoleHint')),
    webhook.el, h('p', { class: 'hint' }, t('line.webhookHint')),
    callback.el, h('p', { class: 'hint' }, t('line.callbackHint')));

  // ---- the form ----
  const inputs = {
    channel_id: h('input', { name: 'channel_id', inputmode: 'numeric', maxlength: 20, autocomplete: 'off',
                             spellcheck: 'false', value: s.channel_id || '' }),
    channel_secret: h('input', { name: 'channel_secret', type: 'password', maxlength: 200,
                                 autocomplete: 'new-password' }),
    access_token: h('input', { name: 'access_token', type: 'password', maxlength: 1000,
                               autocomplete: 'new-password' }),
    login_channel_id: h('input', { name: 'login_channel_id', inputmode: 'numeric', maxlength: 20,
                                   autocomplete: 'off', spellcheck: 'false', value: s.login_channel_id || '' }),
    login_channel_secret: h('input', { name: 'login_channel_secret', type: 'password', maxlength: 200,
                                       autocomplete: 'new-password' }),
  };
  const setState = {};
  const secretField = (name, hintKey) => {
    setState[name] = h('span', { class: 'secret-state', id: `${name}-state` });
    const f = field(`line.${name}`, inputs[name], { required: true, hint: t(hintKey) });
    f.querySelector('label').append(' ', setState[name]);
    return f;
  };
  function showSecrets() {
    const set = s.secrets_set || {};
    for (const name of SECRETS) {
      fill(setState[name], set[name] ? badge(t('mail.passwordSet'), 'active') : badge(t('mail.passwordNotSet'), 'disabled'));
      inputs[name].placeholder = set[name] ? t('mail.passwordKeep') : '';
      const label = inputs[name].closest('.field').querySelector('label');
      label.classList.toggle('required', !set[name]);
      if (set[name]) inputs[name].removeAttribute('aria-required');
      else inputs[name].setAttribute('aria-required', 'true');
    }
  }
  const submit = h('button', { type: 'submit', class: 'primary', id: 'line-connect' }, t('line.connect'));
  const savedNote = h('p', { class: 'saved-note', role: 'status' });
  const form = h('form', { id: 'line-form', class: 'stack-form', novalidate: true },
    h('fieldset', null, h('legend', null, t('line.messagingApi')),
      h('p', { class: 'hint' }, t('line.messagingApiHint')),
      h('div', { class: 'grid-form' },
        field('line.channel_id', inputs.channel_id, { required: true }),
        secretField('channel_secret', 'line.secretHint'),
        h('div', { class: 'wide' }, secretField('access_token', 'line.tokenHint')))),
    h('fieldset', null, h('legend', null, t('line.login')),
      h('p', { class: 'hint' }, t('line.loginHint')),
      h('div', { class: 'grid-form' },
        field('line.login_channel_id', inputs.login_channel_id, { required: true }),
        secretField('login_channel_secret', 'line.secretHint'))),
    h('div', { class: 'actions' }, submit),
    h('p', { class: 'hint' }, t('line.connectHint')),
    h('p', { class: 'form-error', role: 'alert' }), savedNote);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    savedNote.textContent = '';
    const body = {
      channel_id: inputs.channel_id.value.trim(),
      login_channel_id: inputs.login_channel_id.value.trim(),
    };
    for (const name of ['channel_id', 'login_channel_id']) {
      if (!body[name]) { showError(form, { field: name, message: t('common.required') }); return; }
    }
    for (const name of SECRETS) {
      const v = inputs[name].value.trim();
      if (v) body[name] = v;
      else if (!(s.secrets_set || {})[name]) {
        showError(form, { field: name, message: t('common.required') });
        return;
      }
    }
    if (body.channel_id === body.login_channel_id) {
      showError(form, { field: 'login_channel_id', message: t('line.check.channels_swapped') });
      return;
    }
    submit.disabled = true;
    submit.setAttribute('aria-busy', 'true');
    submit.textContent = t('line.checking');
    try {
      const saved = await api('PUT', '/settings/line', body);
      s = (saved && saved.state) ? saved : await api('GET', '/settings/line');
      for (const name of SECRETS) inputs[name].value = '';
      drawAll();
      savedNote.textContent = s.state === 'connected' ? t('line.connectedNote') : t('common.saved');
      toast(savedNote.textContent);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'line_check_failed') {
        showError(form, { field: e.field, message: checkMessage(e) });
      } else if (e instanceof ApiError && e.code === 'line_unreachable') {
        showError(form, { message: t('line.unreachable') + (e.message ? ` (${e.message})` : '') });
      } else {
        showError(form, e);
      }
    } finally {
      submit.disabled = false;
      submit.removeAttribute('aria-busy');
      submit.textContent = t('line.connect');
    }
  });

  // ---- LINE events of users linked to no candidate (LN-6) ----
  const unlinked = h('section', { class: 'panel', id: 'line-unlinked', 'aria-labelledby': 'line-unlinked-title' });
  async function loadUnlinked() {
    let items;
    try {
      const r = await api('GET', '/line/unlinked-events?limit=50');
      items = (r && r.items) || [];
    } catch (e) {
      if (!alive) return;
      fill(unlinked, h('h3', { id: 'line-unlinked-title' }, t('line.unlinkedTitle')),
        h('p', { class: 'hint' }, isMissingEndpoint(e) ? t('common.notYet') : e.message));
      return;
    }
    if (!alive) return;
    fill(unlinked,
      h('div', { class: 'screen-head' }, h('h3', { id: 'line-unlinked-title' }, t('line.unlinkedTitle')),
        h('button', { type: 'button', class: 'small', onclick: loadUnlinked }, t('line.refresh'))),
      h('p', { class: 'hint' }, t('line.unlinkedHint')),
      table(['line.when', 'line.lineUser', 'line.eventType', 'line.content'], items.map((x) => row([
        fmtTime(x.occurred_at || x.received_at || x.created_at),
        x.line_user_id ? h('code', null, x.line_user_id) : '—',
        eventTypeText(x),
        x.type === 'message' && x.message_type === 'text' && x.text != null
          ? h('span', { class: 'msg-text' }, x.text)
          : x.type === 'message' ? h('em', { class: 'unsupported' }, t('timeline.unsupported')) : '',
      ])), { empty: t('line.noUnlinked'), class: 'unlinked' }));
  }

  function drawAll() {
    drawState();
    const nu = urls(s, ctx);
    webhook.input.value = nu.webhook;
    callback.input.value = nu.callback;
    inputs.channel_id.value = s.channel_id || inputs.channel_id.value;
    inputs.login_channel_id.value = s.login_channel_id || inputs.login_channel_id.value;
    showSecrets();
  }
  drawAll();

  el.append(h('p', { class: 'hint' }, t('line.about')),
    h('div', { class: 'split line-settings' },
      h('div', null, h('section', { class: 'panel', 'aria-label': t('line.credentials') }, form)),
      h('div', null, statePanel, urlPanel)),
    unlinked);
  loadUnlinked();
  return () => { alive = false; };
}

export function eventTypeText(x) {
  if (x.type === 'message') {
    const k = `line.msgType.${x.message_type}`;
    return has(k) ? t(k) : t('line.msgType.other', { type: x.message_type || '?' });
  }
  const k = `line.evType.${x.type}`;
  return has(k) ? t(k) : String(x.type || '');
}
