// The map page: search, filters, results list, detail and shortlist, with the map beside them.
// Plain ES modules, no build step. MapLibre GL JS is loaded by a classic <script> (vendored).

import { api, ApiError } from './js/api.js';
import { areasMode } from './js/areas.js';
import { MapView, webglAvailable } from './js/map.js';
import { detailHtml, esc, labels, resultItem, setVocabulary, typeLabel, updateShortlistButton } from './js/render.js';
import { Shortlist } from './js/shortlist.js';
import {
  emptyState, filterCount, isNarrowed, moreFilterCount, roundView, searchFilters, stateFromUrl, urlFromState, DEFAULT_WALK,
} from './js/state.js';
import { ABCD_EXPLAIN, ABCD_STYLE, DEFAULT_ABCD_LABELS, svgIcon } from './js/symbols.js';
import { count, haversine, places, splitOutwardCode, splitPostcode, ukToday, whenInWords, EVENING_TIME, WEEKEND } from './js/format.js';
import { splitByRecord } from './js/match.js';
import { createEditing } from './js/editing.js';
import { createReview } from './js/review.js';
import { createSuggest } from './js/suggest.js';

const $ = (id) => document.getElementById(id);
const PAGE_SIZE = 30;
const SEARCH_LIMIT = 200;
// The walking model of /search (4.8 km/h on streets 1.3 times the straight line), to draw the
// circle before the answer comes; the answer's search.radius_m then replaces it.
const WALK_METRES_PER_MINUTE = 4800 / 60 / 1.3;
const DEFAULT_BOUNDS = [-2.478, 53.357, -2.253, 53.48];
const DEFAULT_WHEN_TIME = '10:00';
// Where the shortlist page finds the map search it was opened from (web/js/shortlist-page.js).
const MAP_URL_KEY = 'assetmap:map-url';

const app = {
  state: stateFromUrl(location.hash),
  config: { title: 'Community asset map', base_map_style: null, bounds: DEFAULT_BOUNDS },
  map: null,
  mapFailed: false,
  wards: null,
  place: null,
  results: [],
  known: [],
  unrecorded: [],
  shown: 0,
  resultContext: null,
  searchCtl: null,
  detailCtl: null,
  detailFeature: null,
  shortlist: new Shortlist(),
  moveTimer: null,
  snapping: false, // true while the map is moved to the view the address bar names
  vocab: null,
  editing: null,
  suggest: null,
};
window.assetmap = app; // for the browser tests and for curious people

/* ---------- view modes ---------- */

// Each view mode is a radio in #mode-switch plus an entry here. An "Areas" mode (per-area
// figures) is expected to be added the same way: `areas: { enter, exit }`.
const MODES = {
  map: {
    async enter() {
      await ensureMap();
      app.map?.resize();
    },
    exit() {},
  },
  list: {
    enter() {},
    exit() {},
  },
};
// Areas mode (web/js/areas.js): the map shows a choropleth of per-area figures.
MODES.areas = areasMode({
  getMap: async () => {
    await ensureMap();
    if (!app.map) return null;
    await app.map.ready;
    app.map.resize();
    return app.map.map;
  },
  showPlaces: (on) => app.map?.showPlaces(on),
  vocabulary: () => api.vocabulary(),
  collections: () => api.collections(),
});

async function setMode(mode, { push = true } = {}) {
  if (!MODES[mode]) mode = 'map';
  const prev = $('main').dataset.mode;
  if (prev && prev !== mode) MODES[prev]?.exit();
  app.state.mode = mode;
  $('main').dataset.mode = mode;
  for (const r of document.querySelectorAll('#mode-switch input[name=mode]')) r.checked = r.value === mode;
  if (push) pushUrl();
  await MODES[mode].enter();
}

/* ---------- URL ---------- */

function pushUrl() {
  const url = urlFromState(app.state);
  if (url !== location.hash) history.pushState(null, '', url || location.pathname);
  app.lastHash = location.hash;
}

function replaceUrl() {
  history.replaceState(null, '', urlFromState(app.state) || location.pathname);
  app.lastHash = location.hash;
}

/* ---------- alerts and status ---------- */

function showAlert(message) {
  const el = $('alert');
  el.innerHTML = `<p><strong>There is a problem.</strong> ${esc(message)}</p>`;
  el.hidden = false;
}

function hideAlert() {
  $('alert').hidden = true;
  $('alert').textContent = '';
}

function setStatus(text) {
  const el = $('results-status');
  if (el.textContent !== text) el.textContent = text;
}

/* ---------- controls ---------- */

function buildChips(categories) {
  const box = $('category-chips');
  box.querySelectorAll('label').forEach((l) => l.remove());
  for (const c of categories) {
    const lab = document.createElement('label');
    lab.className = 'chip';
    lab.innerHTML = `<input type="checkbox" name="category" value="${esc(c.slug)}"> <span>${esc(c.label)}</span>`;
    box.appendChild(lab);
  }
}

function buildLegend(abcdTypes) {
  const list = $('legend-list');
  const types = abcdTypes.length ? abcdTypes : Object.keys(ABCD_STYLE).map((slug) => ({ slug, label: DEFAULT_ABCD_LABELS[slug] }));
  list.innerHTML = types.map((t) => `<li>${svgIcon(t.slug, 20)}<span><strong>${esc(t.label)}</strong>`
    + `${ABCD_EXPLAIN[t.slug] ? `<span class="legend__explain"> – ${esc(ABCD_EXPLAIN[t.slug])}</span>` : ''}</span></li>`).join('');
}

