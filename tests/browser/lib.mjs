// Shared pieces of the browser tests: a real hrx (serve.py), Debian's
// Chromium through playwright-core, a small API client for fixtures, and
// screenshots (HRX_SCREENSHOTS=1 writes docs/screenshots/<name>.png).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
export const TOP = join(HERE, '..', '..');
const SHOTS = process.env.HRX_SCREENSHOTS_DIR || join(TOP, 'docs', 'screenshots');
export const CHROMIUM = process.env.HRX_CHROMIUM || '/usr/bin/chromium';

// Start nginx + scheduler; resolves to {base, email, password, stop()}.
export function startHrx() {
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/python3', [join(HERE, 'serve.py')], {
      cwd: TOP, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d) => { stderr += d; });
    const rl = createInterface({ input: p.stdout });
    const timer = setTimeout(() => { p.kill(); reject(new Error(`hrx did not start: ${stderr}`)); }, 60000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve.py exited ${code}: ${stderr}`));
    });
    rl.once('line', (line) => {
      clearTimeout(timer);
      const info = JSON.parse(line);
      info.stop = () => new Promise((res) => {
        p.removeAllListeners('exit');
        p.on('exit', (code) => res({ code, stderr }));
        p.stdin.end();
      });
      resolve(info);
    });
  });
}

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A new page; console errors and uncaught exceptions are collected in
// page.problems so a test can assert the screens ran cleanly.
export async function newPage(browser, hrx, opts = {}) {
  const context = await browser.newContext({
    baseURL: hrx.base, locale: opts.locale || 'en-US',
    viewport: opts.viewport || { width: 1280, height: 860 },
  });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // a failing fetch logs "Failed to load resource" for 4xx answers the
    // screens handle themselves; everything else at error level counts
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) page.problems.push(m.text());
  });
  page.on('dialog', (d) => d.accept());
  page.setDefaultTimeout(opts.timeout || 10000);
  return page;
}

export async function login(page, hrx) {
  await page.goto('/');
  await page.locator('#login-email').fill(hrx.email);
  await page.locator('#login-password').fill(hrx.password);
  await page.locator('#login-form button[type=submit]').click();
  await page.locator('#sidebar').waitFor({ state: 'visible' });
}

export async function shot(page, name, opts = {}) {
  if (process.env.HRX_SCREENSHOTS !== '1') return;
  mkdirSync(SHOTS, { recursive: true });
  await page.evaluate(() => { if (document.activeElement) document.activeElement.blur(); window.scrollTo(0, 0); });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: opts.fullPage ?? true });
}

// Signed-in API client (cookie session + CSRF), for fixtures and checks.
export async function apiClient(hrx) {
  const r = await fetch(`${hrx.base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: hrx.email, password: hrx.password }),
  });
  if (!r.ok) throw new Error(`login: ${r.status} ${await r.text()}`);
  const cookie = r.headers.get('set-cookie').split(';')[0];
  const { csrf_token: csrf } = await r.json();
  const call = async (method, path, body) => {
    const res = await fetch(`${hrx.base}/api/v1${path}`, {
      method,
      headers: { Cookie: cookie, 'X-CSRF-Token': csrf,
                 ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = text; }
    return { status: res.status, data };
  };
  return {
    call,
    async ok(method, path, body) {
      const r2 = await call(method, path, body);
      if (r2.status >= 300) throw new Error(`${method} ${path}: ${r2.status} ${JSON.stringify(r2.data)}`);
      return r2.data;
    },
    // The endpoints a test needs that the server does not have yet: the
    // module answers 404 "no such resource" for a path it does not route.
    async missing(...reqs) {
      const out = [];
      for (const spec of reqs) {
        const [method, path, body] = spec.split(' ').length > 1 ? [...spec.split(' '), {}] : ['GET', spec];
        const r2 = await call(method, path, method === 'GET' ? undefined : body);
        if (r2.status === 404 && /no such resource:/.test(JSON.stringify(r2.data))) out.push(`${method} ${path}`);
      }
      return out;
    },
  };
}

// Skip a test whose endpoints are not there yet (HRX_BROWSER_STRICT=1
// makes that a failure instead).
export async function needs(t, client, ...reqs) {
  const missing = await client.missing(...reqs);
  if (!missing.length) return false;
  const msg = `waits on ${missing.join(', ')}`;
  if (process.env.HRX_BROWSER_STRICT === '1') throw new Error(msg);
  t.skip(msg);
  return true;
}

export const unique = (p) => `${p}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

// Write to the server's database directly, for state no API makes (a
// bulk action's T moved into the past so the scheduler runs it now, as
// tests/integration/bulk.py's make_due does).  SQLite's WAL and busy
// timeout let this run beside the scheduler.
export function dbWrite(hrx, sql, args = []) {
  execFileSync('/usr/bin/python3', ['-c', [
    'import json, sqlite3, sys',
    'con = sqlite3.connect(sys.argv[1], timeout=10)',
    'with con:',
    '    n = con.execute(sys.argv[2], json.loads(sys.argv[3])).rowcount',
    'con.close()',
    'print(n)',
  ].join('\n'), join(hrx.data, 'hrx.db'), sql, JSON.stringify(args)], { encoding: 'utf8' });
}

// Poll fn until it returns something truthy.
export async function waitFor(fn, { timeout = 30000, interval = 200, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, interval));
  }
}
