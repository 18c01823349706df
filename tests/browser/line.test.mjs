// Browser tests of the LINE screens against a real hrx and the fake LINE
// of tests/integration/fake_line.py, which serve.py starts and points
// hrx at (docs/line.md; SPEC LN-1, LN-5, LN-6, LN-7, LN-10, LN-12, UI-2,
// UI-4): the settings connect (a token of another channel refused by its
// field, then connected with the URLs for the LINE console), the
// candidate's timeline with an inbound text and a sticker delivered to
// the webhook, a live update while the page is open, a LINE message sent
// from the candidate page reaching the fake, an email also to LINE, "also
// send to LINE" disabled for a non-friend, disconnect refused while a
// candidate is linked, and the events of unlinked LINE users.
//
// Linking a candidate to LINE (LN-3) is the LINE Login round trip of the
// integration tests; here the link is written into SQLite (as bulk.test
// moves a T) so that the tests are about the screens.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  apiClient, dbWrite, launch, login, needs, newPage, shot, startHrx, unique, waitFor,
} from './lib.mjs';

let hrx;
let browser;
let api;
let line;                  // the fake LINE: serve.py's "line"
let tenantId;
const fx = {};

before(async () => {
  hrx = await startHrx();
  browser = await launch();
  api = await apiClient(hrx);
  line = hrx.line;
  tenantId = (await api.ok('GET', '/auth/session')).tenant.id;
});

after(async () => {
  if (browser) await browser.close();
  if (hrx) {
    const { code, stderr } = await hrx.stop();
    assert.equal(code, 0, `hrx reported problems: ${stderr}`);
  }
});