function syncControls() {
  const s = app.state;
  $('search-input').value = [s.postcode, s.q].filter(Boolean).join(' ');
  for (const cb of document.querySelectorAll('#category-chips input')) cb.checked = s.categories.includes(cb.value);
  syncWhen();
  $('f-free').checked = s.free;
  $('f-stepfree').checked = s.stepFree;
  $('f-age').value = s.age ?? '';
  setAgeError(null);
  $('f-walk').value = String(s.walk);
  updateWalkOutput();
  updateFilterSummary();
}

/** Shows the state's "When can they go?" in its controls. */
function syncWhen() {
  const w = app.state.open;
  const kind = !w ? 'any' : w === 'now' ? 'now' : 'day';
  for (const r of document.querySelectorAll('#when input[name=when]')) r.checked = r.value === kind;
  // Until a day and time are chosen, the pickers offer today at 10am.
  $('when-day').value = kind === 'day' ? w.day : ukToday().day;
  $('when-time').value = kind === 'day' ? w.time : DEFAULT_WHEN_TIME;
  $('when-pick').hidden = kind !== 'day';
}

/** The "When can they go?" controls as a state value: null, 'now' or {day, time}. */
function readWhen() {
  const kind = document.querySelector('#when input[name=when]:checked')?.value || 'any';
  $('when-pick').hidden = kind !== 'day';
  if (kind === 'now') return 'now';
  if (kind === 'day') return { day: $('when-day').value, time: $('when-time').value };
  return null;
}

/** "Evenings" and "Weekends": one moment each (6:30pm on the chosen day or today; Saturday 11am). */
function setWhenShortcut(which) {
  const pickOpen = document.querySelector('#when input[name=when][value=day]').checked;
  const day = which === 'weekends' ? WEEKEND.day : (pickOpen ? $('when-day').value : ukToday().day);
  const time = which === 'weekends' ? WEEKEND.time : EVENING_TIME;
  app.state.open = { day, time };
  syncWhen();
  onFiltersChanged();
}

function updateWalkOutput() {
  const v = Number($('f-walk').value);
  const text = `${v} minutes`;
  $('f-walk-out').textContent = text;
  $('f-walk').setAttribute('aria-valuetext', text);
  $('f-walk-hint').textContent = app.state.postcode
    ? `From ${app.state.postcode}.`
    : 'Used when you search a postcode.';
  $('search-hint').textContent = app.state.postcode
    ? `Words you add search near ${app.state.postcode}. To search the whole map, empty the box and press Search.`
    : 'For example “M33 7XY”, “gardening” or “M33 7XY singing”.';
}

function updateFilterSummary() {
  const n = moreFilterCount(app.state);
  $('filters-summary').textContent = n ? `(${n} on)` : '';
}

function setAgeError(message) {
  const input = $('f-age');
  let err = $('f-age-error');
  if (!message) {
    input.removeAttribute('aria-invalid');
    input.setAttribute('aria-describedby', 'f-age-hint');
    err?.remove();
    return;
  }
  if (!err) {
    err = document.createElement('p');
    err.id = 'f-age-error';
    err.className = 'field-error';
    input.insertAdjacentElement('beforebegin', err);
  }
  err.textContent = message;
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', 'f-age-error f-age-hint');
}

function readFilters() {
  const s = app.state;
  s.categories = [...document.querySelectorAll('#category-chips input:checked')].map((c) => c.value);
  s.open = readWhen();
  s.free = $('f-free').checked;
  s.stepFree = $('f-stepfree').checked;
  s.walk = Number($('f-walk').value) || DEFAULT_WALK;
  const raw = $('f-age').value.trim();
  if (raw === '') {
    s.age = null;
    setAgeError(null);
  } else if (/^\d{1,3}$/.test(raw) && Number(raw) <= 120) {
    s.age = Number(raw);
    setAgeError(null);
  } else {
    setAgeError('Enter an age in whole years, for example 72.');
    return false;
  }
  return true;
}

function onFiltersChanged() {
  if (!readFilters()) return;
  $('unrecorded').open = false;
  app.state.asset = null;
  updateFilterSummary();
  pushUrl();
  app.map?.setTilesUrl(tilesUrl());
  closeDetail({ push: false, focus: false });
  refresh();
}

/** The map's vector tiles, narrowed to the chosen kinds of activity. */
function tilesUrl() {
  const c = app.state.categories;
  const tiles = '/collections/assets/tiles/WebMercatorQuad/{z}/{y}/{x}';
  return c.length ? `${tiles}?category=${c.map(encodeURIComponent).join(',')}` : tiles;
}

/* ---------- map ---------- */

