// The "Areas" mode: a gap view for analysts. A choropleth of one measure by ward, MSOA or LSOA
// (from /collections/areas-<level>/items, the same figures as /areas/<level>/summary.csv), with
// a legend, a name on every area where it fits, a sortable table of the same figures (the
// accessible form: colour is never the only signal) and a link that downloads exactly what is
// shown as CSV. An area is picked on the map (hover or click) or from the table (its "show on the
// map" button, by keyboard too); its name and figures show in a card over the map.
//
// Hooks: app.js adds `areas: areasMode({ ... })` to MODES; index.html has the radio in
// #mode-switch, the #areas-panel and #areas-figures sections and the #areas-card on the map.

import { esc } from './render.js';
import { labelPoint } from './map.js';
import { drawTextLabel } from './symbols.js';

// The levels offered, in this order; their labels come from the place served (its collections'
// titles, e.g. "Electoral wards (2023)"), these are the fall-backs.
const LEVELS = [
  { slug: 'ward', label: 'Wards', plural: 'wards' },
  { slug: 'msoa', label: 'MSOAs', plural: 'MSOAs' },
  { slug: 'lsoa', label: 'LSOAs', plural: 'LSOAs' },
  { slug: 'la', label: 'Local authorities', plural: 'local authorities' },
];

// Each measure: its label, the property it reads (given the chosen kind or null for all kinds),
// how to show a value, and whether it needs one kind of asset.
const MEASURES = [
  { slug: 'per_1000', label: 'Assets per 1,000 residents', prop: (c) => (c ? `per_1000_${c}` : 'per_1000_total'), fmt: (v) => v.toFixed(2) },
  { slug: 'count', label: 'Number of assets', prop: (c) => (c ? `count_${c}` : 'count_total'), fmt: (v) => String(v) },
  { slug: 'access', label: 'Share of postcodes within walking distance', prop: (c) => `access_share_${c}`, fmt: pct, needsKind: true, lowIsBad: true },
  { slug: 'median', label: 'Median distance to the nearest (m)', prop: (c) => `median_distance_m_${c}`, fmt: (v) => `${Math.round(v).toLocaleString('en-GB')} m`, needsKind: true, highIsBad: true },
  { slug: 'deserts', label: 'Kinds of asset out of walking reach (deserts)', prop: () => 'deserts', fmt: (v) => String(v), highIsBad: true },
  { slug: 'bad_health', label: 'Bad or very bad health (census 2021)', prop: () => 'bad_health_share', fmt: pct, need: true },
  { slug: 'disabled', label: 'Disabled under the Equality Act (census 2021)', prop: () => 'disabled_share', fmt: pct, need: true },
  { slug: 'unpaid_care', label: 'Providing unpaid care (census 2021)', prop: () => 'unpaid_care_share', fmt: pct, need: true },
  { slug: 'no_car', label: 'Households without a car or van (census 2021)', prop: () => 'no_car_share', fmt: pct, need: true },
];

// Sequential, colour-blind safe (ColorBrewer YlGnBu 5), light = low.
const COLOURS = ['#ffffcc', '#a1dab4', '#41b6c4', '#2c7fb8', '#253494'];

function pct(v) {
  return `${(v * 100).toFixed(1)}%`;
}

/** Quantile breaks (up to 5 classes) over the finite values. */
export function breaks(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return [];
  const out = [];
  for (let i = 1; i < 5; i += 1) out.push(v[Math.min(v.length - 1, Math.floor((i * v.length) / 5))]);
  out.push(v[v.length - 1]);
  return [...new Set(out)];
}

/** Sorts features by one property: numbers (or names) ascending or descending, no figure last. */
export function sortFeatures(features, key, dir) {
  const sign = dir === 'descending' ? -1 : 1;
  const value = (f) => f.properties[key];
  return [...features].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    const xNone = x === null || x === undefined;
    const yNone = y === null || y === undefined;
    if (xNone || yNone) return xNone === yNone ? 0 : xNone ? 1 : -1;
    if (typeof x === 'number' && typeof y === 'number') return sign * (x - y);
    return sign * String(x).localeCompare(String(y), 'en-GB', { numeric: true });
  });
}

