// The three string tables have the same keys, and every key the screens
// use exists (no browser needed).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TOP } from './lib.mjs';

const HTML = join(TOP, 'html');
const load = async (l) => (await import(join(HTML, 'i18n', `${l}.js`))).default;

test('ja, en and fr have the same keys and no empty string', async () => {
  const [en, ja, fr] = await Promise.all(['en', 'ja', 'fr'].map(load));
  const keys = Object.keys(en).sort();
  assert.deepEqual(Object.keys(ja).sort(), keys);
  assert.deepEqual(Object.keys(fr).sort(), keys);
  for (const [name, d] of Object.entries({ en, ja, fr })) {
    for (const [k, v] of Object.entries(d)) assert.ok(typeof v === 'string' && v.length, `${name} ${k}`);
  }
});

test('every literal key used by the screens is defined', async () => {
  const en = await load('en');
  const files = ['app.js', 'index.html'];
  const walk = (dir) => {
    for (const f of readdirSync(join(HTML, dir), { withFileTypes: true })) {
      if (f.isDirectory()) walk(join(dir, f.name));
      else if (f.name.endsWith('.js')) files.push(join(dir, f.name));
    }
  };
  walk('js');
  const missing = [];
  for (const f of files) {
    const src = readFileSync(join(HTML, f), 'utf8');
    const re = /\bt\('([\w.@-]+)'|data-i18n(?:-[a-z-]+)?="([\w.@-]+)"|(?:field|button)\('([\w.@-]+)'/g;
    for (const m of src.matchAll(re)) {
      const k = m[1] || m[2] || m[3];
      if (k && !(k in en)) missing.push(`${f}: ${k}`);
    }
  }
  assert.deepEqual(missing, []);
});

test('no screen inserts markup with innerHTML / outerHTML / insertAdjacentHTML', () => {
  const bad = [];
  const walk = (dir) => {
    for (const f of readdirSync(join(HTML, dir), { withFileTypes: true })) {
      const p = join(dir, f.name);
      if (f.isDirectory()) walk(p);
      else if (f.name.endsWith('.js')) {
        const src = readFileSync(join(HTML, p), 'utf8');
        if (/\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write/.test(src)) bad.push(p);
      }
    }
  };
  walk('.');
  assert.deepEqual(bad, []);
});

test('dates in the search builder are days in the tenant time zone', async () => {
  const m = await import(join(HTML, 'js', 'i18n.js'));
  m.setTimeZone('Asia/Tokyo');
  assert.equal(m.dateToInstant('2026-04-01'), '2026-03-31T15:00:00Z');
  assert.equal(m.dateToInstant('2026-04-01', true), '2026-04-01T14:59:59Z');
  assert.equal(m.instantToDate('2026-03-31T15:00:00Z'), '2026-04-01');
  m.setTimeZone('America/New_York');
  assert.equal(m.dateToInstant('2026-07-01'), '2026-07-01T04:00:00Z');
});

test('bulk-action times: a wall-clock minute of the tenant time zone and back', async () => {
  const m = await import(join(HTML, 'js', 'i18n.js'));
  m.setTimeZone('Asia/Tokyo');
  assert.equal(m.wallToInstant('2026-12-01', '10:30'), '2026-12-01T01:30:00Z');
  assert.equal(m.wallToInstant('2026-12-01', '00:05'), '2026-11-30T15:05:00Z');
  assert.deepEqual(m.instantToWall('2026-11-30T15:05:00Z'), { date: '2026-12-01', time: '00:05' });
  assert.equal(m.wallToInstant('2026-12-01', ''), null);
  assert.equal(m.wallToInstant('', '10:00'), null);
  // daylight saving: each side of the change
  m.setTimeZone('America/New_York');
  assert.equal(m.wallToInstant('2026-03-08', '01:30'), '2026-03-08T06:30:00Z');
  assert.equal(m.wallToInstant('2026-03-08', '03:30'), '2026-03-08T07:30:00Z');
  assert.equal(m.wallToInstant('2026-07-01', '09:00'), '2026-07-01T13:00:00Z');
  assert.deepEqual(m.instantToWall('2026-07-01T13:00:00Z'), { date: '2026-07-01', time: '09:00' });
  m.setTimeZone('Europe/Paris');
  assert.equal(m.wallToInstant('2026-10-25', '12:00'), '2026-10-25T11:00:00Z');
  assert.equal(m.getTimeZone(), 'Europe/Paris');
});