async function ensureMap() {
  if (app.map || app.mapFailed) return;
  if (!webglAvailable()) {
    app.mapFailed = true;
    document.body.classList.add('map-failed');
    const msg = $('map-message');
    msg.textContent = 'The map cannot be shown in this browser. All the places are in the list.';
    msg.hidden = false;
    return;
  }
  const view = new MapView($('map'), {
    bounds: app.config.bounds || DEFAULT_BOUNDS,
    baseMapStyle: app.config.base_map_style || null,
    // While a suggestion's pin is being placed, a click on the map puts it there.
    onSelect: (id) => { if (!app.suggest?.placing) openDetail(id); },
    onMove: onMapMove,
    onStatus: (t) => { $('map-note').textContent = t; },
    // On a phone or a narrow window the page scrolls past the map with one finger (two move it).
    cooperativeGestures: window.matchMedia('(pointer: coarse), (max-width: 899px)').matches,
  });
  app.map = view;
  if (!app.wards) {
    app.wards = await api.wards().catch(() => ({ type: 'FeatureCollection', features: [] }));
  }
  view.setTilesUrl(tilesUrl());
  await view.init(app.wards);
  if (app.state.view && !app.state.postcode) view.jumpTo(app.state.view);
  if (app.place) view.setSearchArea(app.place, app.state.walk * WALK_METRES_PER_MINUTE);
  view.setResults(app.results, isNarrowed(app.state));
  if (app.detailFeature) view.select(app.detailFeature);
  installMapHover(view);
  // The list now follows the map view.
  if (!app.state.postcode) refresh();
  document.body.classList.add('map-ready');
}

function installMapHover(view) {
  const m = view.map;
  for (const layer of ['asset-points', 'result-points']) {
    m.on('mousemove', layer, (ev) => {
      const f = ev.features && ev.features[0];
      markListItem(f ? String(f.properties.id ?? f.id) : null, 'is-hover');
    });
    m.on('mouseleave', layer, () => markListItem(null, 'is-hover'));
  }
}

function onMapMove(view) {
  if (app.state.postcode || app.snapping) return;
  app.state.view = { lon: view.lon, lat: view.lat, zoom: view.zoom };
  replaceUrl();
  clearTimeout(app.moveTimer);
  app.moveTimer = setTimeout(() => refresh(), 250);
}

/* ---------- search ---------- */

function inBounds([w, s, e, n]) {
  return (f) => {
    const [x, y] = f.geometry.coordinates;
    return x >= w && x <= e && y >= s && y <= n;
  };
}

async function refresh({ fit = false } = {}) {
  const s = app.state;
  app.searchCtl?.abort();
  const ctl = new AbortController();
  app.searchCtl = ctl;
  const { signal } = ctl;
  $('result-list').setAttribute('aria-busy', 'true');
  document.body.classList.add('is-loading');
  const filters = searchFilters(s);
  let params;
  let context;
  let view = null;
  try {
    if (s.postcode) {
      if (!app.place || app.place.postcode.replace(/\s/g, '') !== s.postcode.replace(/\s/g, '')) {
        app.place = null;
        const g = await api.geocode(s.postcode, { signal });
        app.place = { ...g, postcode: s.postcode };
      }
      params = { ...filters, postcode: s.postcode, walk_minutes: s.walk, limit: SEARCH_LIMIT };
      context = 'postcode';
      const radius = s.walk * WALK_METRES_PER_MINUTE;
      app.map?.setSearchArea(app.place, radius);
      if (fit && app.map?.loaded) app.map.fitCircle(app.place.lon, app.place.lat, radius);
    } else {
      app.place = null;
      app.map?.setSearchArea(null);
      if (s.mode === 'map' && app.map?.loaded) {
        view = app.map.view();
        // Search exactly the view the address bar names (it is rounded to about a metre), so
        // that the link opens on this same list.
        const named = roundView(view);
        if (named.lon !== view.lon || named.lat !== view.lat || named.zoom !== view.zoom) {
          app.snapping = true;
          app.map.jumpTo(named);
          app.snapping = false;
          view = app.map.view();
        }
        params = { ...filters, lon: view.lon.toFixed(6), lat: view.lat.toFixed(6), radius: Math.min(50000, Math.ceil(view.radius)), limit: SEARCH_LIMIT };
        context = 'view';
      } else {
        const [w, so, e, n] = app.config.bounds || DEFAULT_BOUNDS;
        const lon = (w + e) / 2;
        const lat = (so + n) / 2;
        params = { ...filters, lon: lon.toFixed(6), lat: lat.toFixed(6), radius: Math.min(50000, Math.ceil(haversine(lon, lat, w, n) * 1.05)), limit: SEARCH_LIMIT };
        context = 'all';
      }
    }
    // /search keeps places whose record gives no cost or no access features at all (marked
    // not_recorded); one that lists other access features only is left out although it does
    // not say it has no step-free access: ask again without access to list those as "not
    // recorded" too (match.js).
    const unsure = s.stepFree && !app.searchMissing
      ? searchOrBrowse({ ...params, access: [] }, context, view, signal) : null;
    const fc = await searchOrBrowse(params, context, view, signal);
    const fcUnsure = unsure ? await unsure : null;
    let features = fc.features || [];
    let extra = fcUnsure?.features || [];
    if (context === 'postcode' && fc.search?.radius_m) {
      // Draw exactly the circle the server searched.
      app.searchRadius = fc.search.radius_m;
      app.map?.setSearchArea(app.place, fc.search.radius_m);
    }
    if (context !== 'postcode') {
      // Distance from the middle of the map means nothing to people: only show it from a postcode.
      const noDistance = (f) => {
        const { distance_m: _d, walk_minutes: _w, ...rest } = f.properties;
        return { ...f, properties: rest };
      };
      features = features.map(noDistance);
      extra = extra.map(noDistance);
    }
    const capped = features.length >= SEARCH_LIMIT || extra.length >= SEARCH_LIMIT;
    if (view) {
      features = features.filter(inBounds(view.bounds));
      extra = extra.filter(inBounds(view.bounds));
      // The address bar names the view searched, so that the link shows this same list.
      s.view = { lon: view.lon, lat: view.lat, zoom: view.zoom };
      if (app.lastHash === location.hash) replaceUrl();
    }
    const split = splitByRecord(features, s, extra);
    app.known = split.known;
    app.unrecorded = split.unrecorded;
    app.results = [...split.known, ...split.unrecorded];
    features = app.results;
    app.resultContext = {
      context, capped, matched: fc.numberMatched, noMatch: fc.search?.no_match || null,
      corrected: fc.search?.corrected || [],
    };
    showAgeSuggestion(fc.search?.suggested_age ?? null);
    hideAlert();
    renderResults();
    app.map?.setResults(features, isNarrowed(s));
  } catch (e) {
    if (e.name === 'AbortError') return;
    app.results = [];
    app.known = [];
    app.unrecorded = [];
    app.resultContext = { context: 'error' };
    renderResults();
    app.map?.setResults([], false);
    if (!app.place) app.map?.setSearchArea(null); // the postcode was not found: no pin, no circle
    showAlert(e instanceof ApiError ? e.message : 'Something went wrong. Please try again.');
    if (e instanceof ApiError && e.status === 404 && s.postcode) {
      setStatus(`No results: the postcode ${s.postcode} was not found.`);
    }
  } finally {
    if (app.searchCtl === ctl) {
      $('result-list').removeAttribute('aria-busy');
      document.body.classList.remove('is-loading');
    }
  }
}

