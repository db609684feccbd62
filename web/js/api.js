// Calls to the assetmap HTTP API. Errors come back as ApiError carrying the problem+json detail,
// which is written for people and shown as it is.

export class ApiError extends Error {
  constructor(status, title, detail, invalidParams = [], retryAfter = null) {
    super(detail || title || `Request failed (${status})`);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.invalidParams = invalidParams;
    this.retryAfter = retryAfter; // seconds, from Retry-After (a 429 or 503), when given
  }
}

async function getJson(url, { signal, fresh = false } = {}) {
  let res;
  try {
    res = await fetch(url, { headers: { Accept: 'application/json, application/geo+json' }, signal, cache: fresh ? 'no-store' : 'default' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'Network error', 'The map service could not be reached. Check your connection and try again.');
  }
  const type = res.headers.get('content-type') || '';
  if (!res.ok) {
    if (type.includes('json')) {
      const p = await res.json().catch(() => ({}));
      throw new ApiError(res.status, p.title, p.detail || p.title, p.invalid_params || []);
    }
    throw new ApiError(res.status, res.statusText, `The map service answered ${res.status} ${res.statusText}.`);
  }
  return res.json();
}

function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) continue;
    u.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}

/**
 * A request that may change something, for the editing page: the session cookie goes along
 * (same origin only) and, for unsafe methods, the X-CSRF-Token the sign-in gave. Resolves to
 * {status, data, etag}; refusals throw ApiError (with `invalidParams` for field errors).
 */
export async function send(method, url, { body, csrf, ifMatch } = {}) {
  const headers = { Accept: 'application/json, application/geo+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (csrf && method !== 'GET') headers['X-CSRF-Token'] = csrf;
  if (ifMatch !== undefined && ifMatch !== null) headers['If-Match'] = `"${ifMatch}"`;
  let res;
  try {
    res = await fetch(url, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'Network error', 'The map service could not be reached. Check your connection and try again.');
  }
  const type = res.headers.get('content-type') || '';
  const data = res.status === 204 ? null : (type.includes('json') ? await res.json().catch(() => null) : null);
  if (!res.ok) {
    const p = data || {};
    const retry = Number(res.headers.get('retry-after'));
    throw new ApiError(res.status, p.title || res.statusText, p.detail || p.title || `The map service answered ${res.status} ${res.statusText}.`,
      p.invalid_params || [], Number.isFinite(retry) && retry > 0 ? retry : null);
  }
  const etag = (res.headers.get('etag') || '').replace(/^W\//, '').replace(/"/g, '');
  return { status: res.status, data, etag: etag || null };
}

export const api = {
  config: () => getJson('/config.json'),
  vocabulary: () => getJson('/vocabulary'),
  collections: () => getJson('/collections'),
  wards: () => getJson('/collections/areas-ward/items?f=json&limit=100'),
  mapPoints: (category, opts) => getJson(`/map/points${qs({ category })}`, opts),
  items: (params, opts) => getJson(`/collections/assets/items${qs({ f: 'json', ...params })}`, opts),
  asset: (id, opts) => getJson(`/collections/assets/items/${encodeURIComponent(id)}?f=json`, opts),
  geocode: (postcode, opts) => getJson(`/geocode${qs({ postcode })}`, opts),
  search: (params, opts) => getJson(`/search${qs(params)}`, opts),
  shortlistUrl: (ids, postcode) => `/shortlist${qs({ ids, postcode })}`,
};
