// Hash router: "#/candidates/12" → the screen module registered for
// "/candidates/:id", loaded on demand, rendered into the screen container.
const routes = [];
let container = null;
let ctx = null;
let cleanup = null;
let generation = 0;

export function route(pattern, nav, loader) {
  const keys = [];
  const re = new RegExp('^' + pattern.replace(/:(\w+)/g, (m, k) => {
    keys.push(k);
    return '([^/]+)';
  }) + '/?$');
  routes.push({ re, keys, nav, loader });
}

export const currentPath = () => (location.hash.replace(/^#/, '') || '/').split('?')[0];

export function query() {
  const q = location.hash.split('?')[1] || '';
  return new URLSearchParams(q);
}

export function navigate(path) {
  if (location.hash === '#' + path) render();
  else location.hash = path;
}

export async function render() {
  if (!container) return;
  const gen = ++generation;
  const path = currentPath();
  let match = null;
  let params = {};
  for (const r of routes) {
    const m = r.re.exec(path);
    if (m) {
      match = r;
      r.keys.forEach((k, i) => { params[k] = decodeURIComponent(m[i + 1]); });
      break;
    }
  }
  if (typeof cleanup === 'function') cleanup();
  cleanup = null;
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (match && a.dataset.nav === match.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const mod = match ? await match.loader() : await import('./screens/notfound.js');
  if (gen !== generation) return;
  const screen = document.createElement('div');
  screen.className = 'screen';
  container.replaceChildren(screen);
  const done = await mod.render(screen, params, ctx);
  if (gen !== generation) { if (typeof done === 'function') done(); return; }
  cleanup = done;
  if (ctx && ctx.afterRender) ctx.afterRender();
}

export function start(el, context) {
  container = el;
  ctx = context;
  if (!start.bound) {
    window.addEventListener('hashchange', render);
    start.bound = true;
  }
  return render();
}

export function stop() {
  if (typeof cleanup === 'function') cleanup();
  cleanup = null;
  generation++;
  if (container) container.replaceChildren();
  container = null;
}