/**
 * /search, or, on a server without it (the foundation release), the plain items endpoint for
 * the map view with the category filter only, nearest the middle first.
 */
async function searchOrBrowse(params, context, view, signal) {
  if (app.searchMissing && context !== 'postcode') return browseItems(params, view, signal);
  try {
    return await api.search(params, { signal });
  } catch (e) {
    const routeMissing = e instanceof ApiError && (e.status === 404 || e.status === 405) && context !== 'postcode';
    if (!routeMissing) throw e;
    app.searchMissing = true;
    return browseItems(params, view, signal);
  }
}

async function browseItems(params, view, signal) {
  const [w, s, e, n] = view ? view.bounds : (app.config.bounds || DEFAULT_BOUNDS);
  const fc = await api.items({
    bbox: [w, s, e, n].map((v) => v.toFixed(6)).join(','),
    category: params.category,
    limit: 2000,
  }, { signal });
  const lon = Number(params.lon);
  const lat = Number(params.lat);
  const d = (f) => haversine(lon, lat, f.geometry.coordinates[0], f.geometry.coordinates[1]);
  const features = fc.features.map((f) => [d(f), f]).sort((a, b) => a[0] - b[0]).map(([, f]) => f);
  return { ...fc, features: features.slice(0, SEARCH_LIMIT) };
}

/** "They mentioned an age": offers the age the words gave (/search's suggested_age) as the filter. */
function showAgeSuggestion(age) {
  const el = $('age-suggestion');
  const use = Number.isInteger(age) && app.state.age === null;
  el.hidden = !use;
  if (use) {
    $('age-suggestion-age').textContent = String(age);
    el.dataset.age = String(age);
  }
}

function describeResults() {
  const read = readAs(app.resultContext?.corrected);
  // Words that matched nothing (/search's no_match): said as "no places", where it looked and
  // what to try; the places listed are then the nearest of any kind, and the summary says so.
  if (app.resultContext?.noMatch) {
    const none = summaryOf(0, 0) + read;
    return app.known.length + app.unrecorded.length
      ? `${none} Listed instead: the nearest places of any kind.` : none;
  }
  return summaryOf(app.known.length, app.unrecorded.length) + read;
}

/** ' Read “councelling” as “counselling”.': the words /search read as another (its corrected). */
function readAs(corrected) {
  if (!corrected?.length) return '';
  return ` Read ${corrected.map((c) => `“${c.typed}” as “${c.read_as}”`).join(', ')}.`;
}

