// Minimal admin page: sign in, see the system and manage users and tokens.
// Everything from the server is inserted as text (textContent), never HTML.

let csrf = null;

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (csrf && method !== 'GET') headers['X-CSRF-Token'] = csrf;
  const r = await fetch('/api/v1' + path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = r.status === 204 ? null : await r.json().catch(() => null);
  if (!r.ok) {
    const e = (data && data.error) || { message: r.statusText };
    throw new Error(e.field ? `${e.field}: ${e.message}` : e.message);
  }
  return data;
}

const $ = (sel) => document.querySelector(sel);

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    if (c instanceof Node) td.append(c); else td.textContent = c ?? '';
    tr.append(td);
  }
  return tr;
}

async function showHome(session) {
  csrf = session.csrf_token;
  $('#login-view').hidden = true;
  $('#home-view').hidden = false;
  $('#logout').hidden = false;
  $('#who').textContent = `${session.user.name} · ${session.tenant.name}`;
  await Promise.all([loadHealth(), loadUsers(), loadTokens()]);
}

async function loadHealth() {
  const h = await fetch('/api/v1/health').then((r) => r.json());
  const dl = $('#health');
  dl.replaceChildren();
  for (const [k, v] of [['Scheduler', h.scheduler.alive ? 'running' : 'down'],
                        ['Ring depth', `${h.ring.depth_bytes} / ${h.ring.capacity_bytes} bytes`],
                        ['Durable sequence', h.durable_sequence]]) {
    const dt = document.createElement('dt'); dt.textContent = k;
    const dd = document.createElement('dd'); dd.textContent = v;
    dl.append(dt, dd);
  }
}

async function loadUsers() {
  const tb = $('#users');
  try {
    const { items } = await api('GET', '/users?limit=200');
    tb.replaceChildren(...items.map((u) => row([u.name, u.email, u.status, u.created_at])));
  } catch (e) {
    tb.replaceChildren(row([e.message]));
  }
}

async function loadTokens() {
  const { items } = await api('GET', '/tokens');
  $('#tokens').replaceChildren(...items.map((t) => {
    const b = document.createElement('button');
    b.textContent = 'Revoke';
    b.onclick = async () => { await api('DELETE', `/tokens/${t.id}`); loadTokens(); };
    return row([t.name, t.prefix, t.created_at, b]);
  }));
}

function showLogin() {
  csrf = null;
  $('#home-view').hidden = true;
  $('#logout').hidden = true;
  $('#who').textContent = '';
  $('#login-view').hidden = false;
}

function formJSON(form) {
  const o = {};
  for (const [k, v] of new FormData(form)) if (v !== '') o[k] = v;
  return o;
}

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('#login-error').textContent = '';
  try {
    await api('POST', '/auth/login', formJSON(ev.target));
    await showHome(await api('GET', '/auth/session'));
  } catch (e) {
    $('#login-error').textContent = e.message;
  }
});

$('#user-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('#user-error').textContent = '';
  try {
    await api('POST', '/users', formJSON(ev.target));
    ev.target.reset();
    loadUsers();
  } catch (e) { $('#user-error').textContent = e.message; }
});

$('#token-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('#token-error').textContent = '';
  try {
    const t = await api('POST', '/tokens', formJSON(ev.target));
    ev.target.reset();
    $('#new-token').hidden = false;
    $('#new-token code').textContent = t.token;
    loadTokens();
  } catch (e) { $('#token-error').textContent = e.message; }
});

$('#logout').addEventListener('click', async () => {
  await api('POST', '/auth/logout').catch(() => {});
  showLogin();
});

api('GET', '/auth/session').then(showHome, showLogin);
