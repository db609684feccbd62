// The map: MapLibre GL JS with no network dependencies by default. Without a configured base map
// the bundled ward boundaries are the background; ward names, cluster counts and type letters
// are drawn into canvas images (no glyph or sprite server is ever asked for).

import { drawClusterIcon, drawPlacePin, drawTextLabel, drawTypeIcon, ABCD_STYLE } from './symbols.js';
import { circlePolygon, haversine } from './format.js';

const EMPTY = { type: 'FeatureCollection', features: [] };
// The layers about places (hidden while the map shades areas).
const PLACE_LAYERS = [
  'search-area-fill', 'search-area-line', 'ward-names', 'asset-clusters', 'asset-points', 'result-points',
  'hover-ring-outer', 'hover-ring', 'place-pin', 'selected-point',
];
const BASE_STYLE_TIMEOUT_MS = 6000;

/** The style used when there is no base map: a plain background and nothing to fetch. */
function offlineStyle() {
  return {
    version: 8,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#dde6e9' } }],
  };
}

/** A tile URL template as MapLibre needs it: absolute, braces as they are. */
function tileTemplate(path) {
  return `${window.location.origin}${path}`;
}

/** Whether this browser can draw the map at all. */
export function webglAvailable() {
  if (!window.maplibregl) return false;
  try {
    const c = document.createElement('canvas');
    return Boolean(c.getContext('webgl2') || c.getContext('webgl'));
  } catch {
    return false;
  }
}

/** A point inside an area to hang its name on: the centroid of its largest ring. */
export function labelPoint(geometry) {
  const polys = geometry.type === 'MultiPolygon' ? geometry.coordinates : [geometry.coordinates];
  let best = null;
  let bestArea = -1;
  for (const poly of polys) {
    const ring = poly[0];
    let a = 0;
    let cx = 0;
    let cy = 0;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
      const f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
      a += f;
      cx += (ring[j][0] + ring[i][0]) * f;
      cy += (ring[j][1] + ring[i][1]) * f;
    }
    if (Math.abs(a) > bestArea) {
      bestArea = Math.abs(a);
      best = a === 0 ? ring[0] : [cx / (3 * a), cy / (3 * a)];
    }
  }
  return best;
}

export class MapView {
  /**
   * @param {HTMLElement} container
   * @param {{bounds:number[], baseMapStyle:string|null, onSelect:Function, onMove:Function, onStatus:Function}} opts
   */
  constructor(container, opts) {
    this.container = container;
    this.opts = opts;
    this.ratio = Math.min(3, Math.max(1, Math.round(window.devicePixelRatio || 1)));
    this.wardNames = new Map();
    this.wards = EMPTY;
    this.tilesUrl = '/collections/assets/tiles/WebMercatorQuad/{z}/{y}/{x}';
    this.results = EMPTY;
    this.searchArea = null;
    this.ready = new Promise((resolve) => { this.resolveReady = resolve; });
    this.usingBaseMap = false;
  }

  async init(wards) {
    const maplibregl = window.maplibregl;
    this.wards = wards || EMPTY;
    for (const f of this.wards.features) this.wardNames.set(String(f.properties.code), f.properties.name);
    const [w, s, e, n] = this.opts.bounds;
    const padX = (e - w) * 0.6;
    const padY = (n - s) * 0.6;
    this.map = new maplibregl.Map({
      container: this.container,
      style: this.opts.baseMapStyle || offlineStyle(),
      bounds: [[w, s], [e, n]],
      fitBoundsOptions: { padding: { top: 20, bottom: 20, left: 60, right: 60 } },
      maxBounds: [[w - padX, s - padY], [e + padX, n + padY]],
      minZoom: 8,
      maxZoom: 19,
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
      touchPitch: false,
      cooperativeGestures: Boolean(this.opts.cooperativeGestures),
      locale: {
        'NavigationControl.ZoomIn': 'Zoom in',
        'NavigationControl.ZoomOut': 'Zoom out',
        'Map.Title': 'Map',
      },
    });
    this.map.touchZoomRotate.disableRotation();
    this.map.keyboard.disableRotation();
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    this.map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
    this.map.addControl(new maplibregl.AttributionControl({
      compact: false,
      customAttribution: 'Contains National Statistics and OS data © Crown copyright and database right 2025',
    }), 'bottom-right');

    this.map.on('styleimagemissing', (ev) => this.provideImage(ev.id));

    if (this.opts.baseMapStyle) {
      this.usingBaseMap = true;
      // Never wait on a base map that cannot be reached: fall back to the offline style.
      const fallback = () => {
        if (this.loaded) return;
        this.usingBaseMap = false;
        this.opts.onStatus?.('The background map could not be loaded, so ward boundaries are shown instead.');
        this.map.setStyle(offlineStyle());
        this.map.once('style.load', () => this.onLoad());
      };
      const timer = setTimeout(fallback, BASE_STYLE_TIMEOUT_MS);
      this.map.once('error', () => { clearTimeout(timer); fallback(); });
      this.map.once('load', () => { clearTimeout(timer); this.onLoad(); });
    } else {
      this.map.once('load', () => this.onLoad());
    }
    return this.ready;
  }

