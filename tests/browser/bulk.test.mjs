// Browser tests of the bulk-action screens and the mail settings against a
// real hrx (docs/bulk-actions.md; SPEC BA-1…BA-15, UI-2): a reservation
// made through the form with a dry run, a server error by its field, edit
// and delete; locked and held actions in the list; an executed action's
// detail with its failures, live progress from the event stream; mail
// settings.  Data is made through the API; an action is executed by moving
// its run_at into the past in SQLite (as tests/integration/bulk.py does).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  apiClient, dbWrite, launch, login, needs, newPage, shot, startHrx, unique, waitFor,
} from './lib.mjs';

let hrx;
let browser;
let api;
let tz;
const fx = {};             // fixtures shared by the tests

before(async () => {
  hrx = await startHrx();
  browser = await launch();
  api = await apiClient(hrx);
  tz = (await api.ok('GET', '/auth/session')).tenant.time_zone || 'Asia/Tokyo';
});

after(async () => {
  if (browser) await browser.close();
  if (hrx) {
    const { code, stderr } = await hrx.stop();
    assert.equal(code, 0, `hrx reported problems: ${stderr}`);
  }
});

const BULK = ['/bulk-actions?view=reserved', 'POST /bulk-actions/dry-run'];
const MIN = 60000;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const wholeMinute = (ms) => ms - (ms % MIN);

// A moment as the tenant's wall clock: what the date and time inputs take.
function wall(ms) {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit',
  }).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
}

// Three candidates the search hits: one fine, one without email
// (no_email), one without graduation year, which the template uses
// (missing_variable:candidate.graduation_year).
async function fixtures() {
  if (fx.search) return fx;
  const school = unique('Bulk School ');
  fx.school = school;
  fx.ok = await api.ok('POST', '/candidates', { family_name: '青木', given_name: '一郎', email: 'aoki@example.jp',
                                                school, graduation_year: 2027 });
  fx.noEmail = await api.ok('POST', '/candidates', { family_name: '<b>馬場</b>', given_name: '二郎', school,
                                                     graduation_year: 2027 });
  fx.noYear = await api.ok('POST', '/candidates', { family_name: '千葉', given_name: '三郎', email: 'chiba@example.jp',
                                                    school });
  fx.group = await api.ok('POST', '/search-groups', { name: unique('Bulk group ') });
  fx.search = await api.ok('POST', '/saved-searches', {
    search_group_id: fx.group.id, name: unique('2027 grads '),
    condition: { field: 'school', op: 'contains', value: school } });
  fx.template = await api.ok('POST', '/templates', {
    name: unique('Seminar mail '), subject: 'Hello {candidate.given_name}',
    body_text: 'Dear {氏名}, class of {卒業年度}.\n{form.url}' });
  fx.invite = await api.ok('POST', '/templates', {
    name: unique('Invitation mail '), subject: 'Seminar for {candidate.given_name}',
    body_text: 'Dear {氏名},\nregister here: {event.url}' });
  fx.form = await api.ok('POST', '/forms', { name: unique('Survey '), questions: [
    { key: 'why', label: 'Why us?', type: 'text' }] });
  fx.label = await api.ok('POST', '/labels', { name: unique('Mailed ') });
  fx.eventGroup = await api.ok('POST', '/event-groups', { name: unique('Seminars ') });
  fx.event = await api.ok('POST', '/events', {
    event_group_id: fx.eventGroup.id, title: unique('Autumn seminar '), published: true,
    dates: [{ starts_at: iso(Date.now() + 30 * 86400000), capacity: 50 }] });
  fx.draftEvent = await api.ok('POST', '/events', {
    event_group_id: fx.eventGroup.id, title: unique('Draft seminar '), published: false,
    dates: [{ starts_at: iso(Date.now() + 40 * 86400000), capacity: 50 }] });
  return fx;
}

const createAction = (over = {}) => api.ok('POST', '/bulk-actions', {
  name: unique('API action '), kind: 'message', run_at: iso(wholeMinute(Date.now() + 60 * MIN)),
  saved_search_id: fx.search.id, template_id: fx.template.id, ...over });

// T into the past: the scheduler runs it on its next turn.
const makeDue = (id, lateMs = 1000) =>
  dbWrite(hrx, 'UPDATE bulk_actions SET run_at = ? WHERE id = ?', [Date.now() - lateMs, id]);

