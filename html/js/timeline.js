// The candidate's timeline (docs/line.md, SPEC LN-6, LN-7, LN-9, UI-2,
// UI-4): every message of every channel, in and out, from GET
// /api/v1/candidates/{id}/messages, kept up to date by the live events of
// the stream (message.received for this candidate; a lapped reader or a
// new connection reads it all again), and the compose box: a LINE message
// (LINE only) or an email, optionally also to LINE and at a set time.
// What a candidate typed is shown as text (h() makes text nodes).
import { api, ApiError, isMissingEndpoint } from './api.js';
import { subscribe } from './bulk-common.js';
import { badge, clearErrors, field, fill, h, showError, toast, uid } from './dom.js';
import { fmtTime, getTimeZone, has, t, wallToInstant } from './i18n.js';

const LINE_TEXT_MAX = 25000;        // 5 messages of 5000 characters (LN-13)
const POLL_MS = 3000;               // while a message of ours is still queued
const FALLBACK_MS = 10000;          // when the stream is refused

const isFriend = (c) => !!(c.line_linked_at || c.line_user_id);

// Why LINE cannot be used for this candidate, or null.  A candidate whose
// agent takes its mail never gets LINE (LN-8); when the agents cannot be
// read, the server says so on sending.
export function lineBlock(c, agents) {
  const agent = c.route === 'agent' && (agents || []).find((a) => a.id === c.agent_id);
  if (agent && agent.route_to_agent) return t('timeline.lineAgent');
  if (!isFriend(c)) return t('timeline.lineNotFriend');
  return null;
}

function channelBadge(m) {
  return m.channel === 'line' ? badge('LINE', 'line ch')
    : badge(has(`timeline.channel.${m.channel}`) ? t(`timeline.channel.${m.channel}`) : m.channel, 'ch');
}

function stateBadge(m) {
  if (m.direction !== 'out' || !m.state) return null;
  const cls = { queued: 'warn', sent: 'active', failed: 'failed' }[m.state] || '';
  const scheduled = m.state === 'queued' && m.send_at && Date.parse(m.send_at) > Date.now();
  return badge(scheduled ? t('timeline.scheduledFor', { at: fmtTime(m.send_at) })
    : has(`timeline.state.${m.state}`) ? t(`timeline.state.${m.state}`) : m.state, `msg-state ${cls}`);
}

const bodyOf = (m) => m.body ?? m.text ?? '';

function messageItem(m, who) {
  const base = { 'data-id': String(m.id), 'data-kind': m.kind || 'text', 'data-channel': m.channel,
                 'data-direction': m.direction, 'data-state': m.state || '' };
  const time = h('time', { datetime: m.created_at || '' }, fmtTime(m.created_at));
  if (m.kind === 'follow' || m.kind === 'unfollow') {
    return h('li', { class: `msg event ${m.kind}`, ...base },
      channelBadge(m), ' ', h('span', { class: 'event-text' }, t(`timeline.${m.kind}`)), ' ', time);
  }
  const dir = m.direction === 'in' ? t('timeline.fromCandidate')
    : m.created_by ? t('timeline.sentBy', { who: who(m.created_by) }) : t('timeline.sentAuto');
  let content;
  if (m.kind === 'unsupported') {
    // stickers, images, files…: recorded, never shown as text (LN-6)
    const what = m.message_type && has(`line.msgType.${m.message_type}`) ? t(`line.msgType.${m.message_type}`) : null;
    content = h('p', { class: 'msg-body unsupported' },
      h('em', null, what ? t('timeline.unsupportedWhat', { what }) : t('timeline.unsupported')));
  } else {
    content = [m.subject ? h('p', { class: 'msg-subject' }, m.subject) : null,
      h('p', { class: 'msg-body' }, bodyOf(m))];
  }
  return h('li', { class: `msg ${m.direction === 'in' ? 'in' : 'out'} ${m.channel}`, ...base },
    h('div', { class: 'msg-meta' }, channelBadge(m), ' ', h('span', { class: 'dir' }, dir), ' ', time, ' ',
      stateBadge(m)),
    content,
    m.state === 'failed' && m.error ? h('p', { class: 'msg-error' }, t('timeline.failedWhy', { why: m.error })) : null);
}