/** The one-line summary of `n` known matches and `u` places whose records do not say. */
function summaryOf(n, u) {
  const s = app.state;
  const rc = app.resultContext || {};
  const words = s.q ? ` matching “${s.q}”` : '';
  const when = s.open ? `, open ${whenInWords(s.open)}` : '';
  const others = filterCount(s) - (s.open ? 1 : 0) ? ' with your filters' : '';
  const filtered = `${when}${others}`;
  const unsure = u ? ` ${count(u)} more ${u === 1 ? 'place whose record does' : 'places whose records do'} not say: see “Not recorded” below the list.` : '';
  if (rc.context === 'error') return 'No results.';
  // Words that looked like the first part of a postcode the area does not have: say so.
  const miss = app.outwardMiss ? ` ${app.outwardMiss}` : '';
  if (rc.context === 'postcode') {
    const district = app.place?.district
      ? ` ${s.postcode} is only the first part of a postcode: add the rest for distances from the person’s own street.` : '';
    const from = app.place?.district ? `the middle of the ${s.postcode} postcode district` : s.postcode;
    const where = `within a ${s.walk}-minute walk of ${from}${app.place?.ward_name ? ` (${app.place.ward_name})` : ''}`;
    if (!n) {
      const tries = [s.walk < 60 ? 'a longer walk' : null, s.q ? 'other words' : null, filterCount(s) ? 'fewer filters' : null,
        'a postcode nearby'].filter(Boolean);
      const tryText = `Try ${tries.slice(0, -1).join(', ')}${tries.length > 1 ? ' or ' : ''}${tries[tries.length - 1]}.`;
      return `No places known to match ${where}${words}${filtered}.${unsure} ${tryText}${district}${miss}`;
    }
    return `${rc.capped ? `The best ${count(n)}` : places(n)} ${where}${words}${filtered}, nearest and best matches first.${unsure}${district}`;
  }
  if (rc.context === 'view') {
    if (!n) return `No places known to match in this part of the map${words}${filtered}.${unsure} Zoom out, move the map or remove a filter.${miss}`;
    if (rc.capped) return `Showing ${places(n)} nearest the middle of the map${words}${filtered}.${unsure} Zoom in or search to see others.`;
    return `${places(n)} in this part of the map${words}${filtered}.${unsure}`;
  }
  if (!n) return `No places known to match${words}${filtered}.${unsure} Try fewer filters.${miss}`;
  return rc.capped ? `Showing ${places(n)}${words}${filtered}.${unsure} Search a postcode to see those nearest a person.` : `${places(n)}${words}${filtered}.${unsure}`;
}

function hrefFor(id) {
  return `${location.pathname}${urlFromState({ ...app.state, asset: id })}`;
}

function itemHtml(f, index) {
  return resultItem(f, { href: hrefFor(f.id), inShortlist: app.shortlist.has(f.id), index, state: app.state });
}

function renderResults() {
  const list = $('result-list');
  app.shown = Math.min(PAGE_SIZE, app.known.length);
  list.innerHTML = app.known.slice(0, app.shown).map((f, i) => itemHtml(f, i)).join('');
  $('more-button').hidden = app.shown >= app.known.length;
  // Places whose records do not say: all of them, in their own closed group after the list.
  const u = app.unrecorded;
  $('unrecorded').hidden = u.length === 0;
  $('unrecorded-count').textContent = String(u.length);
  $('unrecorded-list').innerHTML = u.map((f, i) => itemHtml(f, app.known.length + i)).join('');
  setStatus(describeResults());
  if (app.state.asset) markListItem(app.state.asset, 'is-selected');
}

function showMore() {
  const list = $('result-list');
  const from = app.shown;
  app.shown = Math.min(app.shown + PAGE_SIZE, app.known.length);
  list.insertAdjacentHTML('beforeend', app.known.slice(from, app.shown).map((f, i) => itemHtml(f, from + i)).join(''));
  $('more-button').hidden = app.shown >= app.known.length;
  list.children[from]?.querySelector('a')?.focus();
}

function markListItem(id, cls) {
  for (const el of document.querySelectorAll(`.result.${cls}`)) {
    el.classList.remove(cls);
    if (cls === 'is-selected') el.querySelector('a')?.removeAttribute('aria-current');
  }
  if (!id) return null;
  const li = [...document.querySelectorAll('.result')].find((el) => el.dataset.id === id);
  if (li) {
    li.classList.add(cls);
    if (cls === 'is-selected') li.querySelector('a')?.setAttribute('aria-current', 'true');
  }
  return li;
}

/**
 * The place in the search box: a full postcode, or the first part of one ("M33") when the area
 * has that district (asked of /geocode; otherwise it is a word, as "U3A" is). Returns
 * {postcode, rest} or null; `app.outwardMiss` keeps what the server said of a district it does
 * not have, for the summary should the words find nothing.
 */
async function placeInSearch(text) {
  app.outwardMiss = null;
  const full = splitPostcode(text);
  if (full) return full;
  const part = splitOutwardCode(text);
  if (!part) return null;
  try {
    const g = await api.geocode(part.outward);
    app.place = { ...g, postcode: part.outward };
    return { postcode: part.outward, rest: part.rest };
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) app.outwardMiss = e.message;
    return null;
  }
}

async function onSearchSubmit(ev) {
  ev.preventDefault();
  const text = $('search-input').value.trim();
  const split = await placeInSearch(text);
  // Words typed without a postcode after a postcode search stay on that postcode's walk; an
  // empty search starts again from the map.
  const keep = !split && text && app.state.postcode;
  app.state.postcode = split ? split.postcode : (keep ? app.state.postcode : null);
  app.state.q = split ? split.rest : text;
  app.state.asset = null;
  if (keep) $('search-input').value = `${app.state.postcode} ${app.state.q}`;
  $('unrecorded').open = false;
  if (!readFilters()) return;
  updateWalkOutput();
  closeDetail({ push: false, focus: false });
  pushUrl();
  refresh({ fit: true }).then(() => {
    // After a search, the summary comes into view and takes the focus (it is read out).
    if (!$('alert').hidden) {
      $('alert').focus?.();
      return;
    }
    if (app.state.mode === 'areas') return;
    scrollToResults();
    $('results-status').focus({ preventScroll: true });
  });
}