/** A long name on two lines of about equal length (at a space), so that more names fit. */
export function wrapName(name, longest = 14) {
  if (name.length <= longest || !name.includes(' ')) return name;
  let best = name;
  let bestWidth = Infinity;
  for (let i = name.indexOf(' '); i >= 0; i = name.indexOf(' ', i + 1)) {
    const width = Math.max(i, name.length - i - 1);
    if (width < bestWidth) {
      bestWidth = width;
      best = `${name.slice(0, i)}\n${name.slice(i + 1)}`;
    }
  }
  return best;
}

/** The bounding box [[w, s], [e, n]] of a Polygon or MultiPolygon. */
function bbox(geometry) {
  const polys = geometry.type === 'MultiPolygon' ? geometry.coordinates : [geometry.coordinates];
  let w = Infinity; let s = Infinity; let e = -Infinity; let n = -Infinity;
  for (const poly of polys) {
    for (const [x, y] of poly[0]) {
      w = Math.min(w, x); e = Math.max(e, x); s = Math.min(s, y); n = Math.max(n, y);
    }
  }
  return [[w, s], [e, n]];
}

function classOf(value, br) {
  if (!Number.isFinite(value)) return -1;
  const i = br.findIndex((b) => value <= b);
  return i < 0 ? br.length - 1 : i;
}

/**
 * @param {{ getMap: () => Promise<any>, showPlaces: (on: boolean) => void,
 *           vocabulary: () => Promise<any>, collections: () => Promise<any> }} deps
 *   getMap resolves to the MapLibre map once it is loaded (or null when there is no map);
 *   showPlaces hides the layers about places while areas are shaded.
 */
