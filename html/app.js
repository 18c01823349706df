// hrx admin shell: sign in, sidebar, language switch and the hash router
// that loads one module per screen from js/screens/.
import { api, setCsrf } from './js/api.js';
import { $, $$, clearErrors, showError } from './js/dom.js';
import { LANGS, applyStatic, getLang, onLangChange, setLang, setTimeZone, t } from './js/i18n.js';
import { render, route, start, stop } from './js/router.js';

const s = (name) => () => import(`./js/screens/${name}.js`);
route('/', 'home', s('home'));
route('/candidates', 'candidates', s('candidates'));
route('/candidates/new', 'candidates', s('candidate'));
route('/candidates/:id', 'candidates', s('candidate'));
route('/templates', 'templates', s('templates'));
route('/templates/new', 'templates', s('template'));
route('/templates/:id', 'templates', s('template'));
route('/data/:kind', null, s('resources'));
route('/admin/users', 'users', s('users'));
route('/admin/roles', 'roles', s('roles'));
route('/admin/groups', 'groups', s('groups'));
route('/admin/tokens', 'tokens', s('tokens'));
route('/bulk-actions', 'bulk-actions', s('bulk-actions'));
route('/bulk-actions/new', 'bulk-actions', s('bulk-form'));
route('/bulk-actions/:id/edit', 'bulk-actions', s('bulk-form'));
route('/bulk-actions/:id', 'bulk-actions', s('bulk-detail'));
route('/settings/mail', 'mail-settings', s('mail-settings'));
route('/settings/line', 'line-settings', s('line-settings'));

let session = null;

const ctx = {
  get session() { return session; },
  can(perm) {
    const u = session && session.user;
    return !!u && (u.platform_admin || (u.permissions || []).includes(perm));
  },
  afterRender() {
    // highlight the resource link for #/data/<kind>
    const m = /^#\/data\/([\w-]+)/.exec(location.hash);
    if (m) for (const a of $$('[data-nav]')) {
      if (a.dataset.nav === m[1]) a.setAttribute('aria-current', 'page');
    }
  },
};

function fillLangSelect() {
  const sel = $('#lang-select');
  sel.replaceChildren(...LANGS.map(([code, name]) => {
    const o = document.createElement('option');
    o.value = code;
    o.textContent = name;
    o.lang = code;
    return o;
  }));
  sel.value = getLang();
}

function setNavOpen(open) {
  $('#sidebar').classList.toggle('open', open);
  $('#nav-toggle').setAttribute('aria-expanded', String(open));
}

async function showShell(sess) {
  session = sess;
  setCsrf(sess.csrf_token);
  setTimeZone(sess.tenant && sess.tenant.time_zone);
  $('#login-view').hidden = true;
  $('#sidebar').hidden = false;
  $('#nav-toggle').hidden = false;
  $('#logout').hidden = false;
  $('#who').textContent = `${sess.user.name} · ${sess.tenant ? sess.tenant.name : ''}`;
  // entries for screens the user lacks the permission of are hidden
  for (const li of $$('#sidebar [data-perm]')) li.hidden = !ctx.can(li.dataset.perm);
  await start($('#screen'), ctx);
}

function showLogin() {
  session = null;
  setCsrf(null);
  stop();
  $('#sidebar').hidden = true;
  $('#nav-toggle').hidden = true;
  $('#logout').hidden = true;
  $('#who').textContent = '';
  $('#login-view').hidden = false;
  $('#login-email').focus();
}

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = ev.target;
  clearErrors(form);
  const body = {};
  for (const [k, v] of new FormData(form)) if (v !== '') body[k] = v;
  if (!body.email) { showError(form, { field: 'email', message: t('login.needEmail') }); return; }
  if (!body.password) {
    showError(form, { field: 'password', message: t('login.needPassword') });
    return;
  }
  const btn = form.querySelector('button[type=submit]');
  btn.disabled = true;
  try {
    await api('POST', '/auth/login', body);
    form.reset();
    await showShell(await api('GET', '/auth/session'));
  } catch (e) {
    // a wrong password names no field: the message goes under the form
    showError(form, e.status === 401 ? { message: t('login.failed') } : e);
  } finally {
    btn.disabled = false;
  }
});

$('#logout').addEventListener('click', async () => {
  await api('POST', '/auth/logout').catch(() => {});
  location.hash = '#/';
  showLogin();
});

$('#lang-select').addEventListener('change', (ev) => setLang(ev.target.value));
$('#nav-toggle').addEventListener('click', () =>
  setNavOpen(!$('#sidebar').classList.contains('open')));
$('#sidebar').addEventListener('click', (ev) => { if (ev.target.closest('a')) setNavOpen(false); });
window.addEventListener('hrx:unauthorized', () => { if (session) showLogin(); });

onLangChange(() => {
  $('#lang-select').value = getLang();
  if (session) render();
});

fillLangSelect();
applyStatic();
api('GET', '/auth/session').then(showShell, showLogin);
