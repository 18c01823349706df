// Browser tests of the admin shell against a real hrx in Debian's
// Chromium: sign-in, language switch, users and tokens, phone width, and
// that server data is inserted as text (SPEC UI-1, UI-4).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiClient, launch, login, newPage, shot, startHrx, unique } from './lib.mjs';

let hrx;
let browser;
let api;

before(async () => {
  hrx = await startHrx();
  browser = await launch();
  api = await apiClient(hrx);
});

after(async () => {
  if (browser) await browser.close();
  if (hrx) {
    const { code, stderr } = await hrx.stop();
    assert.equal(code, 0, `hrx reported problems: ${stderr}`);
  }
});

describe('sign in', () => {
  test('a wrong password is refused with a message, the right one opens the shell', async () => {
    const page = await newPage(browser, hrx);
    await page.goto('/');
    await page.getByLabel('Email').fill(hrx.email);
    await page.getByLabel('Password').fill('not the password');
    await shot(page, 'login');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#login-error').filter({ hasText: /./ }).waitFor();
    assert.match(await page.locator('#login-error').innerText(), /wrong email or password|invalid/i);
    assert.equal(await page.locator('#sidebar').isVisible(), false);

    await page.getByLabel('Password').fill(hrx.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation').getByRole('link', { name: 'Candidates' }).waitFor();
    assert.match(await page.locator('#who').innerText(), /Administrator/);
    assert.equal(await page.locator('#login-view').isVisible(), false);
    // the home screen reads the health of the system
    await page.locator('#health dd').first().waitFor();
    assert.match(await page.locator('#health').innerText(), /running/);

    // the session survives a reload, and signing out ends it
    await page.reload();
    await page.locator('#sidebar').waitFor({ state: 'visible' });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#login-view').waitFor({ state: 'visible' });
    await page.reload();
    await page.locator('#login-view').waitFor({ state: 'visible' });
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('an empty form names the missing field without calling the server', async () => {
    const page = await newPage(browser, hrx);
    await page.goto('/');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const err = page.locator('[data-error-for="email"]');
    await err.filter({ hasText: /./ }).waitFor();
    assert.equal(await page.getByLabel('Email').getAttribute('aria-invalid'), 'true');
    await page.context().close();
  });
});

describe('language', () => {
  test('English by default for an English browser, Japanese after switching, kept on reload', async () => {
    const page = await newPage(browser, hrx, { locale: 'en-US' });
    await page.goto('/');
    assert.equal(await page.locator('#login-view h2').innerText(), 'Sign in');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    await page.getByLabel('Language').selectOption('ja');
    assert.equal(await page.locator('#login-view h2').innerText(), 'ログイン');
    assert.equal(await page.locator('label[for=login-email]').innerText(), 'メールアドレス');
    await page.locator('#login-email').fill(hrx.email);
    await page.locator('#login-password').fill(hrx.password);
    await page.locator('#login-form button[type=submit]').click();
    const nav = page.getByRole('navigation');
    await nav.getByRole('link', { name: '候補者', exact: true }).waitFor();
    for (const name of ['ホーム', 'テンプレート', 'ユーザー', 'ロール', 'マスタグループ']) {
      assert.ok(await nav.getByRole('link', { name, exact: true }).isVisible(), name);
    }
    assert.equal(await page.getByRole('button', { name: 'ログアウト' }).isVisible(), true);
    await page.goto('/#/admin/users');
    await page.getByRole('heading', { name: 'ユーザー', exact: true }).waitFor();
    await page.getByRole('columnheader', { name: 'メールアドレス' }).waitFor();
    await shot(page, 'users-ja');

    await page.reload();
    await page.getByRole('heading', { name: 'ユーザー', exact: true }).waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem('hrx.lang')), 'ja');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'ja');

    // French is ready for the shell too
    await page.getByLabel('言語').selectOption('fr');
    await nav.getByRole('link', { name: 'Candidats', exact: true }).waitFor();
    await page.getByRole('heading', { name: 'Utilisateurs', exact: true }).waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('Japanese by default for a Japanese browser', async () => {
    const page = await newPage(browser, hrx, { locale: 'ja-JP' });
    await page.goto('/');
    assert.equal(await page.locator('#login-view h2').innerText(), 'ログイン');
    assert.equal(await page.getByLabel('言語').inputValue(), 'ja');
    await page.context().close();
  });
});

describe('users and tokens', () => {
  test('add a user, see an API error next to its field, edit and disable the user', async () => {
    const page = await newPage(browser, hrx);
    await login(page, hrx);
    await page.getByRole('navigation').getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
    const form = page.locator('#user-form');
    const email = `${unique('u')}@example.com`;
    await form.getByLabel('Name').fill('Hanako Browser');
    await form.getByLabel('Email').fill(email);
    await form.getByRole('button', { name: 'Add user' }).click();
    const rowOf = (text) => page.locator('#users tr', { hasText: text });
    await rowOf(email).waitFor();
    assert.match(await rowOf(email).innerText(), /Hanako Browser/);

    // the same email again: 409 conflict naming "email", shown by that field
    await form.getByLabel('Name').fill('Someone Else');
    await form.getByLabel('Email').fill(email);
    await form.getByRole('button', { name: 'Add user' }).click();
    const err = form.locator('[data-error-for="email"]');
    await err.filter({ hasText: /./ }).waitFor();
    assert.equal(await form.getByLabel('Email').getAttribute('aria-invalid'), 'true');
    assert.equal(await form.locator('.form-error').innerText(), '');

    // a short password: 400 naming "password"
    await form.getByLabel('Email').fill(`${unique('p')}@example.com`);
    await form.getByLabel('Password').fill('short');
    await form.getByRole('button', { name: 'Add user' }).click();
    await form.locator('[data-error-for="password"]').filter({ hasText: /./ }).waitFor();

    // edit: rename and disable
    await rowOf(email).getByRole('button', { name: /Edit/ }).click();
    const edit = page.locator('#user-edit-form');
    await edit.getByLabel('Name').fill('Hanako Renamed');
    await edit.getByLabel('Status').selectOption('disabled');
    await edit.getByRole('button', { name: 'Save' }).click();
    await rowOf('Hanako Renamed').filter({ hasText: 'Disabled' }).waitFor();
    const { items } = await api.ok('GET', '/users?limit=200');
    const u = items.find((x) => x.email === email);
    assert.equal(u.name, 'Hanako Renamed');
    assert.equal(u.status, 'disabled');
    await shot(page, 'users');
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('create an API token (secret shown once) and revoke it', async () => {
    const page = await newPage(browser, hrx);
    await login(page, hrx);
    await page.goto('/#/admin/tokens');
    const name = unique('tok');
    await page.locator('#token-form').getByLabel('Token name').fill(name);
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.locator('#new-token code').waitFor();
    assert.match(await page.locator('#new-token code').innerText(), /^hrx_[A-Za-z0-9_-]{43}$/);
    const row = page.locator('tr', { hasText: name });
    await row.waitFor();
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.waitFor({ state: 'detached' });
    const { items } = await api.ok('GET', '/tokens');
    assert.equal(items.some((x) => x.name === name), false);
    await page.context().close();
  });

  test('names from the server are shown as text, never as HTML (UI-4)', async () => {
    const evil = '<img src=x onerror="window.__xss=1">';
    const email = `${unique('x')}@example.com`;
    await api.ok('POST', '/users', { name: evil, email });
    const page = await newPage(browser, hrx);
    await login(page, hrx);
    await page.goto('/#/admin/users');
    const cell = page.locator('#users td', { hasText: evil });
    await cell.waitFor();
    assert.equal(await cell.innerText(), evil);
    assert.equal(await page.locator('#users img').count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    await page.context().close();
  });
});

describe('phone width', () => {
  test('the sidebar is a drawer behind the menu button and nothing overflows', async () => {
    const page = await newPage(browser, hrx, { viewport: { width: 390, height: 844 } });
    await login(page, hrx);
    const toggle = page.getByRole('button', { name: 'Menu' });
    await toggle.waitFor();
    const inView = async () => {
      const box = await page.locator('#sidebar').boundingBox();
      return box && box.x + box.width > 10;
    };
    await page.waitForTimeout(250);
    assert.equal(await inView(), false, 'sidebar should start closed');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await toggle.click();
    await page.waitForTimeout(250);
    assert.equal(await inView(), true);
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await page.getByRole('navigation').getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
    await page.waitForTimeout(250);
    assert.equal(await inView(), false, 'following a link closes the drawer');
    for (const r of ['#/admin/users', '#/candidates', '#/templates/new', '#/admin/roles', '#/bulk-actions',
                     '#/bulk-actions/new', '#/settings/mail']) {
      await page.goto(`/${r}`);
      await page.locator('#screen h2').first().waitFor();
      await page.waitForTimeout(200);
      const [sw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      assert.ok(sw <= iw, `${r}: page is ${sw}px wide in a ${iw}px window`);
    }
    await page.goto('/#/candidates');
    await page.locator('#search-builder').waitFor();
    await shot(page, 'phone-candidates');
    await page.context().close();
  });
});