  provideImage(id) {
    if (!this.map || this.map.hasImage(id)) return;
    const opts = { pixelRatio: this.ratio };
    if (id.startsWith('cluster-')) {
      this.map.addImage(id, drawClusterIcon(id.slice(8), { ratio: this.ratio }), opts);
    } else if (id.startsWith('abcd-sel-')) {
      this.map.addImage(id, drawTypeIcon(id.slice(9), { ratio: this.ratio, size: 26, selected: true }), opts);
    } else if (id.startsWith('abcd-')) {
      this.map.addImage(id, drawTypeIcon(id.slice(5), { ratio: this.ratio }), opts);
    } else if (id.startsWith('ward-')) {
      const name = this.wardNames.get(id.slice(5)) || '';
      this.map.addImage(id, drawTextLabel(name, { ratio: this.ratio }), opts);
    } else if (id === 'place-pin') {
      this.map.addImage(id, drawPlacePin({ ratio: this.ratio }), opts);
    }
  }

  onLoad() {
    if (this.loaded) return;
    this.loaded = true;
    const map = this.map;
    for (const t of Object.keys(ABCD_STYLE)) this.provideImage(`abcd-${t}`);
    this.provideImage('abcd-unknown');

    const labelPoints = {
      type: 'FeatureCollection',
      features: this.wards.features.map((f) => ({
        type: 'Feature',
        properties: { code: String(f.properties.code), name: f.properties.name },
        geometry: { type: 'Point', coordinates: labelPoint(f.geometry) },
      })),
    };
    map.addSource('wards', { type: 'geojson', data: this.wards });
    map.addSource('ward-labels', { type: 'geojson', data: labelPoints });
    map.addSource('search-area', { type: 'geojson', data: EMPTY });
    // Every place, as vector tiles from the server: clusters (with their counts) below zoom 15,
    // each place from zoom 15. The page loads only the tiles in view, so it is as quick with a
    // country's places as with a borough's.
    map.addSource('assets', {
      type: 'vector',
      tiles: [tileTemplate(this.tilesUrl)],
      minzoom: 0,
      maxzoom: 16,
    });
    map.addSource('results', { type: 'geojson', data: this.results });
    map.addSource('hover', { type: 'geojson', data: EMPTY });
    map.addSource('selected', { type: 'geojson', data: EMPTY });
    map.addSource('place', { type: 'geojson', data: EMPTY });

    const base = this.usingBaseMap;
    map.addLayer({
      id: 'ward-fill',
      type: 'fill',
      source: 'wards',
      paint: { 'fill-color': '#f7f7f2', 'fill-opacity': base ? 0.15 : 1 },
    });
    map.addLayer({
      id: 'ward-line',
      type: 'line',
      source: 'wards',
      paint: { 'line-color': '#5f6b70', 'line-width': ['interpolate', ['linear'], ['zoom'], 9, 0.6, 14, 2] },
    });
    map.addLayer({
      id: 'search-area-fill',
      type: 'fill',
      source: 'search-area',
      paint: { 'fill-color': '#0b3d45', 'fill-opacity': 0.07 },
    });
    map.addLayer({
      id: 'search-area-line',
      type: 'line',
      source: 'search-area',
      paint: { 'line-color': '#0b3d45', 'line-width': 2, 'line-dasharray': [3, 2] },
    });
    map.addLayer({
      id: 'ward-names',
      type: 'symbol',
      source: 'ward-labels',
      minzoom: 11,
      layout: { 'icon-image': ['concat', 'ward-', ['get', 'code']], 'icon-padding': 4 },
      paint: { 'icon-opacity': 0.95 },
    });
    map.addLayer({
      id: 'asset-clusters',
      type: 'symbol',
      source: 'assets',
      'source-layer': 'assets',
      filter: ['has', 'point_count'],
      // Drawn whatever overlaps them, but they keep ward names from being drawn underneath.
      layout: {
        'icon-image': ['concat', 'cluster-', ['get', 'point_count_abbreviated']],
        'icon-allow-overlap': true,
      },
    });
    map.addLayer({
      id: 'asset-points',
      type: 'symbol',
      source: 'assets',
      'source-layer': 'assets',
      filter: ['!', ['has', 'point_count']],
      layout: {
        'icon-image': ['concat', 'abcd-', ['coalesce', ['get', 'abcd_type'], 'unknown']],
        'icon-allow-overlap': true,
      },
    });
    map.addLayer({
      id: 'result-points',
      type: 'symbol',
      source: 'results',
      layout: {
        'icon-image': ['concat', 'abcd-', ['coalesce', ['get', 'abcd_type'], 'unknown']],
        'icon-allow-overlap': true,
        'icon-ignore-placement': true,
        'icon-size': 1.15,
        'symbol-sort-key': ['get', 'rank'],
      },
    });
    map.addLayer({
      id: 'hover-ring-outer',
      type: 'circle',
      source: 'hover',
      paint: { 'circle-radius': 19, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-width': 7, 'circle-stroke-color': '#0b0c0c' },
    });
    map.addLayer({
      id: 'hover-ring',
      type: 'circle',
      source: 'hover',
      paint: { 'circle-radius': 19, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-width': 4, 'circle-stroke-color': '#ffdd00' },
    });
    map.addLayer({
      id: 'place-pin',
      type: 'symbol',
      source: 'place',
      layout: { 'icon-image': 'place-pin', 'icon-anchor': 'bottom', 'icon-allow-overlap': true, 'icon-ignore-placement': true },
    });
    map.addLayer({
      id: 'selected-point',
      type: 'symbol',
      source: 'selected',
      layout: {
        'icon-image': ['concat', 'abcd-sel-', ['coalesce', ['get', 'abcd_type'], 'unknown']],
        'icon-allow-overlap': true,
        'icon-ignore-placement': true,
      },
    });
    this.applyDimming();
    if (this.placesHidden) this.showPlaces(false);

    for (const layer of ['asset-points', 'result-points', 'selected-point']) {
      map.on('click', layer, (ev) => {
        const f = ev.features && ev.features[0];
        if (f) this.opts.onSelect?.(String(f.properties.id ?? f.id), f.geometry.coordinates.slice());
      });
      map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
      map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
    }
    map.on('click', 'asset-clusters', (ev) => {
      const f = ev.features && ev.features[0];
      if (!f) return;
      // A cluster is one cell of an 8 x 8 grid on its tile: three zooms in, it is a tile.
      map.easeTo({ center: f.geometry.coordinates, zoom: Math.min(Math.floor(map.getZoom()) + 3, 16) });
    });
    map.on('error', (ev) => {
      if (ev.sourceId === 'assets') this.opts.onStatus?.('Some places could not be loaded onto the map. The list still works.');
    });
    map.on('mouseenter', 'asset-clusters', () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', 'asset-clusters', () => { map.getCanvas().style.cursor = ''; });
    map.on('moveend', () => this.opts.onMove?.(this.view()));
    this.resolveReady();
  }

  /**
   * Which places the map draws: a tile URL template of the server's vector tiles (with the
   * page's filters), e.g. `/collections/assets/tiles/WebMercatorQuad/{z}/{y}/{x}?category=food`.
   * With `reload`, tiles already drawn are fetched again (after an edit).
   */
  setTilesUrl(url, { reload = false } = {}) {
    if (url === this.tilesUrl && !reload) return;
    this.tilesUrl = url;
    if (this.loaded) this.map.getSource('assets').setTiles([tileTemplate(url)]);
  }

  /** Draws the current search results above the full layer, which is faded while they show. */
  setResults(features, active) {
    this.results = {
      type: 'FeatureCollection',
      features: active ? features.map((f, i) => ({
        type: 'Feature',
        id: f.id,
        geometry: f.geometry,
        properties: { id: f.id, name: f.properties.name, abcd_type: f.properties.abcd_type, rank: i },
      })) : [],
    };
    this.resultsActive = active;
    if (this.loaded) {
      this.map.getSource('results').setData(this.results);
      this.applyDimming();
    }
  }

  /**
   * Shows or hides everything about places: the clusters and pins, search results, the searched
   * postcode and its walking circle, the hover ring and the selection, and the ward names. The
   * Areas mode hides them so that nothing draws over its shading.
   */
  showPlaces(on) {
    this.placesHidden = !on;
    if (!this.loaded) return;
    for (const id of PLACE_LAYERS) {
      if (this.map.getLayer(id)) this.map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
    }
  }

  applyDimming() {
    // While search results show, the full layer stays as faint context behind them.
    this.map.setPaintProperty('asset-points', 'icon-opacity', this.resultsActive ? 0.25 : 1);
    this.map.setPaintProperty('asset-clusters', 'icon-opacity', this.resultsActive ? 0.3 : 1);
  }

  /** Shows the searched place and the walking circle around it; null clears them. */
  setSearchArea(place, radiusM) {
    this.searchArea = place ? { place, radiusM } : null;
    if (!this.loaded) return;
    this.map.getSource('place').setData(place ? {
      type: 'FeatureCollection',
      features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [place.lon, place.lat] } }],
    } : EMPTY);
    this.map.getSource('search-area').setData(place && radiusM ? {
      type: 'FeatureCollection',
      features: [{ type: 'Feature', properties: {}, geometry: circlePolygon(place.lon, place.lat, radiusM) }],
    } : EMPTY);
  }