/* ---------- detail ---------- */

function findFeature(id) {
  return app.results.find((f) => f.id === id) || null;
}

function renderDetail(f) {
  const el = $('detail');
  el.innerHTML = detailHtml(f, { inShortlist: app.shortlist.has(f.id), searchedPostcode: app.state.postcode, state: app.state });
  app.editing?.decorateDetail(el, f);
  app.suggest?.decorateDetail(el, f);
}

/** Brings the results heading to the top of the side panel (wide) or the page (narrow). */
function scrollToResults() {
  const panel = document.querySelector('.sidebar');
  const h = $('results-heading');
  if (getComputedStyle(panel).display !== 'contents' && getComputedStyle(panel).overflowY === 'auto') {
    panel.scrollTop += h.getBoundingClientRect().top - panel.getBoundingClientRect().top - 8;
  } else if (h.getBoundingClientRect().top < 0 || h.getBoundingClientRect().top > window.innerHeight / 2) {
    h.scrollIntoView({ block: 'start' });
  }
}

async function openDetail(id, { push = true, focus = true, fresh = false } = {}) {
  app.editing?.leave();
  app.suggest?.leave();
  app.editing?.clearNotice(id);
  app.state.asset = id;
  if (push) pushUrl();
  app.detailCtl?.abort();
  const ctl = new AbortController();
  app.detailCtl = ctl;
  const el = $('detail');
  $('results-body').hidden = true;
  el.hidden = false;
  document.body.classList.add('has-detail');
  markListItem(id, 'is-selected');
  const known = findFeature(id);
  if (known) {
    app.detailFeature = known;
    renderDetail(known);
    app.map?.select(known);
  } else {
    el.innerHTML = '<p class="loading">Loading details…</p>';
  }
  scrollToResults();
  if (focus) (el.querySelector('#detail-name') || el).focus({ preventScroll: true });
  try {
    // Signed-in staff always see the stored version, never one the browser kept.
    const full = await api.asset(id, { signal: ctl.signal, fresh: fresh || Boolean(app.editing?.account) });
    // Keep what the search added (distance, open status, why it matched).
    const extra = known ? known.properties : {};
    const merged = {
      ...full,
      properties: {
        ...full.properties,
        distance_m: extra.distance_m,
        walk_minutes: extra.walk_minutes,
        open_status: extra.open_status,
        matched: extra.matched,
      },
    };
    if (app.state.asset !== id) return;
    app.detailFeature = merged;
    const hadFocus = el.contains(document.activeElement) ? document.activeElement.id || document.activeElement.dataset.action : null;
    renderDetail(merged);
    app.map?.select(merged);
    if (focus && (hadFocus === 'detail-name' || !known)) (el.querySelector('#detail-name') || el).focus();
  } catch (e) {
    if (e.name === 'AbortError') return;
    if (!known) {
      el.innerHTML = `<div class="detail__top"><button type="button" class="link-button detail__back" data-action="back">Back to the list</button></div>
        <p role="alert">${esc(e instanceof ApiError ? e.message : 'The details could not be loaded.')}</p>`;
    }
  }
}

function closeDetail({ push = true, focus = true } = {}) {
  app.editing?.leave();
  app.suggest?.leave();
  app.editing?.clearNotice();
  const wasOpen = !$('detail').hidden;
  const id = app.state.asset || app.detailFeature?.id;
  app.state.asset = null;
  app.detailFeature = null;
  app.detailCtl?.abort();
  $('detail').hidden = true;
  $('detail').innerHTML = '';
  $('results-body').hidden = false;
  document.body.classList.remove('has-detail');
  app.map?.select(null);
  if (push) pushUrl();
  if (!wasOpen) return;
  // Back in the list, the place just seen stays highlighted and gets the focus.
  const li = markListItem(id, 'is-selected');
  if (focus) {
    if (li) {
      li.scrollIntoView({ block: 'nearest' });
      li.querySelector('a').focus();
    } else {
      $('results-heading').focus();
    }
  }
}

/** Shows a Feature just saved (no fetch: the answer to the write is the stored version). */
function showFeature(f) {
  const i = app.results.findIndex((x) => x.id === f.id);
  if (i >= 0) {
    const old = app.results[i].properties;
    app.results[i] = { ...f, properties: { ...f.properties, distance_m: old.distance_m, walk_minutes: old.walk_minutes } };
    for (const group of [app.known, app.unrecorded]) {
      const j = group.findIndex((x) => x.id === f.id);
      if (j >= 0) group[j] = app.results[i];
    }
    const li = [...document.querySelectorAll('.result')].find((el) => el.dataset.id === f.id);
    if (li) li.outerHTML = itemHtml(app.results[i], i);
  }
  app.detailCtl?.abort();
  app.state.asset = f.id;
  pushUrl();
  app.detailFeature = f;
  $('results-body').hidden = true;
  $('detail').hidden = false;
  document.body.classList.add('has-detail');
  renderDetail(f);
  app.map?.select(f);
  markListItem(f.id, 'is-selected');
}

