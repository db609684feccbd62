// Plain-words formatting of asset fields. Pure functions, no DOM: unit-tested under node.

const DAY_ORDER = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DAY_NAME = {
  mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday',
  fri: 'Friday', sat: 'Saturday', sun: 'Sunday',
};

/** "09:00" → minutes since midnight (0..1440). */
export function minutesOf(hhmm) {
  const [h, m] = String(hhmm).split(':').map(Number);
  return h * 60 + m;
}

/** "09:00" → "9am", "17:30" → "5:30pm", "12:00" → "midday", "00:00"/"24:00" → "midnight". */
export function timeInWords(hhmm) {
  const mins = minutesOf(hhmm);
  if (mins === 0 || mins === 1440) return 'midnight';
  if (mins === 720) return 'midday';
  const h = Math.floor(mins / 60);
  const m = mins % 60;
  const suffix = h < 12 ? 'am' : 'pm';
  const h12 = h % 12 === 0 ? 12 : h % 12;
  return m === 0 ? `${h12}${suffix}` : `${h12}:${String(m).padStart(2, '0')}${suffix}`;
}

/** One period's hours in words: "9am to 5:30pm", "7pm to 2am the next day", "All day". */
export function periodInWords(p) {
  const o = minutesOf(p.opens);
  const c = minutesOf(p.closes);
  if (o === 0 && c === 1440) return 'All day';
  const crosses = c <= o && c !== 0;
  return `${timeInWords(p.opens)} to ${timeInWords(p.closes)}${crosses ? ' the next day' : ''}`;
}

/**
 * Weekly opening times as rows of plain words, days with the same hours grouped:
 * [{days: "Monday to Friday", hours: "9am to 5:30pm"}, {days: "Saturday", hours: "Closed"}].
 * Returns {rows, byArrangement, note, unknown}.
 */
export function openingTimesInWords(ot) {
  const periods = (ot && ot.periods) || [];
  const byArrangement = Boolean(ot && ot.by_arrangement);
  const note = (ot && ot.note) || null;
  if (!periods.length) {
    return { rows: [], byArrangement, note, unknown: !byArrangement && !note };
  }
  const perDay = DAY_ORDER.map((d) => {
    const ps = periods
      .filter((p) => p.day === d)
      .sort((a, b) => minutesOf(a.opens) - minutesOf(b.opens));
    return ps.length ? ps.map(periodInWords).join(' and ') : 'Closed';
  });
  const rows = [];
  let start = 0;
  for (let i = 1; i <= 7; i += 1) {
    if (i === 7 || perDay[i] !== perDay[start]) {
      const first = DAY_NAME[DAY_ORDER[start]];
      const last = DAY_NAME[DAY_ORDER[i - 1]];
      let days = first;
      if (i - 1 === start + 1) days = `${first} and ${last}`;
      else if (i - 1 > start + 1) days = `${first} to ${last}`;
      rows.push({ days, hours: perDay[start] });
      start = i;
    }
  }
  return { rows, byArrangement, note, unknown: false };
}

/** One short sentence for the list: "Open by arrangement", "Times not known", "Mon to Fri …". */
export function openingSummary(ot) {
  const w = openingTimesInWords(ot);
  if (w.unknown) return 'Opening times not known';
  if (!w.rows.length) return w.byArrangement ? 'By arrangement' : w.note;
  const open = w.rows.filter((r) => r.hours !== 'Closed');
  const text = open.slice(0, 2).map((r) => `${r.days}: ${r.hours}`).join('; ');
  return open.length > 2 ? `${text}; more days in details` : text;
}

export const OPEN_STATUS_TEXT = {
  open: 'Open now',
  closed: 'Closed now',
  by_arrangement: 'By arrangement',
  unknown: 'Times not known',
};

/** {band:"low", detail:"£2"} → "Low cost: £2". */
export function costInWords(cost, labels = {}) {
  if (!cost || !cost.band) return 'Cost not known';
  const band = labels[cost.band] || { free: 'Free', low: 'Low cost', paid: 'Paid' }[cost.band] || cost.band;
  return cost.detail ? `${band}: ${cost.detail}` : band;
}