export function areasMode(deps) {
  const ui = {
    panel: document.getElementById('areas-panel'),
    figures: document.getElementById('areas-figures'),
    form: document.getElementById('areas-form'),
    level: document.getElementById('areas-level'),
    measure: document.getElementById('areas-measure'),
    kind: document.getElementById('areas-kind'),
    walk: document.getElementById('areas-walk'),
    legend: document.getElementById('areas-legend'),
    table: document.getElementById('areas-table'),
    status: document.getElementById('areas-status'),
    download: document.getElementById('areas-download'),
    hint: document.getElementById('areas-hint'),
    card: document.getElementById('areas-card'),
  };
  let built = false;
  let ctl = null;
  let shown = null; // the FeatureCollection on the map
  let view = null; // what is shown: { q, prop, cols, kindLabel, levelLabel, plural }
  let sort = { key: 'name', dir: 'ascending' };
  let selected = null; // the code of the area picked
  let hovered = null; // the code of the area under the pointer
  let handlers = false;

  async function build() {
    if (built) return;
    built = true;
    const listed = await deps.collections().catch(() => ({ collections: [] }));
    const title = (slug) => (listed.collections || []).find((c) => c.id === `areas-${slug}`)?.title;
    ui.level.innerHTML = LEVELS.map((l) => `<option value="${l.slug}">${esc(title(l.slug) || l.label)}</option>`).join('');
    ui.measure.innerHTML = MEASURES.map((m) => `<option value="${m.slug}">${esc(m.label)}</option>`).join('');
    const vocab = await deps.vocabulary().catch(() => ({ categories: [] }));
    ui.kind.innerHTML = '<option value="">All kinds</option>'
      + (vocab.categories || []).map((c) => `<option value="${esc(c.slug)}">${esc(c.label)}</option>`).join('');
    ui.form.addEventListener('change', () => load());
    ui.form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
    ui.table.addEventListener('click', (ev) => {
      const sortBy = ev.target.closest('button[data-sort]');
      if (sortBy) {
        const key = sortBy.dataset.sort;
        const dir = sort.key === key && sort.dir === 'ascending' ? 'descending' : 'ascending';
        sort = { key, dir };
        renderTable();
        ui.table.querySelector(`button[data-sort="${CSS.escape(key)}"]`)?.focus();
        return;
      }
      const show = ev.target.closest('button[data-code]');
      if (show) pick(show.dataset.code, { fromTable: true });
    });
    ui.card.addEventListener('click', (ev) => {
      if (ev.target.closest('#areas-card-close')) pick(null);
    });
  }

  function query() {
    const level = ui.level.value || 'ward';
    const measure = MEASURES.find((m) => m.slug === ui.measure.value) || MEASURES[0];
    const kind = ui.kind.value || null;
    const walk = Math.round(Number(ui.walk.value));
    const params = new URLSearchParams();
    if (kind) params.set('category', kind);
    if (Number.isFinite(walk) && walk >= 1 && walk <= 10000 && walk !== 800) params.set('walk_m', String(walk));
    return { level, measure, kind, walk, params };
  }

  /** The figures shown for each area, in the table and on the card: [property, label, format]. */
  function columns(q, prop) {
    const k = q.kind;
    const cols = [
      ['population', 'Residents (2024)', (v) => v.toLocaleString('en-GB')],
      [prop, q.measure.label, q.measure.fmt],
    ];
    if (!q.measure.need) {
      if (!prop.startsWith('count_')) cols.push([k ? `count_${k}` : 'count_total', 'Assets', String]);
      if (k && q.measure.slug !== 'access') cols.push([`access_share_${k}`, `Postcodes within ${q.walk} m`, pct]);
      if (k && q.measure.slug !== 'median') cols.push([`median_distance_m_${k}`, 'Median distance', (v) => `${Math.round(v).toLocaleString('en-GB')} m`]);
    }
    cols.push(['bad_health_share', 'Bad health', pct], ['no_car_share', 'No car', pct]);
    const seen = new Set();
    return cols.filter(([p]) => (seen.has(p) ? false : seen.add(p)));
  }

  async function load() {
    const q = query();
    const kindLabel = q.kind ? ui.kind.selectedOptions[0].textContent : 'all kinds';
    const levelLabel = ui.level.selectedOptions[0]?.textContent || q.level;
    const csv = `/areas/${q.level}/summary.csv${q.params.toString() ? `?${q.params}` : ''}`;
    ui.download.href = csv;
    const place = (document.title || 'assetmap').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
    ui.download.setAttribute('download', `${place}_${q.level}_assets_summary.csv`);
    if (!Number.isFinite(q.walk) || q.walk < 1 || q.walk > 10000) {
      ui.hint.textContent = 'Walking distance must be a whole number of metres from 1 to 10,000.';
      ui.hint.hidden = false;
      return;
    }
    if (q.measure.needsKind && !q.kind) {
      ui.hint.textContent = 'Choose one kind of asset for this measure.';
      ui.hint.hidden = false;
      return;
    }
    ui.hint.hidden = true;
    ctl?.abort();
    ctl = new AbortController();
    const plural = (LEVELS.find((l) => l.slug === q.level) || LEVELS[0]).plural;
    ui.status.textContent = `Loading the figures for ${plural}…`;
    let fc;
    try {
      const p = new URLSearchParams(q.params);
      p.set('limit', '1000');
      const res = await fetch(`/collections/areas-${q.level}/items?${p}`, { headers: { Accept: 'application/geo+json' }, signal: ctl.signal });
      fc = await res.json();
      if (!res.ok) throw new Error(fc.detail || `The server answered ${res.status}.`);
    } catch (e) {
      if (e.name === 'AbortError') return;
      ui.status.textContent = `The figures could not be loaded: ${e.message}`;
      return;
    }
    const prop = q.measure.prop(q.kind);
    const values = fc.features.map((f) => f.properties[prop]);
    const br = breaks(values);
    for (const f of fc.features) {
      const k = classOf(f.properties[prop], br);
      f.properties.code = String(f.properties.code);
      f.properties._class = k;
      f.properties._colour = k < 0 ? '#d9d9d9' : COLOURS[Math.round((k * (COLOURS.length - 1)) / Math.max(1, br.length - 1))];
    }
    const newLevel = view?.q.level !== q.level;
    if (newLevel) selected = null;
    if (!['name', 'code'].includes(sort.key) && !columns(q, prop).some(([key]) => key === sort.key)) sort = { key: 'name', dir: 'ascending' };
    shown = fc;
    view = { q, prop, cols: columns(q, prop), kindLabel, levelLabel, plural };
    renderLegend(q, br, kindLabel);
    renderTable();
    await draw(fc, { fit: newLevel });
    renderCard();
    ui.status.textContent = `${fc.features.length} ${plural}: ${q.measure.label}${q.measure.need ? '' : `, ${kindLabel.toLowerCase()}`}.`
      + ' Point at an area on the map, or use “Show on the map” in the table, to read its figures.';
  }

  function renderLegend(q, br, kindLabel) {
    const items = br.map((b, i) => {
      const lo = i === 0 ? null : br[i - 1];
      const colour = COLOURS[Math.round((i * (COLOURS.length - 1)) / Math.max(1, br.length - 1))];
      const text = lo === null ? `up to ${q.measure.fmt(b)}` : `over ${q.measure.fmt(lo)} to ${q.measure.fmt(b)}`;
      return `<li><span class="areas-swatch" data-colour="${colour}" aria-hidden="true"></span>${esc(text)}</li>`;
    });
    items.push('<li><span class="areas-swatch" data-colour="#d9d9d9" aria-hidden="true"></span>no figure</li>');
    ui.legend.innerHTML = `<h3 class="areas-legend__title">${esc(q.measure.label)}${q.measure.need ? '' : ` – ${esc(kindLabel)}`}</h3>`
      + `<ul class="areas-legend__list">${items.join('')}</ul>`
      + '<p class="hint">Darker is higher. Classes are fifths of the areas (quantiles).</p>';
    // Colours set through the DOM, not style attributes: the page's CSP has no 'unsafe-inline'.
    for (const sw of ui.legend.querySelectorAll('.areas-swatch[data-colour]')) sw.style.background = sw.dataset.colour;
  }

  function sortHeader(key, label) {
    const state = sort.key === key ? sort.dir : 'none';
    const next = state === 'ascending' ? 'highest first' : 'lowest first';
    return `<th scope="col" aria-sort="${state}"><button type="button" class="areas-sort" data-sort="${esc(key)}">`
      + `${esc(label)}<span class="areas-sort__arrow" aria-hidden="true">${state === 'ascending' ? '▲' : state === 'descending' ? '▼' : '↕'}</span>`
      + `<span class="visually-hidden">, sort ${key === 'name' ? (state === 'ascending' ? 'Z to A' : 'A to Z') : next}</span></button></th>`;
  }

  function renderTable() {
    if (!view) return;
    const { q, cols, kindLabel, levelLabel } = view;
    const head = sortHeader('name', 'Area') + cols.map(([key, label]) => sortHeader(key, label)).join('');
    const rows = sortFeatures(shown.features, sort.key, sort.dir).map((f) => {
      const p = f.properties;
      const cells = cols.map(([key, , fmt]) => {
        const v = p[key];
        return `<td>${v === null || v === undefined ? '–' : esc(fmt(v))}</td>`;
      }).join('');
      const picked = p.code === selected;
      return `<tr data-code="${esc(p.code)}"${picked ? ' class="is-selected"' : ''}><th scope="row">${esc(p.name)} <span class="areas-code">${esc(p.code)}</span>`
        + `<button type="button" class="link-button areas-show" data-code="${esc(p.code)}" aria-pressed="${picked}">Show on the map<span class="visually-hidden">: ${esc(p.name)}</span></button></th>${cells}</tr>`;
    }).join('');
    const caveat = q.level === 'ward'
      ? ' Ward census figures are approximate: built from LSOAs by a best fit to the 2023 wards.'
      : '';
    ui.table.innerHTML = `<p class="hint">Census shares are of residents (households for no car).${esc(caveat)} Select a column’s heading to sort by it.</p>
      <table class="areas-table">
      <caption>${esc(q.measure.label)}${q.measure.need ? '' : ` (${esc(kindLabel)})`} by ${esc(levelLabel)}</caption>
      <thead><tr>${head}</tr></thead>
      <tbody>${rows}</tbody></table>`;
  }

  /** The card over the map: the area under the pointer, else the one picked. */
  function renderCard() {
    const code = hovered ?? selected;
    const f = code && shown?.features.find((x) => x.properties.code === code);
    if (!f || !view) {
      ui.card.hidden = true;
      ui.card.innerHTML = '';
      return;
    }
    const p = f.properties;
    const value = p[view.prop];
    const ranked = shown.features.filter((x) => Number.isFinite(x.properties[view.prop]));
    const higher = ranked.filter((x) => x.properties[view.prop] > value).length;
    const rank = Number.isFinite(value)
      ? `<p class="areas-card__rank">${rankInWords(higher + 1, ranked.length)} of ${ranked.length} ${esc(view.plural)}</p>` : '';
    const rows = view.cols.map(([key, label, fmt]) => {
      const v = p[key];
      return `<div><dt>${esc(label)}</dt><dd>${v === null || v === undefined ? 'no figure' : esc(fmt(v))}</dd></div>`;
    }).join('');
    const close = code === selected && !hovered
      ? '<button type="button" class="link-button" id="areas-card-close">Clear<span class="visually-hidden"> the area picked</span></button>' : '';
    ui.card.innerHTML = `<h3 class="areas-card__name">${esc(p.name)} <span class="areas-code">${esc(p.code)}</span></h3>${rank}<dl class="areas-card__figures">${rows}</dl>${close}`;
    ui.card.hidden = false;
  }

  /** Picks an area (null clears): outlined on the map, marked in the table, its card shown. */
  async function pick(code, { fromTable = false } = {}) {
    selected = code;
    hovered = null;
    for (const tr of ui.table.querySelectorAll('tr[data-code]')) {
      const on = tr.dataset.code === code;
      tr.classList.toggle('is-selected', on);
      tr.querySelector('button[data-code]')?.setAttribute('aria-pressed', String(on));
    }
    renderCard();
    const map = await deps.getMap();
    if (!map) return;
    outline(map);
    const f = code && shown?.features.find((x) => x.properties.code === code);
    if (f && fromTable) {
      map.fitBounds(bbox(f.geometry), { padding: 80, duration: 0, maxZoom: 13 });
      document.getElementById('map-area').scrollIntoView({ block: 'nearest' });
    }
  }

  function outline(map) {
    if (!map.getLayer('jsna-areas-picked')) return;
    map.setFilter('jsna-areas-picked', ['==', ['get', 'code'], selected ?? '']);
    map.setFilter('jsna-areas-hover', ['==', ['get', 'code'], hovered ?? '']);
  }

  async function draw(fc, { fit = false } = {}) {
    const map = await deps.getMap();
    if (!map) return;
    if (fit && fc.features.length) {
      const boxes = fc.features.map((f) => bbox(f.geometry));
      map.fitBounds([
        [Math.min(...boxes.map((b) => b[0][0])), Math.min(...boxes.map((b) => b[0][1]))],
        [Math.max(...boxes.map((b) => b[1][0])), Math.max(...boxes.map((b) => b[1][1]))],
      ], { padding: 20, duration: 0 });
    }
    const labels = {
      type: 'FeatureCollection',
      features: fc.features.map((f) => ({
        type: 'Feature',
        properties: { code: f.properties.code, image: `area-label-${f.properties.code}` },
        geometry: { type: 'Point', coordinates: labelPoint(f.geometry) },
      })),
    };
    const ratio = Math.min(3, Math.max(1, Math.round(window.devicePixelRatio || 1)));
    for (const f of fc.features) {
      const id = `area-label-${f.properties.code}`;
      if (!map.hasImage(id)) map.addImage(id, drawTextLabel(wrapName(f.properties.name), { ratio, size: 11, colour: '#0b0c0c' }), { pixelRatio: ratio });
    }
    if (map.getSource('jsna-areas')) {
      map.getSource('jsna-areas').setData(fc);
      map.getSource('jsna-area-labels').setData(labels);
    } else {
      map.addSource('jsna-areas', { type: 'geojson', data: fc });
      map.addSource('jsna-area-labels', { type: 'geojson', data: labels });
      const before = map.getLayer('search-area-fill') ? 'search-area-fill' : undefined;
      map.addLayer({ id: 'jsna-areas-fill', type: 'fill', source: 'jsna-areas', paint: { 'fill-color': ['get', '_colour'], 'fill-opacity': 0.8 } }, before);
      map.addLayer({ id: 'jsna-areas-line', type: 'line', source: 'jsna-areas', paint: { 'line-color': '#333', 'line-width': 0.8 } }, before);
      map.addLayer({
        id: 'jsna-areas-hover', type: 'line', source: 'jsna-areas', filter: ['==', ['get', 'code'], ''],
        paint: { 'line-color': '#0b0c0c', 'line-width': 3 },
      }, before);
      map.addLayer({
        id: 'jsna-areas-picked', type: 'line', source: 'jsna-areas', filter: ['==', ['get', 'code'], ''],
        paint: { 'line-color': '#ffdd00', 'line-width': 4 },
      }, before);
      // Every name where it fits without overlapping another; zooming in shows the rest.
      map.addLayer({
        id: 'jsna-areas-labels', type: 'symbol', source: 'jsna-area-labels',
        layout: { 'icon-image': ['get', 'image'], 'icon-padding': 1 },
      });
    }
    if (!handlers) {
      handlers = true;
      map.on('mousemove', 'jsna-areas-fill', (ev) => {
        const code = ev.features?.[0]?.properties.code ?? null;
        if (code === hovered) return;
        hovered = code;
        map.getCanvas().style.cursor = 'pointer';
        outline(map);
        renderCard();
      });
      map.on('mouseleave', 'jsna-areas-fill', () => {
        hovered = null;
        map.getCanvas().style.cursor = '';
        outline(map);
        renderCard();
      });
      map.on('click', 'jsna-areas-fill', (ev) => {
        const code = ev.features?.[0]?.properties.code;
        if (code) pick(code === selected ? null : code);
      });
    }
    outline(map);
    deps.showPlaces(false);
    setVisible(map, true);
  }

  function setVisible(map, on) {
    for (const id of ['jsna-areas-fill', 'jsna-areas-line', 'jsna-areas-hover', 'jsna-areas-picked', 'jsna-areas-labels']) {
      if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
    }
  }

  return {
    async enter() {
      ui.panel.hidden = false;
      ui.figures.hidden = false;
      deps.showPlaces(false);
      await build();
      await load();
    },
    exit() {
      ui.panel.hidden = true;
      ui.figures.hidden = true;
      ui.card.hidden = true;
      hovered = null;
      ctl?.abort();
      deps.showPlaces(true);
      deps.getMap().then((map) => map && setVisible(map, false)).catch(() => {});
    },
    get shown() { return shown; },
    get selected() { return selected; },
    pick,
  };
}

/** "The highest", "3rd highest", "The lowest" (rank 1 is the highest of `n`). */
export function rankInWords(rank, n) {
  if (rank === 1) return 'The highest';
  if (rank === n) return 'The lowest';
  return `${ordinal(rank)} highest`;
}

/** 1st, 2nd, 3rd, 4th, … 11th, 12th, 13th, 21st. */
export function ordinal(n) {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] || 'th');
  return `${n}${suffix}`;
}
