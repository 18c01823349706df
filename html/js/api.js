// The JSON API under /api/v1.  Mutating requests carry the CSRF token of
// the cookie session; errors become ApiError with the API's code and field.

let csrf = null;
export function setCsrf(token) { csrf = token; }

export class ApiError extends Error {
  constructor(status, e) {
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || 'error';
    this.field = e.field || null;
    this.detail = e;
  }
}

export async function api(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (csrf && method !== 'GET') headers['X-CSRF-Token'] = csrf;
  let r;
  try {
    r = await fetch('/api/v1' + path, {
      method, headers, credentials: 'same-origin', signal: opts.signal,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { code: 'network', message: e.message });
  }
  const data = r.status === 204 ? null : await r.json().catch(() => null);
  if (!r.ok) {
    const err = new ApiError(r.status, (data && data.error) || { message: r.statusText });
    if (r.status === 401 && !path.startsWith('/auth/')) {
      window.dispatchEvent(new CustomEvent('hrx:unauthorized'));
    }
    throw err;
  }
  return data;
}

// True when the server has no such endpoint yet (as opposed to a 404 for
// an id): the module answers "no such resource: <path>".
export const isMissingEndpoint = (e) =>
  e instanceof ApiError && e.status === 404 && /^no such resource:/.test(e.message);

// Every item of a paged list (up to `max`).
export async function listAll(path, max = 1000) {
  const items = [];
  let after = null;
  const sep = path.includes('?') ? '&' : '?';
  while (items.length < max) {
    const page = await api('GET', `${path}${sep}limit=200${after ? `&after=${after}` : ''}`);
    items.push(...(page.items || []));
    if (!page.next_after || !(page.items || []).length) break;
    after = page.next_after;
  }
  return items;
}

// listAll, or null when the endpoint is not there (yet) or not allowed.
export async function tryList(path, max) {
  try { return await listAll(path, max); } catch (e) {
    if (isMissingEndpoint(e) || (e instanceof ApiError && e.status === 403)) return null;
    throw e;
  }
}