/** Audience age range in words, or null when everyone is welcome. */
export function ageRangeInWords(aud) {
  if (!aud) return null;
  const lo = aud.min_age;
  const hi = aud.max_age;
  const has = (v) => v !== undefined && v !== null;
  if (has(lo) && has(hi)) return `Ages ${lo} to ${hi}`;
  if (has(lo)) return `Ages ${lo} and over`;
  if (has(hi)) return `Ages up to ${hi}`;
  return null;
}

/** Metres → "350 m" / "1.2 km". */
export function distanceInWords(m) {
  if (m === undefined || m === null || Number.isNaN(m)) return null;
  if (m < 1000) return `${Math.round(m / 10) * 10} m`;
  return `${(m / 1000).toFixed(1)} km`;
}

/** Walking minutes → "About 4 minutes' walk" / "About 1 minute's walk". */
export function walkInWords(min) {
  if (min === undefined || min === null) return null;
  const n = Math.max(1, Math.round(min));
  return n === 1 ? "About 1 minute's walk" : `About ${n} minutes' walk`;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
  'September', 'October', 'November', 'December'];

/** "2024-03-14" or an RFC 3339 timestamp → "14 March 2024". */
export function dateInWords(iso) {
  if (!iso) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return iso;
  return `${Number(m[3])} ${MONTHS[Number(m[2]) - 1]} ${m[1]}`;
}

/** Months after which a record's last check is shown as old, gently. */
export const CHECK_IS_OLD_MONTHS = 12;

/**
 * When the details were last confirmed, in words, with a gentle note when that was over a
 * year before `today` (YYYY-MM-DD) or never: people can still go, but should check first.
 */
export function checkedInWords(verifiedAt, today) {
  const ask = 'worth checking with them before you go';
  if (!verifiedAt) return `Not checked yet: ${ask}`;
  const words = dateInWords(verifiedAt);
  const v = /^(\d{4})-(\d{2})-(\d{2})/.exec(verifiedAt);
  const t = /^(\d{4})-(\d{2})-(\d{2})/.exec(today || '');
  if (!v || !t) return words;
  const months = (Number(t[1]) - Number(v[1])) * 12 + (Number(t[2]) - Number(v[2]))
    - (Number(t[3]) < Number(v[3]) ? 1 : 0);
  return months >= CHECK_IS_OLD_MONTHS ? `${words}, over a year ago: ${ask}` : words;
}

const GEOCODE_TEXT = {
  source_point: 'the point given by the source',
  polygon_vertex_mean: 'the middle of the site’s boundary',
  postcode_centroid: 'the centre of its postcode (approximate)',
  manual: 'placed by hand',
};

/** How the map position was found, in words. */
export function geocodeInWords(method) {
  if (!method) return null;
  return GEOCODE_TEXT[method] || method.replace(/_/g, ' ');
}

const LANGUAGE_NAMES = {
  en: 'English', cy: 'Welsh', ur: 'Urdu', pa: 'Punjabi', pl: 'Polish', ar: 'Arabic', bn: 'Bengali',
  gu: 'Gujarati', hi: 'Hindi', so: 'Somali', zh: 'Chinese', fr: 'French', es: 'Spanish',
  ro: 'Romanian', pt: 'Portuguese', it: 'Italian', de: 'German', fa: 'Persian', ku: 'Kurdish',
  ti: 'Tigrinya', uk: 'Ukrainian', ru: 'Russian', tr: 'Turkish', bsl: 'British Sign Language',
};

/** "ur" → "Urdu"; unknown codes come back as given. */
export function languageName(code) {
  return LANGUAGE_NAMES[String(code).toLowerCase()] || code;
}

/** A phone number for a tel: link. */
export function telHref(phone) {
  return `tel:${String(phone).replace(/[^\d+]/g, '')}`;
}

