// How each ABCD asset type looks: a colour, a shape and a letter, so that colour is never the
// only signal. The same definitions draw the map icons (canvas) and the list/legend (SVG).

/** Shapes are SVG paths in a 24×24 box; `ty` is where the letter's centre sits. */
export const ABCD_STYLE = {
  association: { colour: '#6a2c91', letter: 'A', shape: 'circle', path: 'M12 1.5a10.5 10.5 0 1 1 0 21a10.5 10.5 0 1 1 0-21z', ty: 12.4 },
  institution: { colour: '#1d5a96', letter: 'I', shape: 'square', path: 'M2.5 2.5h19v19h-19z', ty: 12.4 },
  physical_space: { colour: '#2a6b2f', letter: 'P', shape: 'triangle', path: 'M12 1L23.5 22H.5z', ty: 15.2 },
  economy: { colour: '#9a4600', letter: 'E', shape: 'diamond', path: 'M12 .5L23.5 12L12 23.5L.5 12z', ty: 12.4 },
  culture: { colour: '#a4204f', letter: 'C', shape: 'hexagon', path: 'M12 1l10 5.5v11L12 23L2 17.5v-11z', ty: 12.4 },
};

export const FALLBACK_STYLE = { colour: '#505a5f', letter: '?', shape: 'circle', path: ABCD_STYLE.association.path, ty: 12.4 };

export const DEFAULT_ABCD_LABELS = {
  association: 'Association',
  institution: 'Institution',
  physical_space: 'Physical space',
  economy: 'Economy',
  culture: 'Culture',
};

/** Plain-words explanations of the ABCD asset types for the legend. */
export const ABCD_EXPLAIN = {
  association: 'groups and clubs',
  institution: 'public services',
  physical_space: 'parks, halls, places',
  economy: 'local businesses',
  culture: 'arts and heritage',
};

export function styleFor(type) {
  return ABCD_STYLE[type] || FALLBACK_STYLE;
}

/** An inline SVG icon (decorative: the type is always also given in text). */
export function svgIcon(type, size = 22) {
  const s = styleFor(type);
  return `<svg class="abcd-icon" width="${size}" height="${size}" viewBox="0 0 24 24" aria-hidden="true" focusable="false">`
    + `<path d="${s.path}" fill="${s.colour}" stroke="#fff" stroke-width="1.2"/>`
    + `<text x="12" y="${s.ty}" fill="#fff" font-size="11" font-weight="700" text-anchor="middle" dominant-baseline="central" font-family="system-ui, sans-serif">${s.letter}</text></svg>`;
}

const FONT = '700 {px}px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';

function canvas(w, h) {
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  return c;
}

/** Map icon for a type, drawn at `ratio` device pixels per CSS pixel. Returns ImageData. */
export function drawTypeIcon(type, { ratio = 2, size = 22, selected = false } = {}) {
  const s = styleFor(type);
  const pad = selected ? 5 : 2;
  const px = (size + pad * 2) * ratio;
  const c = canvas(px, px);
  const g = c.getContext('2d');
  g.scale(ratio, ratio);
  g.translate(pad, pad);
  const k = size / 24;
  g.scale(k, k);
  const p = new Path2D(s.path);
  if (selected) {
    g.lineWidth = 7;
    g.strokeStyle = '#0b0c0c';
    g.stroke(p);
    g.lineWidth = 4;
    g.strokeStyle = '#ffdd00';
    g.stroke(p);
  }
  g.fillStyle = s.colour;
  g.fill(p);
  g.lineWidth = 1.6;
  g.strokeStyle = '#ffffff';
  g.stroke(p);
  g.fillStyle = '#ffffff';
  g.font = FONT.replace('{px}', '12');
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillText(s.letter, 12, s.ty + 0.5);
  return g.getImageData(0, 0, px, px);
}

/** Cluster bubble showing how many places it stands for. */
export function drawClusterIcon(label, { ratio = 2 } = {}) {
  const text = String(label);
  const d = text.length <= 2 ? 30 : text.length === 3 ? 36 : 42;
  const px = (d + 4) * ratio;
  const c = canvas(px, px);
  const g = c.getContext('2d');
  g.scale(ratio, ratio);
  const r = d / 2;
  g.beginPath();
  g.arc(r + 2, r + 2, r, 0, Math.PI * 2);
  g.fillStyle = '#0b3d45';
  g.fill();
  g.lineWidth = 3;
  g.strokeStyle = '#ffffff';
  g.stroke();
  g.fillStyle = '#ffffff';
  g.font = FONT.replace('{px}', text.length > 3 ? '12' : '13');
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillText(text, r + 2, r + 2.5);
  return g.getImageData(0, 0, px, px);
}

/** A name label: dark text with a white halo, no background; a "\n" starts a new line. */
export function drawTextLabel(text, { ratio = 2, size = 12, colour = '#3b4449' } = {}) {
  const lines = String(text).split('\n');
  const probe = canvas(1, 1).getContext('2d');
  const font = `600 ${size}px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif`;
  probe.font = font;
  const w = Math.ceil(Math.max(...lines.map((l) => probe.measureText(l).width))) + 8;
  const lineH = size + 2;
  const h = lines.length * lineH + 6;
  const c = canvas(w * ratio, h * ratio);
  const g = c.getContext('2d');
  g.scale(ratio, ratio);
  g.font = font;
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.lineJoin = 'round';
  g.lineWidth = 4;
  g.strokeStyle = 'rgba(255,255,255,0.92)';
  lines.forEach((l, i) => g.strokeText(l, w / 2, 3 + lineH * (i + 0.5)));
  g.fillStyle = colour;
  lines.forEach((l, i) => g.fillText(l, w / 2, 3 + lineH * (i + 0.5)));
  return g.getImageData(0, 0, w * ratio, h * ratio);
}

/** Pin for the searched postcode. */
export function drawPlacePin({ ratio = 2 } = {}) {
  const w = 30;
  const h = 40;
  const c = canvas(w * ratio, h * ratio);
  const g = c.getContext('2d');
  g.scale(ratio, ratio);
  const p = new Path2D('M15 2C8 2 2.5 7.3 2.5 14.2 2.5 23.5 15 38 15 38s12.5-14.5 12.5-23.8C27.5 7.3 22 2 15 2z');
  g.fillStyle = '#0b0c0c';
  g.fill(p);
  g.lineWidth = 2.5;
  g.strokeStyle = '#ffffff';
  g.stroke(p);
  g.beginPath();
  g.arc(15, 14.5, 5, 0, Math.PI * 2);
  g.fillStyle = '#ffdd00';
  g.fill();
  return g.getImageData(0, 0, w * ratio, h * ratio);
}