// the fake's control server (serve.py)
async function ctl(method, path, body) {
  const r = await fetch(`${line.control}${path}`, {
    method, headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await r.json();
  if (!r.ok) throw new Error(`fake LINE ${path}: ${r.status} ${JSON.stringify(data)}`);
  return data;
}

const webhookUrl = () => `${hrx.base}/webhooks/line/${tenantId}`;

// A delivery of events made by fake_line.py's helpers and signed with the
// channel secret, posted to the tenant's webhook; the answer must be 200.
async function deliver(...events) {
  const r = await ctl('POST', '/deliver', { url: webhookUrl(), events });
  assert.equal(r.status, 200, `webhook answered ${r.status} ${r.body}`);
  return r;
}

// Whether GET /api/v1/stream carries an event of this name: trigger()
// makes one, the stream is read for a few seconds.  A stream without it
// skips the test (HRX_BROWSER_STRICT=1: fails), as needs() does for a
// missing endpoint.
async function needsEvent(t, name, trigger) {
  const r = await fetch(`${hrx.base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: hrx.email, password: hrx.password }) });
  const cookie = r.headers.get('set-cookie').split(';')[0];
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 6000);
  let seen = false;
  try {
    const s = await fetch(`${hrx.base}/api/v1/stream`, { headers: { Cookie: cookie }, signal: ac.signal });
    const reader = s.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    await trigger();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      if (buf.includes(`event: ${name}\n`)) { seen = true; break; }
    }
  } catch (e) {
    if (e.name !== 'AbortError') throw e;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  if (seen) return false;
  const msg = `waits on "event: ${name}" in GET /api/v1/stream`;
  if (process.env.HRX_BROWSER_STRICT === '1') throw new Error(msg);
  t.skip(msg);
  return true;
}

const pushes = () => ctl('GET', '/pushes');
const newUserId = () => `U${randomBytes(16).toString('hex')}`;

const SETTINGS = ['/settings/line'];
const TIMELINE = (id) => [`/candidates/${id}/messages`];

// The right channels (the fake's), through the API: for the tests that
// do not go through the settings screen themselves.
async function connect() {
  const s = await api.call('GET', '/settings/line');
  if (s.status === 200 && s.data.state === 'connected') return s.data;
  return api.ok('PUT', '/settings/line', {
    channel_id: line.channel_id, channel_secret: line.channel_secret, access_token: line.access_token,
    login_channel_id: line.login_channel_id, login_channel_secret: line.login_channel_secret });
}

// A candidate linked to the fake's LINE user (or userId).
async function linkedCandidate(over = {}, userId = line.user_id) {
  const c = await api.ok('POST', '/candidates', {
    family_name: '山田', given_name: '太郎', email: `taro.${Date.now()}@example.jp`, ...over });
  dbWrite(hrx, 'UPDATE candidates SET line_user_id = ?, line_linked_at = ? WHERE id = ?',
          [userId, Date.now(), c.id]);
  return c;
}

describe('LINE settings', () => {
  test('a token of another channel is refused by its field; the right channels connect (LN-1)', async (t) => {
    if (await needs(t, api, ...SETTINGS)) return;
    const page = await newPage(browser, hrx);
    await login(page, hrx);
    const nav = page.getByRole('navigation');
    // the entry sits next to Mail settings
    const links = await nav.locator('[data-perm="integrations.admin"] a').allInnerTexts();
    assert.deepEqual(links.slice(links.indexOf('Mail settings'), links.indexOf('Mail settings') + 2),
                     ['Mail settings', 'LINE']);
    await nav.getByRole('link', { name: 'LINE', exact: true }).click();
    await page.waitForURL(/#\/settings\/line$/);
    await page.getByRole('heading', { name: 'LINE', exact: true }).waitFor();
    const state = page.locator('#line-state');
    await state.waitFor();
    assert.equal(await state.getAttribute('data-state'), 'disconnected');

    // the URLs to paste into the LINE console, with copy buttons
    const hook = page.getByRole('textbox', { name: 'Webhook URL' });
    assert.match(await hook.inputValue(), new RegExp(`/webhooks/line/${tenantId}$`));
    assert.match(await page.getByRole('textbox', { name: 'Callback URL' }).inputValue(), /\/line\/callback$/);
    await page.getByRole('button', { name: 'Copy the Webhook URL' }).click();
    await page.locator('#toast.show', { hasText: 'Copied.' }).waitFor();

    const form = page.locator('#line-form');
    // secrets: none set yet
    for (const id of ['channel_secret-state', 'access_token-state', 'login_channel_secret-state']) {
      assert.equal(await page.locator(`#${id}`).innerText(), 'not set');
    }
    await form.getByLabel('Channel ID', { exact: true }).fill(line.channel_id);
    await form.getByLabel(/^Channel secret/).fill(line.channel_secret);
    await form.getByLabel(/^Channel access token/).fill(line.other_token);
    await form.getByLabel('LINE Login channel ID').fill(line.login_channel_id);
    await form.getByLabel(/^LINE Login channel secret/).fill(line.login_channel_secret);

    // LINE down: said under the form, nothing stored
    await ctl('POST', '/fail', { endpoint: 'verify', n: 1, status: 500 });
    await form.getByRole('button', { name: 'Save and connect' }).click();
    await form.locator('.form-error', { hasText: 'LINE could not be reached' }).waitFor();
    assert.equal(await state.getAttribute('data-state'), 'disconnected');

    // a token of another channel: by the token's box
    await form.getByRole('button', { name: 'Save and connect' }).click();
    const tokenErr = form.locator('[data-error-for="access_token"]');
    await tokenErr.filter({ hasText: /./ }).waitFor();
    assert.match(await tokenErr.innerText(), /access token belongs to another channel/i);
    assert.equal(await form.getByLabel(/^Channel access token/).getAttribute('aria-invalid'), 'true');
    assert.equal(await state.getAttribute('data-state'), 'disconnected');
    let s = await api.ok('GET', '/settings/line');
    assert.notEqual(s.state, 'connected');            // nothing stored
    await shot(page, 'line-settings-error');

    // the same channel id for both: said before anything is sent
    await form.getByLabel('LINE Login channel ID').fill(line.channel_id);
    await form.getByRole('button', { name: 'Save and connect' }).click();
    await form.locator('[data-error-for="login_channel_id"]', { hasText: /Messaging API channel/ }).waitFor();
    await form.getByLabel('LINE Login channel ID').fill(line.login_channel_id);

    // the right token: connected, the bot named
    await form.getByLabel(/^Channel access token/).fill(line.access_token);
    await form.getByRole('button', { name: 'Save and connect' }).click();
    await page.locator('#line-state[data-state="connected"]').waitFor();
    assert.equal(await tokenErr.innerText(), '');
    assert.equal(await page.locator('#line-bot-name').innerText(), line.bot_name);
    assert.equal(await page.locator('#line-bot-id').innerText(), line.bot_basic_id);
    for (const id of ['channel_secret-state', 'access_token-state', 'login_channel_secret-state']) {
      assert.equal(await page.locator(`#${id}`).innerText(), 'set');
    }
    // write-only: the boxes are empty again and keep what is stored
    assert.equal(await form.getByLabel(/^Channel access token/).inputValue(), '');
    assert.match(await hook.inputValue(), new RegExp(`/webhooks/line/${tenantId}$`));
    s = await api.ok('GET', '/settings/line');
    assert.equal(s.state, 'connected');
    assert.equal(s.channel_id, line.channel_id);
    const raw = JSON.stringify(s);
    for (const secret of [line.channel_secret, line.access_token, line.login_channel_secret]) {
      assert.ok(!raw.includes(secret), 'a secret in the settings reply');
    }

    // saved again without secrets: kept, still connected
    await page.reload();
    await page.locator('#line-state[data-state="connected"]').waitFor();
    await form.getByRole('button', { name: 'Save and connect' }).click();
    await page.locator('#line-form .saved-note', { hasText: 'Connected to LINE.' }).waitFor();
    await page.locator('#line-unlinked table').waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});

describe('candidate timeline', () => {
  test('an inbound text and a sticker, the friend badge (LN-5, LN-6, UI-4)', async (t) => {
    if (await needs(t, api, ...SETTINGS)) return;
    await connect();
    fx.friend = await linkedCandidate({ family_name: '<b>山田</b>' });
    if (await needs(t, api, ...TIMELINE(fx.friend.id))) return;
    const typed = '<img src=x onerror="window.pwned=1">面接の日程は<b>来週</b>でお願いします';
    await deliver({ type: 'text', text: typed }, { type: 'sticker' });
    await waitFor(async () => (await api.ok('GET', `/candidates/${fx.friend.id}/messages`)).items.length >= 2,
                  { what: 'the delivery in the timeline' });

    const page = await newPage(browser, hrx);
    await login(page, hrx);
    await page.goto(`/#/candidates/${fx.friend.id}`);
    const list = page.locator('#timeline-list');
    const text = list.locator('li[data-kind="text"][data-direction="in"]');
    await text.waitFor();
    // what the candidate typed, as text
    assert.equal(await text.locator('.msg-body').innerText(), typed);
    assert.equal(await list.locator('img, b').count(), 0);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    assert.match(await text.locator('.msg-meta').innerText(), /LINE/);
    assert.match(await text.locator('.msg-meta').innerText(), /from the candidate/);
    // a sticker: a label, never its data as text
    const sticker = list.locator('li[data-kind="unsupported"]');
    await sticker.waitFor();
    assert.match(await sticker.innerText(), /Unsupported content/);
    assert.doesNotMatch(await sticker.innerText(), /hello|1988|446/);
    // "LINE friend" next to the email (LN-5), and nothing to remove it
    await page.locator('#candidate-form .field:has(input[name="email"]) label .badge.line',
                       { hasText: 'LINE friend' }).waitFor();
    assert.equal(await page.getByRole('button', { name: /unlink|remove.*line/i }).count(), 0);

    // oldest first
    const ids = (await list.locator('li[data-id]').evaluateAll((els) => els.map((e) => Number(e.dataset.id))));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('a LINE message arriving while the page is open shows up unasked (live, LN-6)', async (t) => {
    if (await needs(t, api, ...SETTINGS)) return;
    await connect();
    if (!fx.friend) fx.friend = await linkedCandidate();
    if (await needs(t, api, ...TIMELINE(fx.friend.id))) return;
    if (await needsEvent(t, 'message.received', () => deliver({ type: 'text', text: 'よろしくお願いします' }))) return;
    const page = await newPage(browser, hrx);
    await login(page, hrx);
    await page.goto(`/#/candidates/${fx.friend.id}`);
    const list = page.locator('#timeline-list');
    await list.locator('li[data-id]').first().waitFor();
    await page.evaluate(() => { window.sameDocument = true; });
    await page.locator('#timeline[data-live="on"]').waitFor();
    await deliver({ type: 'text', text: 'もう一つ質問があります' }, { type: 'follow' });
    await list.locator('li[data-kind="text"]', { hasText: 'もう一つ質問があります' }).waitFor();
    await list.locator('li[data-kind="follow"]', { hasText: 'Became a LINE friend' }).waitFor();
    assert.equal(await page.evaluate(() => window.sameDocument), true);
    // another candidate's message does not touch this page
    const otherUser = newUserId();
    const other = await linkedCandidate({ family_name: '別人' }, otherUser);
    await deliver({ type: 'text', text: '別の人からです', user_id: otherUser });
    await waitFor(async () => (await api.ok('GET', `/candidates/${other.id}/messages`)).items.length >= 1,
                  { what: 'the other candidate\'s message' });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await list.locator('li', { hasText: '別の人からです' }).count(), 0);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('LINE only from the LINE tab, and an email also to LINE, reach the fake LINE (LN-7)', async (t) => {
    if (await needs(t, api, ...SETTINGS)) return;
    await connect();
    if (!fx.friend) fx.friend = await linkedCandidate();
    if (await needs(t, api, ...TIMELINE(fx.friend.id))) return;
    const before = (await pushes()).length;
    const page = await newPage(browser, hrx);
    await login(page, hrx);
    await page.goto(`/#/candidates/${fx.friend.id}`);
    await page.locator('#timeline-list').waitFor();

    await page.getByRole('tab', { name: 'LINE' }).click();
    const lineForm = page.locator('#line-compose');
    const words = `説明会のご案内です ${unique('')}\n<b>not bold</b>`;
    await lineForm.getByLabel('LINE message').fill(words);
    await lineForm.getByRole('button', { name: 'Send on LINE' }).click();
    const mine = page.locator('#timeline-list li[data-direction="out"][data-channel="line"]', { hasText: 'not bold' });
    await mine.waitFor();
    assert.equal(await mine.locator('.msg-body').innerText(), words);
    assert.equal(await lineForm.getByLabel('LINE message').inputValue(), '');
    const got = await waitFor(async () => (await pushes()).slice(before).find((p) => p.texts.join('') === words),
                              { what: 'the push at the fake LINE' });
    assert.equal(got.to, line.user_id);
    assert.ok(got.retry_key, 'an X-Line-Retry-Key');
    // the timeline follows the push to "sent"
    await page.locator('#timeline-list li[data-direction="out"][data-state="sent"]', { hasText: 'not bold' }).waitFor();

    // email with "also send to LINE": the same text to LINE
    await page.getByRole('tab', { name: 'Email' }).click();
    const emailForm = page.locator('#email-compose');
    const also = emailForm.getByLabel('Also send the text on LINE');
    assert.equal(await also.isDisabled(), false);
    const mailText = `メールとLINEの両方 ${unique('')}`;
    await emailForm.getByLabel('Subject').fill('説明会について');
    await emailForm.getByLabel('Text', { exact: true }).fill(mailText);
    await also.check();
    await emailForm.getByRole('button', { name: 'Send email' }).click();
    await page.locator('#timeline-list li[data-channel="email"][data-direction="out"]', { hasText: mailText }).waitFor();
    await page.locator('#timeline-list li[data-channel="line"][data-direction="out"]', { hasText: mailText }).waitFor();
    await waitFor(async () => (await pushes()).some((p) => p.texts.join('') === mailText),
                  { what: 'the LINE copy of the email at the fake LINE' });
    assert.equal(await also.isChecked(), false);
    await page.locator('#timeline-list li[data-channel="line"][data-state="sent"]', { hasText: mailText }).waitFor();

    // LINE refuses a push (a 4xx other than 429): failed, with LINE's reason (LN-11)
    await ctl('POST', '/fail', { endpoint: 'push', n: 1, status: 400, message: 'The property, \'to\', is invalid' });
    await page.getByRole('tab', { name: 'LINE' }).click();
    const doomed = `届かないメッセージ ${unique('')}`;
    await lineForm.getByLabel('LINE message').fill(doomed);
    await lineForm.getByRole('button', { name: 'Send on LINE' }).click();
    const failed = page.locator('#timeline-list li[data-state="failed"]', { hasText: doomed });
    await failed.waitFor({ timeout: 20000 });
    assert.match(await failed.locator('.msg-error').innerText(), /Not delivered: .*'to', is invalid/);
    await page.getByRole('tab', { name: 'Email' }).click();

    // scheduled for tomorrow, also to LINE: both wait for the same time (LN-9)
    const tz = (await api.ok('GET', '/auth/session')).tenant.time_zone || 'UTC';
    const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    }).formatToParts(new Date(Date.now() + 86400000)).map((x) => [x.type, x.value]));
    const later = `後日のご連絡 ${unique('')}`;
    await emailForm.getByLabel('Subject').fill('明日の予定');
    await emailForm.getByLabel('Text', { exact: true }).fill(later);
    await also.check();
    await emailForm.getByLabel(/^Send at/).fill(`${p.year}-${p.month}-${p.day}`);
    await emailForm.getByLabel('Time', { exact: true }).fill('10:00');
    await emailForm.getByRole('button', { name: 'Schedule email' }).click();
    const planned = page.locator('#timeline-list li[data-direction="out"][data-state="queued"]', { hasText: later });
    await waitFor(async () => (await planned.count()) === 2, { what: 'the scheduled email and its LINE copy' });
    assert.match(await planned.first().innerText(), /Scheduled for/);
    assert.match(await planned.last().innerText(), /Scheduled for/);
    const items = (await api.ok('GET', `/candidates/${fx.friend.id}/messages?limit=200`)).items.filter((m) => m.body === later);
    assert.deepEqual(items.map((m) => m.channel).sort(), ['email', 'line']);
    assert.equal(items[0].send_at, items[1].send_at);
    assert.ok(!(await pushes()).some((x) => x.texts.join('') === later), 'a scheduled LINE message went now');
    await emailForm.getByRole('button', { name: 'Send email' }).waitFor();

    await page.locator('#toast.show').waitFor({ state: 'hidden' });
    await page.waitForTimeout(300);               // its fade
    // the conversation from the candidate's sticker on
    await page.evaluate(() => {
      const li = document.querySelector('#timeline-list li[data-kind="unsupported"]');
      if (li) li.closest('.msg-scroll').scrollTop = li.offsetTop - li.closest('.msg-scroll').offsetTop - 8;
    });
    await shot(page, 'candidate-timeline');
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('"also send to LINE" is disabled, with the reason, for a candidate who is not a LINE friend', async (t) => {
    if (await needs(t, api, '/candidates')) return;
    const c = await api.ok('POST', '/candidates', { family_name: '佐藤', given_name: '花子', email: 'hanako@example.jp' });
    const page = await newPage(browser, hrx);
    await login(page, hrx);
    await page.goto(`/#/candidates/${c.id}`);
    await page.locator('#compose').waitFor();
    // no friend badge
    assert.equal(await page.locator('.badge.line').count(), 0);
    // the email tab is the one open; LINE there is off and says why
    const also = page.locator('#email-compose').getByLabel('Also send the text on LINE');
    assert.equal(await also.isDisabled(), true);
    assert.match(await page.locator('#email-compose .field:has(input[name="also_line"])').innerText(),
                 /not a LINE friend/);
    assert.match(await page.locator('#email-compose .field:has(input[name="also_line"])').getAttribute('title'),
                 /not a LINE friend/);
    await page.getByRole('tab', { name: 'LINE' }).click();
    await page.locator('#line-blocked', { hasText: /not a LINE friend/ }).waitFor();
    assert.equal(await page.locator('#line-compose').getByRole('button', { name: 'Send on LINE' }).isDisabled(), true);
    await shot(page, 'candidate-not-line-friend');

    // a LINE friend whose agent takes the mail: never LINE (LN-8)
    const agent = await api.ok('POST', '/agents', { name: unique('Agent '), email: 'agent@example.jp',
                                                    route_to_agent: true });
    const routed = await linkedCandidate({ route: 'agent', agent_id: agent.id }, newUserId());
    await page.goto(`/#/candidates/${routed.id}`);
    await page.locator('#compose').waitFor();
    await page.locator('#candidate-form .badge.line', { hasText: 'LINE friend' }).waitFor();
    await page.getByRole('tab', { name: 'Email' }).click();
    const also2 = page.locator('#email-compose').getByLabel('Also send the text on LINE');
    assert.equal(await also2.isDisabled(), true);
    assert.match(await page.locator('#email-compose .field:has(input[name="also_line"])').innerText(),
                 /handled by an agent/);
    await page.getByRole('tab', { name: 'LINE' }).click();
    await page.locator('#line-blocked', { hasText: /handled by an agent/ }).waitFor();
    // the server agrees
    const r = await api.call('POST', `/candidates/${routed.id}/messages`, { channel: 'line', text: 'x' });
    assert.ok([400, 409].includes(r.status), JSON.stringify(r));
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});

describe('LINE settings with linked candidates', () => {
  test('disconnect is refused while candidates are linked, allowed after (LN-10); unlinked users\' events are listed (LN-6); the bulk form follows the state (LN-12)', async (t) => {
    if (await needs(t, api, ...SETTINGS, '/line/unlinked-events')) return;
    await connect();
    if (!fx.friend) fx.friend = await linkedCandidate();
    const stranger = newUserId();
    const words = `誰でしょう <i>${unique('')}</i>`;
    await deliver({ type: 'text', text: words, user_id: stranger }, { type: 'image', user_id: stranger });
    const linked = (await api.ok('GET', '/settings/line')).linked_candidates;

    const page = await newPage(browser, hrx);
    await login(page, hrx);
    await page.goto('/#/settings/line');
    await page.locator('#line-state[data-state="connected"]').waitFor();
    await page.getByRole('button', { name: 'Disconnect' }).click();
    const err = page.locator('#line-disconnect-error');
    await err.filter({ hasText: /./ }).waitFor();
    assert.match(await err.innerText(),
                 linked === 1 ? /1 candidate is linked to LINE/ : new RegExp(`${linked} candidates are linked to LINE`));
    assert.equal(await page.locator('#line-state').getAttribute('data-state'), 'connected');
    assert.equal((await api.ok('GET', '/settings/line')).state, 'connected');

    // the unlinked user's text, as text, and the image as a label
    const table = page.locator('#line-unlinked');
    const rowOf = (what) => table.locator('tbody tr', { hasText: what });
    await waitFor(async () => {
      await table.getByRole('button', { name: 'Refresh' }).click();
      return (await rowOf(stranger).count()) >= 2;
    }, { what: 'the unlinked events', interval: 500 });
    const textRow = rowOf(stranger).filter({ hasText: '誰でしょう' });
    assert.equal(await textRow.locator('td').last().innerText(), words);
    assert.equal(await table.locator('tbody i').count(), 0);
    await rowOf('Unsupported content').filter({ hasText: stranger }).first().waitFor();
    await page.locator('#toast.show').waitFor({ state: 'hidden' });
    await page.waitForTimeout(300);               // its fade
    await shot(page, 'line-settings');

    // the bulk-action form: "also send to LINE" usable now (LN-12)
    await page.goto('/#/bulk-actions/new');
    await page.locator('.field[data-line="connected"]').waitFor();
    assert.equal(await page.locator('#bulk-form').getByLabel('Also send as a LINE message').isDisabled(), false);

    // once the linked candidates are gone, it can be disconnected (LN-10)
    const friends = (await api.ok('GET', '/candidates?limit=200')).items.filter((c) => c.line_linked_at);
    for (const c of friends) await api.ok('DELETE', `/candidates/${c.id}`);
    fx.friend = null;
    await page.goto('/#/settings/line');
    await page.locator('#line-state[data-state="connected"]').waitFor();
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await page.locator('#line-state[data-state="disconnected"]').waitFor();
    assert.equal(await page.locator('#line-disconnect-error').innerText(), '');
    assert.notEqual((await api.ok('GET', '/settings/line')).state, 'connected');
    // and the bulk form says LINE is not connected
    await page.goto('/#/bulk-actions/new');
    await page.locator('.field[data-line="disconnected"]').waitFor();
    assert.equal(await page.locator('#bulk-form').getByLabel('Also send as a LINE message').isDisabled(), true);
    assert.deepEqual(page.problems, []);
    await page.context().close();

    // a recruiter without "Manage integrations": no LINE entry; the box
    // stays usable and its tooltip says the server checks it on saving
    const role = await api.ok('POST', '/roles', { name: unique('Recruiter '),
      permissions: ['candidates.operate_other', 'bulk_actions.manage'] });
    const who = { email: `${unique('rec')}@example.jp`, password: 'recruiter-pass-1234' };
    await api.ok('POST', '/users', { name: 'Recruiter', role_id: role.id, ...who });
    const rec = await newPage(browser, hrx);
    await login(rec, { ...hrx, ...who });
    assert.equal(await rec.getByRole('navigation').getByRole('link', { name: 'LINE', exact: true }).count(), 0);
    await rec.goto('/#/bulk-actions/new');
    const box = rec.locator('.field[data-line="unknown"]');
    await box.waitFor();
    assert.equal(await rec.locator('#bulk-form').getByLabel('Also send as a LINE message').isDisabled(), false);
    assert.match(await box.getAttribute('title'), /checked when you save/);
    assert.deepEqual(rec.problems, []);
    await rec.context().close();
  });
});
