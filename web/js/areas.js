// The "Areas" mode: a gap view for analysts. A choropleth of one measure by ward, MSOA or LSOA
// (from /collections/areas-<level>/items, the same figures as /areas/<level>/summary.csv), with
// a legend, a table of the same figures (the accessible form: colour is never the only signal)
// and a link that downloads exactly what is shown as CSV.
//
// Hooks: app.js adds `areas: areasMode({ ... })` to MODES; index.html has the radio in
// #mode-switch and the #areas-panel section. Nothing else on the page is touched.

import { esc } from './render.js';

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

function classOf(value, br) {
  if (!Number.isFinite(value)) return -1;
  const i = br.findIndex((b) => value <= b);
  return i < 0 ? br.length - 1 : i;
}

/**
 * @param {{ getMap: () => Promise<any>, vocabulary: () => Promise<any>,
 *           collections: () => Promise<any> }} deps
 *   getMap resolves to the MapLibre map once it is loaded (or null when there is no map).
 */
export function areasMode(deps) {
  const ui = {
    panel: document.getElementById('areas-panel'),
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
  };
  let built = false;
  let ctl = null;
  let shown = null; // the FeatureCollection on the map

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
      f.properties._class = k;
      f.properties._colour = k < 0 ? '#d9d9d9' : COLOURS[Math.round((k * (COLOURS.length - 1)) / Math.max(1, br.length - 1))];
    }
    shown = fc;
    renderLegend(q, br, kindLabel);
    renderTable(q, fc, prop, kindLabel, levelLabel);
    await draw(fc);
    ui.status.textContent = `${fc.features.length} ${plural}: ${q.measure.label}${q.measure.need ? '' : `, ${kindLabel.toLowerCase()}`}.`;
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

  function renderTable(q, fc, prop, kindLabel, levelLabel) {
    const k = q.kind;
    const cols = [
      ['population', 'Residents (2024)', (v) => v.toLocaleString('en-GB')],
      [prop, q.measure.label, q.measure.fmt],
    ];
    if (!q.measure.need) {
      if (!prop.startsWith('count_')) cols.push([k ? `count_${k}` : 'count_total', 'Assets', String]);
      if (k && q.measure.slug !== 'access') cols.push([`access_share_${k}`, `Postcodes within ${q.walk} m`, pct]);
      if (k && q.measure.slug !== 'median') cols.push([`median_distance_m_${k}`, 'Median distance', (v) => `${Math.round(v)} m`]);
    }
    cols.push(['bad_health_share', 'Bad health', pct], ['no_car_share', 'No car', pct]);
    const seen = new Set();
    const uniq = cols.filter(([p]) => (seen.has(p) ? false : seen.add(p)));
    const head = uniq.map(([, label]) => `<th scope="col">${esc(label)}</th>`).join('');
    const rows = fc.features.map((f) => {
      const p = f.properties;
      const cells = uniq.map(([key, , fmt]) => {
        const v = p[key];
        return `<td>${v === null || v === undefined ? '–' : esc(fmt(v))}</td>`;
      }).join('');
      return `<tr><th scope="row">${esc(p.name)} <span class="areas-code">${esc(p.code)}</span></th>${cells}</tr>`;
    }).join('');
    const caveat = q.level === 'ward'
      ? ' Ward census figures are approximate: built from LSOAs by a best fit to the 2023 wards.'
      : '';
    ui.table.innerHTML = `<p class="hint">Census shares are of residents (households for no car).${esc(caveat)}</p>
      <table class="areas-table">
      <caption>${esc(q.measure.label)}${q.measure.need ? '' : ` (${esc(kindLabel)})`} by ${esc(levelLabel)}</caption>
      <thead><tr><th scope="col">Area</th>${head}</tr></thead>
      <tbody>${rows}</tbody></table>`;
  }

  async function draw(fc) {
    const map = await deps.getMap();
    if (!map) return;
    const src = map.getSource('jsna-areas');
    if (src) {
      src.setData(fc);
    } else {
      map.addSource('jsna-areas', { type: 'geojson', data: fc });
      const before = map.getLayer('search-area-fill') ? 'search-area-fill' : undefined;
      map.addLayer({ id: 'jsna-areas-fill', type: 'fill', source: 'jsna-areas', paint: { 'fill-color': ['get', '_colour'], 'fill-opacity': 0.75 } }, before);
      map.addLayer({ id: 'jsna-areas-line', type: 'line', source: 'jsna-areas', paint: { 'line-color': '#333', 'line-width': 0.8 } }, before);
    }
    setVisible(map, true);
  }

  function setVisible(map, on) {
    for (const id of ['jsna-areas-fill', 'jsna-areas-line']) {
      if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
    }
  }

  return {
    async enter() {
      ui.panel.hidden = false;
      await build();
      await load();
    },
    exit() {
      ui.panel.hidden = true;
      ctl?.abort();
      deps.getMap().then((map) => map && setVisible(map, false)).catch(() => {});
    },
    get shown() { return shown; },
  };
}