function setUpEditing() {
  const ensureMapMode = async () => {
    if (app.state.mode === 'areas') await setMode('map');
  };
  app.editing = createEditing({
    app,
    openDetail,
    closeDetail,
    showFeature,
    rerenderDetail: () => {
      if (!$('detail').hidden && app.detailFeature) renderDetail(app.detailFeature);
    },
    refreshPoints: () => {
      if (!app.map) return;
      app.map.setTilesUrl(tilesUrl(), { reload: true });
    },
    ensureMapMode,
    mapCenter: () => {
      const m = app.map?.map;
      if (m && app.map.loaded) {
        const c = m.getCenter();
        return [Number(c.lng.toFixed(6)), Number(c.lat.toFixed(6))];
      }
      const b = app.config.bounds || DEFAULT_BOUNDS;
      return [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
    },
    vocabulary: async () => app.vocab || (app.vocab = await api.vocabulary().catch(() => null)),
    createReview,
    leaveSuggest: () => app.suggest?.leave(),
  });
  app.suggest = createSuggest({
    app,
    ensureMapMode,
    leaveEditing: () => app.editing?.leave(),
  });
}

/* ---------- shortlist ---------- */

function renderShortlist() {
  const items = app.shortlist.items;
  const n = items.length;
  $('shortlist-count').textContent = String(n);
  $('shortlist-unit').textContent = n === 1 ? ' place' : ' places';
  $('shortlist-items').innerHTML = items.map((x) => `<li>
      <a href="${esc(hrefFor(x.id))}" data-select="${esc(x.id)}">${esc(x.name || x.id)}</a>
      <button type="button" class="link-button" data-remove="${esc(x.id)}">Remove<span class="visually-hidden"> ${esc(x.name || x.id)}</span></button>
    </li>`).join('');
  $('shortlist-empty').hidden = n > 0;
  const print = $('shortlist-print');
  print.href = api.shortlistUrl(app.shortlist.ids(), app.state.postcode);
  print.classList.toggle('is-disabled', n === 0);
  if (n === 0) print.setAttribute('aria-disabled', 'true');
  else print.removeAttribute('aria-disabled');
  $('shortlist-clear').hidden = n === 0;
  for (const btn of document.querySelectorAll('[data-shortlist]')) {
    updateShortlistButton(btn, app.shortlist.has(btn.dataset.shortlist));
  }
}

function toggleShortlistPanel(open) {
  const panel = $('shortlist-panel');
  const btn = $('shortlist-toggle');
  const show = open ?? panel.hidden;
  panel.hidden = !show;
  btn.setAttribute('aria-expanded', String(show));
  if (show) $('shortlist-heading').setAttribute('tabindex', '-1');
  if (show) $('shortlist-heading').focus();
}

/* ---------- events ---------- */

function onDocumentClick(ev) {
  const sel = ev.target.closest('[data-select]');
  if (sel && !ev.ctrlKey && !ev.metaKey && !ev.shiftKey && ev.button === 0) {
    ev.preventDefault();
    if (sel.closest('#shortlist-panel')) toggleShortlistPanel(false);
    openDetail(sel.dataset.select);
    return;
  }
  const sl = ev.target.closest('[data-shortlist]');
  if (sl) {
    const on = app.shortlist.toggle(sl.dataset.shortlist, sl.dataset.name);
    setStatus(on ? `${sl.dataset.name} added to your shortlist (${places(app.shortlist.items.length)}).`
      : `${sl.dataset.name} removed from your shortlist.`);
    return;
  }
  const rm = ev.target.closest('[data-remove]');
  if (rm) {
    const next = rm.closest('li').nextElementSibling || rm.closest('li').previousElementSibling;
    const nextId = next?.querySelector('[data-remove]')?.dataset.remove;
    app.shortlist.remove(rm.dataset.remove);
    const again = nextId && [...document.querySelectorAll('#shortlist-items [data-remove]')].find((b) => b.dataset.remove === nextId);
    (again || $('shortlist-heading')).focus();
    return;
  }
  if (ev.target.closest('[data-action=back]')) closeDetail();
  if (ev.target.closest('[data-action=show-on-map]') && app.detailFeature && app.map?.loaded) {
    const [lon, lat] = app.detailFeature.geometry.coordinates;
    app.map.map.easeTo({ center: [lon, lat], zoom: Math.max(app.map.map.getZoom(), 16), duration: 600 });
    if ($('map').getBoundingClientRect().top < 0) $('map-area').scrollIntoView({ block: 'start' });
  }
}

function onListHover(ev) {
  const li = ev.target.closest?.('.result');
  if (!app.map) return;
  if (!li) { app.map.hover(null); return; }
  app.map.hover(findFeature(li.dataset.id));
}

function wireEvents() {
  $('search-form').addEventListener('submit', onSearchSubmit);
  $('category-chips').addEventListener('change', onFiltersChanged);
  for (const id of ['f-free', 'f-stepfree']) $(id).addEventListener('change', onFiltersChanged);
  $('when').addEventListener('change', onFiltersChanged);
  $('when-evenings').addEventListener('click', () => setWhenShortcut('evenings'));
  $('when-weekends').addEventListener('click', () => setWhenShortcut('weekends'));
  $('f-age').addEventListener('change', onFiltersChanged);
  $('f-walk').addEventListener('input', updateWalkOutput);
  $('f-walk').addEventListener('change', () => {
    onFiltersChanged();
    if (app.place && app.map?.loaded) app.map.fitCircle(app.place.lon, app.place.lat, app.state.walk * WALK_METRES_PER_MINUTE);
  });
  $('filters-reset').addEventListener('click', () => {
    Object.assign(app.state, { categories: [], open: null, free: false, stepFree: false, age: null, walk: DEFAULT_WALK });
    syncControls();
    onFiltersChanged();
  });
  $('mode-switch').addEventListener('change', (ev) => {
    if (ev.target.name === 'mode') setMode(ev.target.value).then(() => refresh());
  });
  $('more-button').addEventListener('click', showMore);
  $('age-suggestion-use').addEventListener('click', () => {
    app.state.age = Number($('age-suggestion').dataset.age);
    syncControls();
    onFiltersChanged();
    $('results-status').focus();
  });
  document.addEventListener('click', onDocumentClick);
  for (const list of [$('result-list'), $('unrecorded-list')]) {
    list.addEventListener('mouseover', onListHover);
    list.addEventListener('focusin', onListHover);
    list.addEventListener('mouseleave', () => app.map?.hover(null));
    list.addEventListener('focusout', (ev) => { if (!list.contains(ev.relatedTarget)) app.map?.hover(null); });
  }
  document.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape') return;
    // A dialog closes itself on Escape; the editor keeps its form (Back or Cancel leave it).
    if (document.querySelector('dialog[open]') || app.editing?.active || app.suggest?.active) return;
    if (!$('shortlist-panel').hidden && $('shortlist-panel').contains(document.activeElement)) {
      toggleShortlistPanel(false);
      $('shortlist-toggle').focus();
    } else if (!$('detail').hidden) {
      closeDetail();
    }
  });
  $('skip-link').addEventListener('click', (ev) => {
    ev.preventDefault();
    $('results-heading').focus();
  });
  $('shortlist-toggle').addEventListener('click', () => toggleShortlistPanel());
  $('shortlist-close').addEventListener('click', () => { toggleShortlistPanel(false); $('shortlist-toggle').focus(); });
  $('shortlist-clear').addEventListener('click', () => { app.shortlist.clear(); $('shortlist-heading').focus(); });
  $('shortlist-print').addEventListener('click', (ev) => {
    if (!app.shortlist.items.length) {
      ev.preventDefault();
      return;
    }
    // The shortlist page's "Back to the map" returns to this very search (words, filters and
    // all) in this tab; a shared link has only the postcode. Kept in this tab only.
    try {
      sessionStorage.setItem(MAP_URL_KEY, `${location.pathname}${location.hash}`);
    } catch {
      // Storage refused (private mode): the link back keeps the postcode only.
    }
  });
  app.shortlist.addEventListener('change', renderShortlist);
  window.addEventListener('popstate', onPopState);
  window.addEventListener('hashchange', onPopState);
}

