// HTML for list items and the detail panel. Everything from the server is escaped.

import {
  ageRangeInWords, checkedInWords, costInWords, dateInWords, directionsLinks, distanceInWords, geocodeInWords,
  languageName, openingSummary, openingTimesInWords, OPEN_STATUS_TEXT, safeHref, telHref, walkInWords, websiteText,
  whenInWords,
} from './format.js';
import { listInWords, notRecorded } from './match.js';
import { svgIcon } from './symbols.js';

export function esc(v) {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

/** Labels for vocabulary slugs, filled from /vocabulary (with fallbacks). */
export const labels = {
  abcd: {},
  category: {},
  access: {},
  cost: {},
  status: {},
};

export function setVocabulary(v) {
  const put = (target, list) => { for (const t of list || []) target[t.slug] = t.label; };
  put(labels.abcd, v.abcd_types);
  put(labels.category, v.categories);
  put(labels.access, v.access_features);
  put(labels.cost, v.cost_bands);
  put(labels.status, v.statuses);
}

const label = (kind, slug) => labels[kind][slug] || String(slug).replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

export function typeLabel(slug) {
  return label('abcd', slug);
}

function typeLine(p) {
  const cats = (p.categories || []).map((c) => label('category', c));
  return [typeLabel(p.abcd_type), ...cats].map(esc).join(' · ');
}

function distanceLine(p) {
  const d = distanceInWords(p.distance_m);
  if (!d) return '';
  const w = walkInWords(p.walk_minutes);
  return w ? `${d}, ${w.charAt(0).toLowerCase()}${w.slice(1)}` : d;
}

function statusBanner(p) {
  if (!p.status || p.status === 'active') return '';
  return `<p class="status-banner status-banner--${esc(p.status)}"><strong>${esc(label('status', p.status))}.</strong> Check before you go.</p>`;
}

/** An open status from /search in words, for the time asked ("Open now", "Open Tuesday at 6:30pm"). */
export function openStatusText(status, when) {
  if (when && when !== 'now' && (status === 'open' || status === 'closed')) {
    return `${status === 'open' ? 'Open' : 'Closed'} ${whenInWords(when)}`;
  }
  return OPEN_STATUS_TEXT[status] || status;
}

function openFact(p, s) {
  return `<li class="fact fact--${esc(p.open_status)}">${esc(openStatusText(p.open_status, s?.open))}</li>`;
}

/** The short facts shown as tags: open status, cost, step-free. Never colour alone: always text. */
function facts(p, s) {
  const out = [];
  if (p.open_status) out.push(openFact(p, s));
  if (p.cost && p.cost.band === 'free') out.push('<li class="fact">Free</li>');
  else if (p.cost && p.cost.band === 'low') out.push('<li class="fact">Low cost</li>');
  if ((p.access || []).includes('step_free')) out.push('<li class="fact">Step-free</li>');
  if (p.status && p.status !== 'active') out.push(`<li class="fact fact--closed">${esc(label('status', p.status))}</li>`);
  return out.length ? `<ul class="facts" aria-label="Key facts">${out.join('')}</ul>` : '';
}

function shortlistButton(id, name, inList, extraClass = '') {
  return `<button type="button" class="shortlist-toggle ${extraClass}" data-shortlist="${esc(id)}" data-name="${esc(name)}" aria-pressed="${inList}">`
    + `<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M6 3h12a1 1 0 0 1 1 1v17l-7-4-7 4V4a1 1 0 0 1 1-1z"/></svg>`
    + `<span class="shortlist-toggle__text">${inList ? 'On shortlist' : 'Add to shortlist'}</span>`
    + `<span class="visually-hidden">: ${esc(name)}</span></button>`;
}

export function updateShortlistButton(btn, inList) {
  btn.setAttribute('aria-pressed', String(inList));
  btn.querySelector('.shortlist-toggle__text').textContent = inList ? 'On shortlist' : 'Add to shortlist';
}

/**
 * Why a place is on the list, as short phrases, from what its record says (never from what it
 * does not say): the words it matched, its categories asked for, open at the time asked, free,
 * step-free, the ages it says it suits. `s` is the page state the search was made with.
 */
export function whyParts(p, s) {
  const m = p.matched || {};
  const parts = [];
  if ((m.terms || []).length) {
    // "matches “feeling low” through mental wellbeing": how each word matched, when it was not
    // the word itself (a concept the words name, a category, or the kind of place it happens in).
    const how = (t) => {
      const x = (m.through || []).find((y) => y.term === t);
      return x && x.as && (x.via === 'concept' || x.via === 'category' || x.via === 'venue') ? `“${t}” through ${x.as.toLowerCase()}` : `“${t}”`;
    };
    parts.push(`matches ${m.terms.map(how).join(', ')}`);
  }
  for (const f of m.filters || []) {
    if (f.startsWith('category=') || f.startsWith('abcd_type=')) parts.push(filterInWords(f));
  }
  if (s && s.open) {
    const when = whenInWords(s.open);
    if (p.open_status === 'open') parts.push(`open ${when}`);
    else if (p.open_status === 'by_arrangement') parts.push('open by arrangement: ask them for a time');
  }
  if (s && s.free && p.cost && p.cost.band === 'free') parts.push('free');
  if (s && s.stepFree && (p.access || []).includes('step_free')) parts.push('step-free access');
  const ages = ageRangeInWords(p.audience);
  if (s && s.age !== null && s.age !== undefined && ages) parts.push(`suits age ${s.age} (${ages.charAt(0).toLowerCase()}${ages.slice(1)})`);
  return parts;
}

/** The one line under a place in the list: why it is here, and what its record does not say. */
export function whyLine(p, s) {
  const parts = whyParts(p, s);
  const gaps = s ? notRecorded(p, s) : [];
  const out = [];
  if (parts.length) out.push(`Why: ${parts.join('; ')}.`);
  if (gaps.length) out.push(`Not recorded: ${listInWords(gaps)} – ask them.`);
  return out.join(' ');
}

/** One result list item. `href` is the shareable link to its detail; `state`, the search it answers. */
export function resultItem(f, { href, inShortlist, index, state = null }) {
  const p = f.properties;
  const nameId = `r-${index}`;
  const where = [p.address, p.postcode].filter(Boolean).join(', ');
  const dist = distanceLine(p);
  const when = p.open_status ? '' : openingSummary(p.opening_times);
  const why = whyLine(p, state);
  return `<li class="result" data-id="${esc(f.id)}">
    <div class="result__icon">${svgIcon(p.abcd_type, 26)}</div>
    <div class="result__body">
      <h3 class="result__name" id="${nameId}"><a href="${esc(href)}" data-select="${esc(f.id)}">${esc(p.name)}</a></h3>
      <p class="result__type">${typeLine(p)}</p>
      ${where ? `<p class="result__where">${esc(where)}</p>` : ''}
      ${dist ? `<p class="result__distance">${esc(dist)}</p>` : ''}
      ${when ? `<p class="result__when">${esc(when)}</p>` : ''}
      ${why ? `<p class="result__why">${esc(why)}</p>` : ''}
      ${p.same_site_as ? `<p class="result__site">At the same site as ${esc(p.same_site_as.name)}.</p>` : ''}
      ${facts(p, state)}
    </div>
    <div class="result__actions">${shortlistButton(f.id, p.name, inShortlist)}</div>
  </li>`;
}

function section(title, body) {
  return body ? `<section class="detail__section"><h3>${esc(title)}</h3>${body}</section>` : '';
}

function openingHtml(ot) {
  const w = openingTimesInWords(ot);
  let html = '';
  if (w.rows.length) {
    html += `<dl class="times">${w.rows.map((r) => `<dt>${esc(r.days)}</dt><dd>${esc(r.hours)}</dd>`).join('')}</dl>`;
  }
  if (w.byArrangement) {
    html += `<p>${w.rows.length ? 'Also open by arrangement' : 'Open by arrangement'}: contact them to agree a time.</p>`;
  }
  if (w.note) html += `<p>${esc(w.note)}</p>`;
  if (w.unknown) html += '<p>Opening times are not known. Contact them before you go.</p>';
  return html;
}

/** A matched filter from /search ("category=food", "open_at", "age=72") in words. */
export function filterInWords(f) {
  const [key, value] = String(f).split('=');
  switch (key) {
    case 'category': return label('category', value);
    case 'abcd_type': return typeLabel(value);
    case 'cost': return value === 'free' ? 'free' : label('cost', value).toLowerCase();
    case 'access': return label('access', value).toLowerCase();
    case 'age': return `suits age ${value}`;
    case 'open_at': return 'open at the time asked';
    default: return String(f).replace(/_/g, ' ');
  }
}

function matchedHtml(p, s) {
  if (!p.matched) return '';
  const why = whyLine(p, s);
  return why ? `<p class="matched">${esc(why)}</p>` : '';
}

/** Links for directions to the place, in the person's own maps app or OpenStreetMap. */
function directionsHtml(lat, lon, name) {
  const d = directionsLinks(lat, lon, name);
  return `<ul class="plain directions" aria-label="Directions">
    <li><a href="${esc(d.geo)}" rel="noopener noreferrer">Directions in your maps app<span class="visually-hidden"> to ${esc(name)}</span></a></li>
    <li><a href="${esc(d.osm)}" target="_blank" rel="noopener noreferrer">Directions on OpenStreetMap<span class="visually-hidden"> to ${esc(name)}</span> (opens in a new tab)</a></li>
  </ul>`;
}

/** The detail panel's inner HTML: everything the model holds, in plain words. */
export function detailHtml(f, { inShortlist, searchedPostcode, state = null }) {
  const p = f.properties;
  const c = p.contact || {};
  const aud = p.audience || {};
  const prov = p.provenance || {};
  const [lon, lat] = f.geometry ? f.geometry.coordinates : [];

  const dist = distanceLine(p);
  const fromSearch = dist
    ? `<p class="detail__distance">${esc(dist)}${searchedPostcode ? ` from ${esc(searchedPostcode)}` : ''}.</p>` : '';
  const open = p.open_status ? `<ul class="facts">${openFact(p, state)}</ul>` : '';

  const contact = [];
  if (c.phone) contact.push(`<li>Phone: <a href="${esc(telHref(c.phone))}">${esc(c.phone)}</a></li>`);
  if (c.email) contact.push(`<li>Email: <a href="mailto:${esc(c.email)}">${esc(c.email)}</a></li>`);
  if (c.website) {
    const href = safeHref(c.website);
    contact.push(href
      ? `<li>Website: <a href="${esc(href)}" rel="noopener noreferrer">${esc(websiteText(c.website))}</a></li>`
      : `<li>Website: ${esc(c.website)}</li>`);
  }

  const access = (p.access || []).map((a) => `<li>${esc(label('access', a))}</li>`);
  const where = [p.address, p.postcode].filter(Boolean).map(esc).join('<br>');
  const ages = ageRangeInWords(aud);
  const langs = (p.languages || []).map(languageName);
  const who = [
    ages ? `<p>${esc(ages)}.</p>` : '<p>No ages recorded: ask them who it is for.</p>',
    aud.description ? `<p>${esc(aud.description)}</p>` : '',
    langs.length ? `<p>Languages: ${esc(langs.join(', '))}.</p>` : '',
  ].join('');

  const provRows = [
    ['Source', prov.source],
    ['Licence', prov.licence],
    ['Attribution', prov.attribution],
    ['Record in source', prov.source_id],
    ['Map position', geocodeInWords(prov.geocode_method)],
    ['Last checked', checkedInWords(p.verified_at, new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date()))],
    ['Last updated', dateInWords(p.updated_at)],
    ['Added', dateInWords(p.created_at)],
    ['Version', p.version],
    ['Reference', f.id],
  ].filter(([, v]) => v !== undefined && v !== null && v !== '');

  const mapLink = lon !== undefined
    ? `<p class="detail__coords">Map position: ${lat.toFixed(5)}, ${lon.toFixed(5)} (latitude, longitude).</p>`
      + '<p class="detail__show"><button type="button" class="link-button" data-action="show-on-map">Show it on the map</button></p>'
      + directionsHtml(lat, lon, p.name) : '';

  return `
    <div class="detail__top">
      <button type="button" class="link-button detail__back" data-action="back">
        <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M15 5l-7 7 7 7" fill="none" stroke="currentColor" stroke-width="2.5"/></svg>
        Back to the list</button>
    </div>
    <header class="detail__head">
      ${svgIcon(p.abcd_type, 34)}
      <div>
        <h2 id="detail-name" tabindex="-1">${esc(p.name)}</h2>
        <p class="result__type">${typeLine(p)}</p>
      </div>
    </header>
    ${statusBanner(p)}
    ${fromSearch}${open}${matchedHtml(p, state)}
    <div class="detail__actions">${shortlistButton(f.id, p.name, inShortlist, 'shortlist-toggle--large')}</div>
    ${p.description ? `<p class="detail__description">${esc(p.description)}</p>` : ''}
    ${section('When it is open', openingHtml(p.opening_times))}
    ${section('Cost', `<p>${esc(costInWords(p.cost, labels.cost))}</p>`)}
    ${section('Where', `${where ? `<p>${where}</p>` : '<p>No address given.</p>'}${mapLink}`)}
    ${section('Access', access.length ? `<ul class="bullets">${access.join('')}</ul>` : '<p>No access information yet. Contact them to ask.</p>')}
    ${section('Who it is for', who)}
    ${section('Contact', contact.length ? `<ul class="plain">${contact.join('')}</ul>` : '<p>No contact details given.</p>')}
    ${(p.tags || []).length ? section('Interests', `<ul class="tags">${p.tags.map((t) => `<li>${esc(t)}</li>`).join('')}</ul>`) : ''}
    ${section('About this information', `<dl class="provenance">${provRows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`)}
  `;
}