  fitCircle(lon, lat, radiusM) {
    const dLat = (radiusM / 6371008.8) * (180 / Math.PI);
    const dLon = dLat / Math.cos((lat * Math.PI) / 180);
    this.map.fitBounds([[lon - dLon, lat - dLat], [lon + dLon, lat + dLat]], { padding: 30, duration: 600, maxZoom: 16 });
  }

  hover(feature) {
    if (!this.loaded) return;
    this.map.getSource('hover').setData(feature ? { type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: feature.geometry }] } : EMPTY);
  }

  /** Marks one place as selected, bringing it into view if it is off screen. */
  select(feature) {
    if (!this.loaded) return;
    this.map.getSource('selected').setData(feature ? {
      type: 'FeatureCollection',
      features: [{ type: 'Feature', id: feature.id, properties: { id: feature.id, abcd_type: feature.properties.abcd_type }, geometry: feature.geometry }],
    } : EMPTY);
    if (feature) {
      const [lon, lat] = feature.geometry.coordinates;
      const b = this.map.getBounds();
      if (!b.contains([lon, lat])) this.map.easeTo({ center: [lon, lat], zoom: Math.max(this.map.getZoom(), 14), duration: 500 });
    }
  }

  /** The visible area: its centre, a radius (m) that covers it, and its bounds [w,s,e,n]. */
  view() {
    const b = this.map.getBounds();
    const c = this.map.getCenter();
    const radius = Math.max(
      haversine(c.lng, c.lat, b.getWest(), b.getNorth()),
      haversine(c.lng, c.lat, b.getEast(), b.getSouth()),
    );
    return {
      lon: c.lng,
      lat: c.lat,
      zoom: this.map.getZoom(),
      radius,
      bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()],
    };
  }

  jumpTo(v) {
    this.map.jumpTo({ center: [v.lon, v.lat], zoom: v.zoom });
  }

  resize() {
    this.map?.resize();
  }
}