// The timeline panel of candidate c.  who(userId) names a user; agents:
// the tenant's agents (or null).  Returns {el, ready, stop}.
export function timeline(c, { who, agents }) {
  let alive = true;
  const byId = new Map();
  let lastId = 0;
  let pollTimer = null;
  let fallbackTimer = null;
  let loading = null;

  const list = h('ol', { class: 'msg-list', id: 'timeline-list', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  const scroller = h('div', { class: 'msg-scroll', tabindex: '0', 'aria-labelledby': 'timeline-title' }, list);
  const note = h('p', { class: 'hint', id: 'timeline-note' });
  const liveNote = h('p', { class: 'hint live-note', id: 'timeline-live' });

  const atBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;

  // Items are kept by id and redrawn only when they changed, so that a
  // screen reader hears what arrived, not the whole list again.
  const nodes = new Map();           // id -> {key, li}
  function draw(stick) {
    const items = [...byId.values()].sort((a, b) => a.id - b.id);
    if (!items.length) {
      nodes.clear();
      fill(list, h('li', { class: 'empty', id: 'timeline-empty' }, t('timeline.empty')));
    } else {
      const empty = list.querySelector('#timeline-empty');
      if (empty) empty.remove();
      for (const [id, n] of nodes) {
        if (!byId.has(id)) { n.li.remove(); nodes.delete(id); }
      }
      let prev = null;
      for (const m of items) {
        const key = JSON.stringify(m);
        let n = nodes.get(m.id);
        if (!n || n.key !== key) {
          const li = messageItem(m, who);
          if (n) n.li.replaceWith(li);
          n = { key, li };
          nodes.set(m.id, n);
        }
        const want = prev ? prev.nextSibling : list.firstChild;
        if (n.li !== want) list.insertBefore(n.li, want);
        prev = n.li;
      }
    }
    if (stick) scroller.scrollTop = scroller.scrollHeight;
    schedulePoll(items);
  }

  // our messages still queued for now: read again until they are sent or failed
  function schedulePoll(items) {
    clearTimeout(pollTimer);
    pollTimer = null;
    const pending = items.some((m) => m.direction === 'out' && m.state === 'queued'
      && (!m.send_at || Date.parse(m.send_at) <= Date.now() + POLL_MS));
    if (pending && alive) pollTimer = setTimeout(() => load(true), POLL_MS);
  }

  // everything (all: true) or what came after the newest we have
  async function fetchPages(after) {
    const out = [];
    let cursor = after;
    for (let guard = 0; guard < 50; guard++) {
      const q = new URLSearchParams({ limit: '200' });
      if (cursor) q.set('after', String(cursor));
      const page = await api('GET', `/candidates/${c.id}/messages?${q}`);
      const items = (page && page.items) || [];
      out.push(...items);
      if (!page || !page.next_after || !items.length) break;
      cursor = page.next_after;
    }
    return out;
  }

  function load(all) {
    if (loading) return loading.then(() => load(all));
    loading = (async () => {
      const stick = atBottom() || !byId.size;
      try {
        const items = await fetchPages(all ? 0 : lastId);
        if (!alive) return;
        if (all) byId.clear();
        for (const m of items) {
          byId.set(m.id, m);
          if (m.id > lastId) lastId = m.id;
        }
        note.textContent = '';
        draw(stick);
      } catch (e) {
        if (!alive) return;
        note.textContent = isMissingEndpoint(e) ? t('common.notYet') : e.message;
      }
    })().finally(() => { loading = null; });
    return loading;
  }

  // ---- compose ----
  const block = lineBlock(c, agents);
  const tabs = ['line', 'email'];
  const tabBtns = {};
  const panes = {};
  let current = !block ? 'line' : 'email';
  const tabList = h('div', { class: 'tabs compose-tabs', role: 'tablist', 'aria-label': t('timeline.compose') });
  for (const k of tabs) {
    const id = uid('tab');
    tabBtns[k] = h('button', { type: 'button', role: 'tab', class: 'tab', id, 'data-tab': k,
                              onclick: () => select(k) }, t(`timeline.tab.${k}`));
    tabList.append(tabBtns[k]);
  }
  tabList.addEventListener('keydown', (ev) => {
    if (ev.key !== 'ArrowLeft' && ev.key !== 'ArrowRight') return;
    const i = tabs.indexOf(current);
    select(tabs[(i + (ev.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length]);
    tabBtns[current].focus();
  });
  function select(k) {
    current = k;
    for (const x of tabs) {
      tabBtns[x].setAttribute('aria-selected', String(x === k));
      tabBtns[x].tabIndex = x === k ? 0 : -1;
      panes[x].hidden = x !== k;
    }
  }

  async function send(form, btn, body, doneKey) {
    clearErrors(form);
    btn.disabled = true;
    btn.setAttribute('aria-busy', 'true');
    try {
      await api('POST', `/candidates/${c.id}/messages`, body);
      form.reset();
      for (const x of form.querySelectorAll('input[type=checkbox]')) x.checked = false;
      toast(t(doneKey));
      await load(false);
      scroller.scrollTop = scroller.scrollHeight;
      return true;
    } catch (e) {
      showError(form, messageError(e, form));
      return false;
    } finally {
      btn.disabled = false;
      btn.removeAttribute('aria-busy');
    }
  }

  // LINE: LINE only (LN-7)
  const lineText = h('textarea', { name: 'text', rows: 3, maxlength: LINE_TEXT_MAX, required: true,
                                   disabled: !!block });
  const lineBtn = h('button', { type: 'submit', class: 'primary line-send', disabled: !!block }, t('timeline.sendLine'));
  const lineForm = h('form', { id: 'line-compose', class: 'compose-form', novalidate: true },
    block ? h('p', { class: 'alert', id: 'line-blocked' }, block) : null,
    field('timeline.lineText', lineText, { hint: t('timeline.lineOnlyHint') }),
    h('div', { class: 'actions' }, lineBtn),
    h('p', { class: 'form-error', role: 'alert' }));
  lineForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = lineText.value;
    if (!text.trim()) { showError(lineForm, { field: 'text', message: t('common.required') }); return; }
    send(lineForm, lineBtn, { channel: 'line', text }, 'timeline.sentLine');
  });
  panes.line = h('div', { role: 'tabpanel', id: 'compose-line', 'aria-labelledby': tabBtns.line.id }, lineForm);

  // email, also to LINE (LN-7), at a set time (LN-9)
  const subject = h('input', { name: 'subject', maxlength: 255, required: true });
  const emailText = h('textarea', { name: 'text', rows: 5, maxlength: 100000, required: true });
  const alsoLine = h('input', { type: 'checkbox', name: 'also_line', disabled: !!block });
  const alsoLineField = field('timeline.alsoLine', alsoLine, {
    class: 'check-field', hint: block || t('timeline.alsoLineHint') });
  if (block) alsoLineField.title = block;
  const dateIn = h('input', { type: 'date', name: 'send_date' });
  const timeIn = h('input', { type: 'time', name: 'send_time', step: 60, 'aria-label': t('bulk.time') });
  const sendAtErr = h('p', { class: 'field-error', id: uid('err'), dataset: { errorFor: 'send_at' } });
  const sendAtHint = h('p', { class: 'hint', id: uid('hint') }, t('timeline.sendAtHint', { tz: getTimeZone() }));
  dateIn.id = uid('in');
  for (const i of [dateIn, timeIn]) i.setAttribute('aria-describedby', `${sendAtErr.id} ${sendAtHint.id}`);
  const emailBtn = h('button', { type: 'submit', class: 'primary email-send' }, t('timeline.sendEmail'));
  const syncBtn = () => { emailBtn.textContent = t(dateIn.value || timeIn.value ? 'timeline.schedule' : 'timeline.sendEmail'); };
  dateIn.addEventListener('input', syncBtn);
  timeIn.addEventListener('input', syncBtn);
  const emailForm = h('form', { id: 'email-compose', class: 'compose-form', novalidate: true },
    c.email ? null : h('p', { class: 'alert', id: 'email-missing' }, t('timeline.noEmail')),
    field('timeline.subject', subject, { required: true }),
    field('timeline.emailText', emailText, { required: true }),
    alsoLineField,
    h('div', { class: 'field' },
      h('label', { for: dateIn.id }, t('timeline.sendAt', { tz: getTimeZone() })),
      h('div', { class: 'datetime' }, dateIn, timeIn), sendAtHint, sendAtErr),
    h('div', { class: 'actions' }, emailBtn),
    h('p', { class: 'form-error', role: 'alert' }));
  emailForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { channel: 'email', subject: subject.value.trim(), text: emailText.value };
    if (!body.subject) { showError(emailForm, { field: 'subject', message: t('common.required') }); return; }
    if (!body.text.trim()) { showError(emailForm, { field: 'text', message: t('common.required') }); return; }
    if (alsoLine.checked && !alsoLine.disabled) body.also_line = true;
    if (dateIn.value || timeIn.value) {
      const at = wallToInstant(dateIn.value, timeIn.value);
      if (!at) { showError(emailForm, { field: 'send_at', message: t('bulk.needRunAt') }); return; }
      body.send_at = at;
    }
    const ok = await send(emailForm, emailBtn, body, body.send_at ? 'timeline.scheduled' : 'timeline.sentEmail');
    if (ok) syncBtn();
  });
  panes.email = h('div', { role: 'tabpanel', id: 'compose-email', 'aria-labelledby': tabBtns.email.id }, emailForm);
  select(current);

  const compose = h('div', { class: 'compose', id: 'compose' }, h('h4', { class: 'sr-only' }, t('timeline.compose')),
    tabList, panes.line, panes.email);

  const el = h('section', { class: 'panel timeline', id: 'timeline', 'aria-labelledby': 'timeline-title' },
    h('h3', { id: 'timeline-title' }, t('candidate.timeline')), note, scroller, liveNote, compose);

  // ---- live ----
  const stopLive = subscribe({
    on: { 'message.received': (d) => { if (Number(d.candidate_id) === Number(c.id)) load(false); } },
    onOpen: () => { liveNote.textContent = ''; el.dataset.live = 'on'; },
    onLapped: () => load(true),
    onDead: () => {
      el.dataset.live = 'off';
      liveNote.textContent = t('timeline.noLive');
      const tick = () => { if (alive) { load(false); fallbackTimer = setTimeout(tick, FALLBACK_MS); } };
      fallbackTimer = setTimeout(tick, FALLBACK_MS);
    },
  });

  const ready = load(true);
  return {
    el, ready,
    stop() {
      alive = false;
      stopLive();
      clearTimeout(pollTimer);
      clearTimeout(fallbackTimer);
    },
  };
}

// Our words for the errors of sending, by the field they concern.
function messageError(e, form) {
  if (!(e instanceof ApiError)) return e;
  const known = {
    not_line_friend: ['also_line', 'timeline.lineNotFriend'],
    agent_route: ['also_line', 'timeline.lineAgent'],
    line_not_connected: ['also_line', 'timeline.lineNotConnected'],
  }[e.code];
  if (!known) return e;
  const f = e.field || known[0];
  // the LINE form has no "also to LINE" box: the message goes under the form
  return { field: form.querySelector(`[data-error-for="${f}"]`) ? f : null, message: t(known[1]) };
}