const finished = (id) => waitFor(async () => {
  const a = await api.ok('GET', `/bulk-actions/${id}`);
  return ['completed', 'completed_with_failures', 'error'].includes(a.status) ? a : null;
}, { what: `bulk action ${id} to finish` });

const rowOf = (page, name) => page.locator('#bulk-panel tbody tr', { hasText: name });

describe('bulk actions', () => {
  test('reserve through the form: live count, dry run, a server error by its field, edit, delete', async (t) => {
    if (await needs(t, api, ...BULK)) return;
    await fixtures();
    const page = await newPage(browser, hrx);
    await login(page, hrx);
    await page.getByRole('navigation').getByRole('link', { name: 'Bulk actions' }).click();
    await page.getByRole('heading', { name: 'Bulk actions', exact: true }).waitFor();
    await page.getByRole('tab', { name: 'Reserved' }).waitFor();
    await page.getByRole('link', { name: 'Reserve an action' }).click();
    await page.waitForURL(/#\/bulk-actions\/new$/);

    const form = page.locator('#bulk-form');
    const name = unique('Seminar follow-up ');
    await form.getByLabel('Name', { exact: true }).fill(name);
    assert.equal(await form.getByLabel('Message', { exact: true }).isChecked(), true);
    await form.getByLabel('Saved search').selectOption(String(fx.search.id));
    await page.locator('#bulk-search-count[data-state="ok"][data-count="3"]').waitFor();
    await form.getByLabel('Email template').selectOption(String(fx.template.id));
    assert.match(await page.locator('#bulk-template-subject').innerText(), /Hello \{candidate\.given_name\}/);
    await form.getByLabel('Custom form').selectOption(String(fx.form.id));
    await form.getByLabel('Executed label').selectOption(String(fx.label.id));

    // dry run: who would receive it now, who would fail and why (BA-15)
    await form.getByRole('button', { name: 'Dry run' }).click();
    const dry = page.locator('#dry-run');
    await dry.locator('#dry-hits[data-count="3"]').waitFor();
    assert.equal(await dry.locator('#dry-receive').getAttribute('data-count'), '1');
    assert.equal(await dry.locator('#dry-fail').getAttribute('data-count'), '2');
    const failures = dry.locator('#dry-run-failures tbody tr');
    assert.equal(await failures.count(), 2);
    const noEmailRow = failures.filter({ hasText: '<b>馬場</b>' });     // a name is text, not markup
    assert.match(await noEmailRow.innerText(), /email/i);
    assert.match(await failures.filter({ hasText: '千葉' }).innerText(), /graduation_year/);
    assert.equal(await dry.locator('b').count(), 0);
    assert.match(await dry.locator('#dry-run-reasons').innerText(), /no_email/);
    assert.match(await dry.locator('#dry-run-recipients').innerText(), /aoki@example\.jp/);
    await shot(page, 'bulk-form-dry-run');

    // T 5 minutes away: the server refuses it (BA-4), next to the date
    const soon = wall(Date.now() + 5 * MIN);
    await form.getByLabel(/Date and time/).fill(soon.date);
    await form.getByLabel('Time', { exact: true }).fill(soon.time);
    await form.getByRole('button', { name: 'Reserve' }).click();
    const runErr = form.locator('[data-error-for="run_at"]');
    await runErr.filter({ hasText: /./ }).waitFor();
    assert.equal(await form.getByLabel(/Date and time/).getAttribute('aria-invalid'), 'true');
    assert.equal(await form.locator('.form-error').innerText(), '');
    assert.match(page.url(), /#\/bulk-actions\/new$/);
    // the form changed since the dry run: it says so
    assert.equal(await dry.evaluate((e) => e.classList.contains('stale')), true);

    // two hours ahead: reserved, and in the list
    const tMs = wholeMinute(Date.now() + 120 * MIN);
    const T = wall(tMs);
    await form.getByLabel(/Date and time/).fill(T.date);
    await form.getByLabel('Time', { exact: true }).fill(T.time);
    await form.getByRole('button', { name: 'Reserve' }).click();
    await page.waitForURL(/#\/bulk-actions$/);
    const row = rowOf(page, name);
    await row.waitFor();
    assert.match(await row.innerText(), /Waiting/);
    assert.match(await row.innerText(), /3 candidates/);
    assert.match(await row.innerText(), new RegExp(fx.search.name));
    const a = (await api.ok('GET', '/bulk-actions?view=reserved')).items.find((x) => x.name === name);
    assert.ok(a, 'reserved through the form');
    assert.equal(a.kind, 'message');
    assert.equal(a.status, 'waiting');
    assert.equal(Date.parse(a.run_at), tMs, 'T is the minute entered, in the tenant time zone');
    assert.equal(a.saved_search_id, fx.search.id);
    assert.equal(a.template_id, fx.template.id);
    assert.equal(a.form_id, fx.form.id);
    assert.equal(a.executed_label_id, fx.label.id);
    assert.equal(a.also_line, false);

    // edit: the kind is fixed; rename and put on hold
    await row.getByRole('link', { name: /Edit/ }).click();
    await page.waitForURL(new RegExp(`#/bulk-actions/${a.id}/edit$`));
    assert.equal(await form.getByLabel('Name', { exact: true }).inputValue(), name);
    assert.equal(await form.getByLabel('Event invitation').isDisabled(), true);
    assert.equal(await form.getByLabel('Saved search').inputValue(), String(fx.search.id));
    assert.equal(await form.getByLabel('Time', { exact: true }).inputValue(), T.time);
    const renamed = `${name} (edited)`;
    await form.getByLabel('Name', { exact: true }).fill(renamed);
    await form.getByLabel('Put on hold').check();
    await form.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/#\/bulk-actions$/);
    await rowOf(page, renamed).filter({ hasText: 'On hold' }).waitFor();
    const edited = await api.ok('GET', `/bulk-actions/${a.id}`);
    assert.equal(edited.name, renamed);
    assert.equal(edited.status, 'on_hold');
    assert.equal(Date.parse(edited.run_at), tMs);

    // delete
    await rowOf(page, renamed).getByRole('button', { name: `Delete ${renamed}` }).click();
    await rowOf(page, renamed).waitFor({ state: 'detached' });
    assert.equal((await api.call('GET', `/bulk-actions/${a.id}`)).status, 404);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('an event invitation through the form; locked and held actions in the list', async (t) => {
    if (await needs(t, api, ...BULK)) return;
    await fixtures();
    const page = await newPage(browser, hrx);
    await login(page, hrx);
    await page.goto('/#/bulk-actions/new');
    const form = page.locator('#bulk-form');
    const name = unique('Seminar invitation ');
    await form.getByLabel('Name', { exact: true }).fill(name);
    await form.getByLabel('Event invitation').check();
    assert.equal(await form.getByLabel('Custom form').isVisible(), false);
    await form.getByLabel('Saved search').selectOption(String(fx.search.id));
    await form.getByLabel('Email template').selectOption(String(fx.invite.id));
    // no event chosen: said by the event, before asking the server
    await form.getByRole('button', { name: 'Reserve' }).click();
    await form.locator('[data-error-for="event_id"]').filter({ hasText: /./ }).waitFor();
    // an unpublished event: the dry run says the whole action would fail (BA-11)
    const eventSel = form.getByLabel('Event', { exact: true });
    assert.match(await eventSel.locator(`option[value="${fx.draftEvent.id}"]`).innerText(), /not published/);
    await eventSel.selectOption(String(fx.draftEvent.id));
    await form.getByRole('button', { name: 'Dry run' }).click();
    const whole = page.locator('#dry-run-error');
    await whole.waitFor();
    assert.match(await whole.innerText(), /not published/i);
    assert.match(await whole.innerText(), /event_unpublished/);
    await shot(page, 'bulk-form-invitation-error');
    await eventSel.selectOption(String(fx.event.id));
    await form.getByRole('button', { name: 'Dry run' }).click();
    await page.locator('#dry-run:not(.stale) #dry-hits[data-count="3"]').waitFor();
    assert.equal(await whole.count(), 0);
    const T = wall(wholeMinute(Date.now() + 90 * MIN));
    await form.getByLabel(/Date and time/).fill(T.date);
    await form.getByLabel('Time', { exact: true }).fill(T.time);
    // also to LINE (LN-12): this tenant has no LINE connected, which an
    // integrations admin sees as a disabled box with the reason; were it
    // usable, the server would refuse it (409 line_not_connected) next to
    // the checkbox
    const line = form.getByLabel('Also send as a LINE message');
    const lineField = page.locator('.field:has(input[name="also_line"])');
    await page.locator('.field[data-line]').waitFor();
    let lineRefused = true;
    if (await line.isDisabled()) {
      assert.equal(await lineField.getAttribute('data-line'), 'disconnected');
      assert.match(await page.locator('#also-line-state').innerText(), /LINE is not connected/);
      assert.equal(await page.locator('#also-line-state a[href="#/settings/line"]').count(), 1);
      await form.getByRole('button', { name: 'Reserve' }).click();
      await page.waitForURL(/#\/bulk-actions$/);
    } else {
      await line.check();
      await form.getByRole('button', { name: 'Reserve' }).click();
      const lineErr = form.locator('[data-error-for="also_line"]');
      await Promise.race([page.waitForURL(/#\/bulk-actions$/), lineErr.filter({ hasText: /./ }).waitFor()]);
      lineRefused = !/#\/bulk-actions$/.test(page.url());
    }
    if (lineRefused && !/#\/bulk-actions$/.test(page.url())) {
      const lineErr = form.locator('[data-error-for="also_line"]');
      assert.match(await lineErr.innerText(), /LINE/);
      assert.equal(await line.getAttribute('aria-invalid'), 'true');
      await line.uncheck();
      await form.getByRole('button', { name: 'Reserve' }).click();
      await page.waitForURL(/#\/bulk-actions$/);
    }
    await rowOf(page, name).filter({ hasText: 'Event invitation' }).waitFor();
    const inv = (await api.ok('GET', '/bulk-actions?view=reserved')).items.find((x) => x.name === name);
    assert.equal(inv.kind, 'event_invitation');
    assert.equal(inv.event_id, fx.event.id);
    assert.equal(inv.event_group_id, null);
    assert.equal(inv.also_line, !lineRefused);

    // one on hold, one waiting whose T is 5 minutes away: locked (BA-9)
    const held = await createAction({ name: unique('Held <i>mail</i> '), status: 'on_hold' });
    const locked = await createAction({ name: unique('Locked mail ') });
    dbWrite(hrx, 'UPDATE bulk_actions SET run_at = ? WHERE id = ?', [wholeMinute(Date.now() + 6 * MIN), locked.id]);
    try {
      await page.reload();
      const lockedRow = rowOf(page, locked.name);
      await lockedRow.locator('.lock-note').waitFor();
      assert.match(await lockedRow.innerText(), /Locked/);
      assert.equal(await lockedRow.getByRole('link', { name: /Edit/ }).count(), 0);
      assert.equal(await lockedRow.getByRole('button', { name: /Delete/ }).count(), 0);
      const heldRow = rowOf(page, held.name);
      assert.match(await heldRow.innerText(), /On hold/);
      assert.equal(await heldRow.getByRole('link', { name: /Edit/ }).count(), 1);
      assert.equal(await page.locator('#bulk-panel i').count(), 0);
      const reserved = (await api.ok('GET', '/bulk-actions?view=reserved')).items
        .filter((x) => x.status === 'waiting' || x.status === 'on_hold').length;
      assert.match(await page.locator('#bulk-quota').innerText(), new RegExp(`^${reserved} of 5`));
      await shot(page, 'bulk-list');

      // its edit page says why and offers no save
      await page.goto(`/#/bulk-actions/${locked.id}/edit`);
      await page.locator('#bulk-locked').waitFor();
      assert.match(await page.locator('#bulk-locked').innerText(), /11 minutes/);
      assert.equal(await form.getByRole('button', { name: 'Save' }).count(), 0);
      assert.equal(await form.getByLabel('Name', { exact: true }).isDisabled(), true);

      // the reserved tab in Japanese
      await page.getByLabel('Language').selectOption('ja');
      await page.goto('/#/bulk-actions');
      await page.getByRole('tab', { name: 'アクション予約状況' }).waitFor();
      await rowOf(page, held.name).filter({ hasText: '調整中' }).waitFor();
      await rowOf(page, locked.name).filter({ hasText: '実行待ち' }).waitFor();
    } finally {
      // nothing of this test runs later; the reservations are freed
      dbWrite(hrx, 'DELETE FROM bulk_actions WHERE id IN (?, ?, ?)', [locked.id, held.id, inv.id]);
    }
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('an executed action: history row, detail with counts, late notice and failures with reasons', async (t) => {
    if (await needs(t, api, ...BULK)) return;
    await fixtures();
    const made = await createAction({ name: unique('Executed mail '), form_id: fx.form.id });
    makeDue(made.id, 5 * MIN);                     // T was 5 minutes ago: it starts late
    const a = await finished(made.id);
    assert.equal(a.status, 'completed_with_failures');
    assert.equal(a.counts.reached, 1);
    assert.equal(a.counts.failed, 2);

    const page = await newPage(browser, hrx);
    await login(page, hrx);
    await page.goto('/#/bulk-actions');
    await page.getByRole('tab', { name: 'Last 7 days' }).click();
    const row = rowOf(page, made.name);
    await row.waitFor();
    assert.match(await row.innerText(), /Completed with failures/);
    assert.match(await row.innerText(), /late/);
    assert.deepEqual(await row.locator('td .num').allInnerTexts(), ['1', '2']);
    assert.match(page.url(), /\?tab=history$/);

    await row.getByRole('link', { name: made.name }).click();
    await page.waitForURL(new RegExp(`#/bulk-actions/${made.id}$`));
    await page.locator('#bulk-name', { hasText: made.name }).waitFor();
    assert.equal(await page.locator('#count-hits').getAttribute('data-count'), '3');
    assert.equal(await page.locator('#count-reached').getAttribute('data-count'), '1');
    assert.equal(await page.locator('#count-failed').getAttribute('data-count'), '2');
    assert.match(await page.locator('#bulk-late').innerText(), /Started \d+ min late/);
    assert.match(await page.locator('#bulk-facts').innerText(), new RegExp(fx.template.name));
    assert.match(await page.locator('#bulk-facts').innerText(), new RegExp(fx.form.name));
    // no edit or delete once it ran
    assert.equal(await page.getByRole('link', { name: 'Edit' }).count(), 0);

    const fails = page.locator('#bulk-results tbody tr');
    await fails.nth(1).waitFor();
    assert.equal(await fails.count(), 2);
    const noEmail = page.locator(`#bulk-results tr[data-candidate="${fx.noEmail.id}"]`);
    const noYear = page.locator(`#bulk-results tr[data-candidate="${fx.noYear.id}"]`);
    assert.match(await noEmail.innerText(), /<b>馬場<\/b>/);
    const enNoEmail = await noEmail.locator('.reason').innerText();
    assert.match(enNoEmail, /email/i);
    assert.match(await noYear.locator('.reason').innerText(), /graduation_year/);
    assert.match(await page.locator('#bulk-reasons').innerText(), /no_email/);
    await shot(page, 'bulk-detail');

    // the reached one
    await page.getByRole('button', { name: 'reached' }).click();
    await page.locator(`#bulk-results table.reached tr[data-candidate="${fx.ok.id}"]`).waitFor();
    assert.match(await page.locator('#bulk-results').innerText(), /aoki@example\.jp/);

    // the reasons in Japanese, as the server words them
    await page.getByLabel('Language').selectOption('ja');
    await page.locator('#count-failed .what', { hasText: '失敗' }).waitFor();
    const jaNoEmail = await noEmail.locator('.reason').innerText();
    assert.notEqual(jaNoEmail, enNoEmail);
    assert.match(jaNoEmail, /[\u3040-\u30ff\u4e00-\u9fff]/);
    assert.match(await page.locator('#bulk-late').innerText(), /遅れて実行/);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('live progress: an open detail page follows the action from waiting to finished', async (t) => {
    if (await needs(t, api, ...BULK)) return;
    await fixtures();
    const made = await createAction({ name: unique('Live mail '), form_id: fx.form.id });
    // T 12 minutes away (locked, not due): the page listens to the stream
    dbWrite(hrx, 'UPDATE bulk_actions SET run_at = ? WHERE id = ?', [wholeMinute(Date.now() + 13 * MIN), made.id]);
    const page = await newPage(browser, hrx);
    await login(page, hrx);
    await page.goto(`/#/bulk-actions/${made.id}`);
    await page.locator('#bulk-notices .bulk-status.st-waiting').waitFor();
    await page.locator('#bulk-results', { hasText: 'not run yet' }).waitFor();
    await page.locator('#screen .screen[data-live="open"]').waitFor();   // the stream is open
    makeDue(made.id);
    // no reload: the stream's progress events move the page along
    await page.locator('#bulk-notices .bulk-status.st-completed_with_failures').waitFor({ timeout: 30000 });
    await page.locator('#count-reached[data-count="1"]').waitFor();
    await page.locator('#count-failed[data-count="2"]').waitFor();
    await page.locator('#bulk-results tbody tr').nth(1).waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});

describe('mail settings', () => {
  test('SMTP settings saved, the password write-only with a "set" mark; a bad address by its field', async (t) => {
    if (await needs(t, api, '/settings/mail')) return;
    const page = await newPage(browser, hrx);
    await login(page, hrx);
    await page.getByRole('navigation').getByRole('link', { name: 'Mail settings' }).click();
    const form = page.locator('#mail-form');
    await form.waitFor();
    await form.getByLabel('Send through an SMTP server').check();
    await form.getByLabel('Host').fill('smtp.example.test');
    await form.getByLabel('Security').selectOption('tls');
    assert.equal(await form.getByLabel('Port').inputValue(), '465');
    await form.getByLabel('Port').fill('2465');
    await form.getByLabel('Username').fill('mailer');
    await form.getByLabel(/^Password/).fill('s3cret-smtp-pass');
    await form.getByLabel('From address').fill('not-an-address');
    await form.getByLabel('From name').fill('採用チーム <Recruiting>');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.locator('[data-error-for="from_email"]').filter({ hasText: /./ }).waitFor();
    assert.equal(await form.getByLabel('From address').getAttribute('aria-invalid'), 'true');

    await form.getByLabel('From address').fill('recruit@acme.example');
    await form.getByLabel('Reply-to address').fill('reply@acme.example');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.locator('.saved-note', { hasText: 'Saved.' }).waitFor();
    await page.locator('#password-state', { hasText: /^set$/ }).waitFor();
    assert.equal(await form.getByLabel(/^Password/).inputValue(), '');
    const m = await api.ok('GET', '/settings/mail');
    assert.equal(m.transport, 'smtp');
    assert.equal(m.smtp_host, 'smtp.example.test');
    assert.equal(m.smtp_port, 2465);
    assert.equal(m.smtp_security, 'tls');
    assert.equal(m.smtp_username, 'mailer');
    assert.equal(m.password_set, true);
    assert.equal(m.from_name, '採用チーム <Recruiting>');
    assert.ok(!JSON.stringify(m).includes('s3cret'), 'the password never comes back');

    // a reload shows what is stored; an empty password box keeps it
    await page.reload();
    await form.waitFor();
    assert.equal(await form.getByLabel('Send through an SMTP server').isChecked(), true);
    assert.equal(await form.getByLabel('Host').inputValue(), 'smtp.example.test');
    assert.equal(await form.getByLabel('From name').inputValue(), '採用チーム <Recruiting>');
    await page.locator('#password-state', { hasText: /^set$/ }).waitFor();
    await form.getByLabel('Username').fill('mailer2');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.locator('.saved-note', { hasText: 'Saved.' }).waitFor();
    assert.equal((await api.ok('GET', '/settings/mail')).password_set, true);
    await shot(page, 'mail-settings');

    // back to files (other tests' mail stays local); the password is removed
    await form.getByLabel('Remove the stored password').check();
    await form.getByLabel(/Write each message to a file/).check();
    assert.equal(await page.locator('#smtp-fields').isVisible(), false);
    await form.getByRole('button', { name: 'Save' }).click();
    await form.locator('.saved-note', { hasText: 'Saved.' }).waitFor();
    const back = await api.ok('GET', '/settings/mail');
    assert.equal(back.transport, 'file');
    assert.equal(back.password_set, false);
    assert.equal(back.smtp_host, 'smtp.example.test', 'the SMTP server stays for later');
    await form.getByLabel('Send through an SMTP server').check();
    await page.locator('#password-state', { hasText: 'not set' }).waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('navigation hides what a user may not use', async (t) => {
    if (await needs(t, api, '/roles')) return;
    const role = await api.ok('POST', '/roles', { name: unique('Viewer '), permissions: [] });
    const email = `${unique('viewer')}@example.com`;
    const password = 'viewer-password-1';
    await api.ok('POST', '/users', { name: 'Viewer', email, password, role_id: role.id });
    const page = await newPage(browser, hrx);
    await login(page, { ...hrx, email, password });
    const nav = page.getByRole('navigation');
    await nav.getByRole('link', { name: 'Bulk actions' }).waitFor();
    assert.equal(await nav.getByRole('link', { name: 'Mail settings' }).isVisible(), false);
    assert.equal(await nav.getByRole('link', { name: 'Users' }).isVisible(), false);
    await nav.getByRole('link', { name: 'Bulk actions' }).click();
    await page.getByRole('heading', { name: 'Bulk actions', exact: true }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Reserve an action' }).count(), 0);
    await page.context().close();
  });
});
