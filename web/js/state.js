// The page state and its URL. The state lives in the fragment (#…), which browsers never send
// to the server: a bookmarked or shared search keeps a person's postcode out of every request
// log, and the server's strict query parsing never sees it. Parameter names follow the /search
// API so a shared link reads like the request it makes: #postcode=M33+7XY&q=singing
// &category=arts_heritage&open=now&cost=free&access=step_free&age=72&walk_minutes=20&asset=…
// &mode=list&map=13/53.42/-2.32
// "When can they go?" is `open=now`, or a day of the week and a UK time: `open=tue,18:30`
// (sent to /search as open_at, that day's next date: see openAtFor in format.js).

import { openAtFor, parseWhen } from './format.js';

export const DEFAULT_WALK = 15;

export function emptyState() {
  return {
    postcode: null,
    q: '',
    categories: [],
    open: null, // null (any time), 'now', or {day: 'tue', time: '18:30'}
    free: false,
    stepFree: false,
    age: null,
    walk: DEFAULT_WALK,
    asset: null,
    mode: 'map',
    view: null,
  };
}

/** Reads a state from a fragment ("#…") or query ("?…") string; anything unknown is ignored. */
export function stateFromUrl(fragment) {
  const p = new URLSearchParams(String(fragment || '').replace(/^[#?]/, ''));
  const s = emptyState();
  s.postcode = (p.get('postcode') || '').trim().toUpperCase() || null;
  s.q = (p.get('q') || '').trim();
  s.categories = (p.get('category') || '').split(',').map((x) => x.trim()).filter(Boolean);
  s.open = p.get('open') === 'now' ? 'now' : parseWhen(p.get('open'));
  s.free = p.get('cost') === 'free';
  s.stepFree = (p.get('access') || '').split(',').includes('step_free');
  const age = Number.parseInt(p.get('age') || '', 10);
  s.age = Number.isFinite(age) && age >= 0 && age <= 120 ? age : null;
  const walk = Number.parseInt(p.get('walk_minutes') || '', 10);
  s.walk = Number.isFinite(walk) && walk >= 5 && walk <= 60 ? walk : DEFAULT_WALK;
  s.asset = p.get('asset') || null;
  s.mode = p.get('mode') || 'map';
  const m = /^(\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)$/.exec(p.get('map') || '');
  if (m) s.view = { zoom: Number(m[1]), lat: Number(m[2]), lon: Number(m[3]) };
  return s;
}

export function urlFromState(s) {
  const p = new URLSearchParams();
  if (s.postcode) p.set('postcode', s.postcode);
  if (s.q) p.set('q', s.q);
  if (s.categories.length) p.set('category', s.categories.join(','));
  if (s.open === 'now') p.set('open', 'now');
  else if (s.open) p.set('open', `${s.open.day},${s.open.time}`);
  if (s.free) p.set('cost', 'free');
  if (s.stepFree) p.set('access', 'step_free');
  if (s.age !== null) p.set('age', String(s.age));
  if (s.postcode && s.walk !== DEFAULT_WALK) p.set('walk_minutes', String(s.walk));
  if (s.asset) p.set('asset', s.asset);
  if (s.mode !== 'map') p.set('mode', s.mode);
  if (s.view && !s.postcode) p.set('map', `${s.view.zoom.toFixed(2)}/${s.view.lat.toFixed(5)}/${s.view.lon.toFixed(5)}`);
  const q = p.toString().replace(/%2C/g, ',').replace(/%2F/g, '/').replace(/%3A/g, ':');
  return q ? `#${q}` : '';
}

/** A map view as the address bar holds it: zoom to 2 decimals, latitude and longitude to 5 (about 1 m). */
export function roundView(v) {
  return { zoom: Number(v.zoom.toFixed(2)), lat: Number(v.lat.toFixed(5)), lon: Number(v.lon.toFixed(5)) };
}

/** The /search filter parameters for a state (the "where" is added by the caller). */
export function searchFilters(s, now = new Date()) {
  return {
    q: s.q || undefined,
    category: s.categories,
    open: s.open === 'now' ? 'now' : undefined,
    open_at: s.open && s.open !== 'now' ? openAtFor(s.open, now) : undefined,
    cost: s.free ? 'free' : undefined,
    access: s.stepFree ? ['step_free'] : [],
    age: s.age ?? undefined,
  };
}

/** Whether anything beyond the map view narrows the results. */
export function isNarrowed(s) {
  return Boolean(s.postcode || s.q || s.open || s.free || s.stepFree || s.age !== null);
}

/** How many filters are on (the search words and place not counted). */
export function filterCount(s) {
  return s.categories.length + [s.open, s.free, s.stepFree, s.age !== null].filter(Boolean).length;
}

/** How many of the filters inside "More filters" are on. */
export function moreFilterCount(s) {
  return s.categories.length + (s.age !== null ? 1 : 0) + (s.walk !== DEFAULT_WALK ? 1 : 0);
}
