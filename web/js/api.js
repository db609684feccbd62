// Calls to the assetmap HTTP API. Errors come back as ApiError carrying the problem+json detail,
// which is written for people and shown as it is.

export class ApiError extends Error {
  constructor(status, title, detail, invalidParams = []) {
    super(detail || title || `Request failed (${status})`);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.invalidParams = invalidParams;
  }
}

async function getJson(url, { signal } = {}) {
  let res;
  try {
    res = await fetch(url, { headers: { Accept: 'application/json, application/geo+json' }, signal });
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