/** A website as shown to people: without the scheme and trailing slash. */
export function websiteText(url) {
  return String(url).replace(/^https?:\/\//, '').replace(/\/$/, '');
}

/** Only http(s) links are made clickable. */
export function safeHref(url) {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** Number with thousands separators. */
export function count(n) {
  return Number(n).toLocaleString('en-GB');
}

/** "1 place" / "3 places". */
export function places(n) {
  return `${count(n)} ${n === 1 ? 'place' : 'places'}`;
}

/** A full UK postcode, anywhere in a string: returns {postcode, rest} or null. */
export function splitPostcode(input) {
  const re = /\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b/i;
  const m = re.exec(input || '');
  if (!m) return null;
  const postcode = `${m[1]} ${m[2]}`.toUpperCase();
  const rest = (input.slice(0, m.index) + ' ' + input.slice(m.index + m[0].length)).replace(/\s+/g, ' ').trim();
  return { postcode, rest };
}

/**
 * A word that could be the first part of a postcode ("M33", "wa14", "EC1A"), anywhere in a
 * string: returns {outward, rest} or null. Only a guess (U3A has the same shape): the page asks
 * the server whether the area has that district before taking it as a place.
 */
export function splitOutwardCode(input) {
  const m = /(^|\s)([A-Z]{1,2}[0-9][A-Z0-9]?)(?=\s|$)/i.exec(input || '');
  if (!m) return null;
  const start = m.index + m[1].length;
  const outward = m[2].toUpperCase();
  const rest = (input.slice(0, start) + ' ' + input.slice(start + m[2].length)).replace(/\s+/g, ' ').trim();
  return { outward, rest };
}

/** Great-circle distance in metres (haversine, mean Earth radius). */
export function haversine(lon1, lat1, lon2, lat2) {
  const r = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * r) / 2) ** 2
    + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** A circle on the ground as a GeoJSON polygon ring of `steps` points (lon/lat, metres). */
export function circlePolygon(lon, lat, radiusM, steps = 64) {
  const ring = [];
  const dLat = (radiusM / 6371008.8) * (180 / Math.PI);
  const dLon = dLat / Math.cos((lat * Math.PI) / 180);
  for (let i = 0; i <= steps; i += 1) {
    const t = (i / steps) * 2 * Math.PI;
    ring.push([lon + dLon * Math.cos(t), lat + dLat * Math.sin(t)]);
  }
  return { type: 'Polygon', coordinates: [ring] };
}

/* ---------- "When can they go?" ---------- */

export const WEEKDAYS = DAY_ORDER;
export { DAY_NAME };

/** What the "Evenings" and "Weekends" shortcuts mean: one moment each, said in the page's words. */
export const EVENING_TIME = '18:30';
export const WEEKEND = { day: 'sat', time: '11:00' };

/** "tue,18:30" (the fragment's form) → {day:"tue", time:"18:30"}, or null when it is not one. */
export function parseWhen(v) {
  const m = /^(mon|tue|wed|thu|fri|sat|sun),([01]\d|2[0-3]):([0-5]\d)$/.exec(String(v || '').trim().toLowerCase());
  return m ? { day: m[1], time: `${m[2]}:${m[3]}` } : null;
}

/** {day:"tue", time:"18:30"} → "Tuesday at 6:30pm"; "now" → "now". */
export function whenInWords(when) {
  if (when === 'now') return 'now';
  if (!when) return '';
  return `${DAY_NAME[when.day]} at ${timeInWords(when.time)}`;
}

/** Today's date and weekday in UK time: {date:"2026-12-05", day:"sat"}. */
export function ukToday(now = new Date()) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short',
  }).formatToParts(now).map((p) => [p.type, p.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, day: parts.weekday.slice(0, 3).toLowerCase() };
}

/**
 * The `open_at` to send /search for a day of the week and a time: that day's next date in UK
 * time (today when it is that day), e.g. "2026-12-08T18:30". /search looks only at the day of
 * the week and the time, so any week gives the same list.
 */
export function openAtFor(when, now = new Date()) {
  const today = ukToday(now);
  const ahead = (DAY_ORDER.indexOf(when.day) - DAY_ORDER.indexOf(today.day) + 7) % 7;
  const [y, m, d] = today.date.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + ahead));
  return `${t.toISOString().slice(0, 10)}T${when.time}`;
}

/* ---------- directions ---------- */

/** Degrees for a link: at most 6 decimals (about 10 cm), no trailing zeros. */
function coord(v) {
  return String(Number(Number(v).toFixed(6)));
}

/**
 * Links that open directions to a place in the person's own maps: a geo: URI (phones open
 * their maps app) and OpenStreetMap's directions page. Nothing in them says who asked.
 */
export function directionsLinks(lat, lon, name) {
  const at = `${coord(lat)},${coord(lon)}`;
  const label = String(name || '').replace(/[()]/g, ' ').replace(/\s+/g, ' ').trim();
  return {
    geo: `geo:${at}?q=${at}${label ? `(${encodeURIComponent(label)})` : ''}`,
    osm: `https://www.openstreetmap.org/directions?to=${at}`,
  };
}