async function onPopState() {
  // The skip link's own fragment is not a state; nor is a state we already show.
  if (location.hash === app.lastHash || location.hash === '#results-heading') return;
  const prevPostcode = app.state.postcode;
  app.lastHash = location.hash;
  const next = stateFromUrl(location.hash);
  const modeChanged = next.mode !== app.state.mode;
  app.state = next;
  syncControls();
  app.map?.setTilesUrl(tilesUrl());
  if (modeChanged) await setMode(next.mode, { push: false });
  if (app.map?.loaded && next.view && !next.postcode) app.map.jumpTo(next.view);
  await refresh({ fit: Boolean(next.postcode && next.postcode !== prevPostcode) });
  if (next.asset) openDetail(next.asset, { push: false, focus: false });
  else closeDetail({ push: false, focus: false });
}

/* ---------- start ---------- */

async function start() {
  app.lastHash = location.hash;
  wireEvents();
  setUpEditing();
  const session = app.editing.loadSession();
  renderShortlist();
  const [config, vocab] = await Promise.all([
    api.config().catch(() => null),
    api.vocabulary().catch(() => null),
  ]);
  if (config) app.config = { ...app.config, ...config };
  if (app.config.title) {
    $('site-title').textContent = app.config.title;
    document.title = app.config.title;
  }
  if (app.config.attribution) {
    $('place-attribution').textContent = `Boundaries and postcodes: ${app.config.attribution}`;
  }
  app.vocab = vocab;
  if (vocab) setVocabulary(vocab);
  else showAlert('The list of categories could not be loaded. Search still works.');
  buildChips(vocab?.categories || []);
  buildLegend(vocab?.abcd_types || []);
  syncControls();
  // In map mode the list waits for the map, then follows its view (ensureMap refreshes).
  await setMode(app.state.mode in MODES ? app.state.mode : 'map', { push: false });
  if (!app.map?.loaded || app.state.postcode) await refresh({ fit: true });
  await session;
  if (app.state.asset) openDetail(app.state.asset, { push: false, focus: false });
  document.body.classList.add('app-ready');
}

// Wait for the (deferred, classic) MapLibre script before starting.
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();

export { app, emptyState, typeLabel, labels };
