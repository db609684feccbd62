// HTML for list items and the detail panel. Everything from the server is escaped.

import {
  ageRangeInWords, checkedInWords, costInWords, dateInWords, distanceInWords, geocodeInWords, languageName,
  openingSummary, openingTimesInWords, OPEN_STATUS_TEXT, safeHref, telHref, walkInWords, websiteText,
} from './format.js';
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

/** The short facts shown as tags: open status, cost, step-free. Never colour alone: always text. */
function facts(p) {
  const out = [];
  if (p.open_status) out.push(`<li class="fact fact--${esc(p.open_status)}">${esc(OPEN_STATUS_TEXT[p.open_status] || p.open_status)}</li>`);
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

/** One result list item. `href` is the shareable link to its detail. */
export function resultItem(f, { href, inShortlist, index }) {
  const p = f.properties;
  const nameId = `r-${index}`;
  const where = [p.address, p.postcode].filter(Boolean).join(', ');
  const dist = distanceLine(p);
  const when = p.open_status ? '' : openingSummary(p.opening_times);
  return `<li class="result" data-id="${esc(f.id)}">
    <div class="result__icon">${svgIcon(p.abcd_type, 26)}</div>
    <div class="result__body">
      <h3 class="result__name" id="${nameId}"><a href="${esc(href)}" data-select="${esc(f.id)}">${esc(p.name)}</a></h3>
      <p class="result__type">${typeLine(p)}</p>
      ${where ? `<p class="result__where">${esc(where)}</p>` : ''}
      ${dist ? `<p class="result__distance">${esc(dist)}</p>` : ''}
      ${when ? `<p class="result__when">${esc(when)}</p>` : ''}
      ${facts(p)}
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
    case 'open_at': return 'open now'; // the page only ever asks open=now
    default: return String(f).replace(/_/g, ' ');
  }
}

function matchedHtml(p) {
  const m = p.matched;
  if (!m) return '';
  const parts = [];
  if (m.terms && m.terms.length) parts.push(`your words ${m.terms.map((t) => `“${esc(t)}”`).join(', ')}`);
  if (m.filters && m.filters.length) parts.push(`your filters: ${m.filters.map((t) => esc(filterInWords(t))).join(', ')}`);
  return parts.length ? `<p class="matched">Why it is here: it matches ${parts.join('; and ')}.</p>` : '';
}

/** The detail panel's inner HTML: everything the model holds, in plain words. */
export function detailHtml(f, { inShortlist, searchedPostcode }) {
  const p = f.properties;
  const c = p.contact || {};
  const aud = p.audience || {};
  const prov = p.provenance || {};
  const [lon, lat] = f.geometry ? f.geometry.coordinates : [];

  const dist = distanceLine(p);
  const fromSearch = dist
    ? `<p class="detail__distance">${esc(dist)}${searchedPostcode ? ` from ${esc(searchedPostcode)}` : ''}.</p>` : '';
  const open = p.open_status ? `<ul class="facts"><li class="fact fact--${esc(p.open_status)}">${esc(OPEN_STATUS_TEXT[p.open_status] || p.open_status)}</li></ul>` : '';

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
    ages ? `<p>${esc(ages)}.</p>` : '<p>All ages.</p>',
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
      + '<p class="detail__show"><button type="button" class="link-button" data-action="show-on-map">Show it on the map</button></p>' : '';

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
    ${fromSearch}${open}${matchedHtml(p)}
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
