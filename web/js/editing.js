// The editing page, inside the map page: staff sign in and out; editors add places; editors and
// a place's stewards edit, close and reopen it; history and restore. Built on the HTTP contract
// of issue 17 (spec/api.md). Every write sends the session cookie (same origin only) and the
// X-CSRF-Token the sign-in gave.

import { ApiError, send } from './api.js';
import { esc, labels, typeLabel } from './render.js';
import {
  ageRangeInWords, costInWords, dateInWords, languageName, openingTimesInWords,
} from './format.js';

const $ = (id) => document.getElementById(id);
const ITEMS = '/collections/assets/items';
const itemUrl = (id) => `${ITEMS}/${encodeURIComponent(id)}`;
const DAYS = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'],
  ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday']];
const ROLE_WORDS = { admin: 'administrator', editor: 'editor', steward: 'steward' };

/** The GeoJSON property names, as history and conflicts name them, in words. */
export const FIELD_LABELS = {
  name: 'Name',
  description: 'Description',
  abcd_type: 'Type',
  categories: 'Kinds of activity or service',
  tags: 'Interests (tags)',
  address: 'Address',
  postcode: 'Postcode',
  contact: 'Contact',
  opening_times: 'Opening times',
  cost: 'Cost',
  access: 'Access',
  audience: 'Who it is for',
  languages: 'Languages',
  provenance: 'Source of the information',
  verified_at: 'Last checked',
  status: 'Status',
  geometry: 'Map position',
};

const isEmpty = (v) => v === null || v === undefined || v === ''
  || (Array.isArray(v) && !v.length) || (typeof v === 'object' && !Array.isArray(v) && !Object.keys(v).length);
const slugLabel = (kind, slug) => labels[kind]?.[slug] || String(slug).replace(/_/g, ' ');

/** One field's value (as in the Feature) in plain words, for history and conflicts. */
export function valueInWords(field, v) {
  if (isEmpty(v)) return 'nothing';
  switch (field) {
    case 'abcd_type': return typeLabel(v);
    case 'categories': return v.map((c) => slugLabel('category', c)).join(', ');
    case 'access': return v.map((a) => slugLabel('access', a)).join(', ');
    case 'status': return slugLabel('status', v);
    case 'tags': return v.join(', ');
    case 'languages': return v.map(languageName).join(', ');
    case 'verified_at': return dateInWords(v);
    case 'cost': return costInWords(v, labels.cost);
    case 'audience': return [ageRangeInWords(v) || 'All ages', v.description].filter(Boolean).join('; ');
    case 'opening_times': {
      const w = openingTimesInWords(v);
      const parts = w.rows.map((r) => `${r.days}: ${r.hours}`);
      if (w.byArrangement) parts.push('by arrangement');
      if (w.note) parts.push(w.note);
      return parts.join('; ') || 'nothing';
    }
    case 'geometry': {
      const c = Array.isArray(v) ? v : v.coordinates;
      return Array.isArray(c) ? `${Number(c[1]).toFixed(5)}, ${Number(c[0]).toFixed(5)} (latitude, longitude)` : JSON.stringify(v);
    }
    case 'contact':
    case 'provenance':
      return Object.entries(v).filter(([, x]) => !isEmpty(x)).map(([k, x]) => `${k.replace(/_/g, ' ')}: ${x}`).join(', ');
    default: {
      if (typeof v === 'string') return `“${v.length > 240 ? `${v.slice(0, 240)}…` : v}”`;
      return Array.isArray(v) ? v.join(', ') : JSON.stringify(v);
    }
  }
}

/** How a change was made ("via"), in words. */
export function viaInWords(via) {
  const v = String(via || 'unrecorded');
  if (v === 'page') return 'on the map page';
  if (v === 'api') return 'through the API';
  if (v === 'seed') return 'from the bundled data';
  if (v === 'unrecorded') return 'how is not recorded';
  if (v.startsWith('import:')) return `imported from ${v.slice(7)}`;
  if (v.startsWith('restore:')) return `restored from version ${v.slice(8)}`;
  if (v.startsWith('review:')) return `a steward’s change accepted in review (proposal ${v.slice(7)})`;
  if (v.startsWith('suggestion:')) return `a suggestion from the public accepted (suggestion ${v.slice(11)})`;
  return v;
}

/** "5 December 2026 at 14:05" in the page's time zone. */
export function timeInWords(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso || 'an unknown time';
  const day = d.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' });
  const t = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  return `${day} at ${t}`;
}

const byName = (by) => (by && by.name) || 'someone not recorded';

function changeItem(c) {
  const label = FIELD_LABELS[c.field] || c.field;
  return `<li><span class="change__field">${esc(label)}</span>: `
    + `<span class="change__before">${esc(valueInWords(c.field, c.before))}</span>`
    + ' <span aria-hidden="true">→</span><span class="visually-hidden"> changed to</span> '
    + `<span class="change__after">${esc(valueInWords(c.field, c.after))}</span></li>`;
}

/** Feature `f` with what suggestion `s` says over it: its properties, its pin; closed for a closure. */
export function withSuggestion(f, s) {
  const properties = { ...f.properties, ...(s.suggested?.properties || {}) };
  if (s.kind === 'closed') properties.status = 'closed';
  return { ...f, geometry: s.suggested?.geometry || f.geometry, properties };
}

/** The changes between two Features, field by field (when history cannot be read). */
function diffFeatures(a, b) {
  const out = [];
  const pa = a.properties || {};
  const pb = b.properties || {};
  for (const field of Object.keys(FIELD_LABELS)) {
    if (field === 'geometry') {
      const ca = a.geometry?.coordinates;
      const cb = b.geometry?.coordinates;
      if (JSON.stringify(ca) !== JSON.stringify(cb)) out.push({ field, before: ca, after: cb });
    } else if (JSON.stringify(pa[field] ?? null) !== JSON.stringify(pb[field] ?? null)) {
      out.push({ field, before: pa[field] ?? null, after: pb[field] ?? null });
    }
  }
  return out;
}

/* ---------------- the form ---------------- */

export function fieldHtml(id, label, input, { hint, param, cls = '' } = {}) {
  const hintHtml = hint ? `<p class="hint" id="${id}-hint">${hint}</p>` : '';
  return `<div class="field ed-field ${cls}" data-field-for="${id}">
    <label for="${id}">${esc(label)}</label>${hintHtml}
    ${input.replace('<INPUT', `<input id="${id}" data-param="${esc(param)}"${hint ? ` aria-describedby="${id}-hint"` : ''}`)
    .replace('<SELECT', `<select id="${id}" data-param="${esc(param)}"${hint ? ` aria-describedby="${id}-hint"` : ''}`)
    .replace('<TEXTAREA', `<textarea id="${id}" data-param="${esc(param)}"${hint ? ` aria-describedby="${id}-hint"` : ''}`)}
  </div>`;
}

function checkboxes(name, id, list, param) {
  return list.map((c) => `<label class="ed-check"><input type="checkbox" name="${name}" value="${esc(c.slug)}" id="${id}-${esc(c.slug)}" data-param="${param}"> <span>${esc(c.label)}</span></label>`).join('');
}

function periodRow(i, p = {}) {
  const n = i + 1;
  return `<li class="period" data-period="${i}">
    <fieldset class="period__set">
      <legend class="period__legend">Opening period ${n}</legend>
      <div class="period__fields">
        <div class="field"><label for="ed-p${i}-day">Day</label>
          <select id="ed-p${i}-day" data-param="opening_times.periods[${i}].day">${DAYS.map(([v, l]) => `<option value="${v}"${p.day === v ? ' selected' : ''}>${l}</option>`).join('')}</select></div>
        <div class="field"><label for="ed-p${i}-opens">Opens</label>
          <input type="time" id="ed-p${i}-opens" data-param="opening_times.periods[${i}].opens" value="${esc(p.opens || '')}"></div>
        <div class="field"><label for="ed-p${i}-closes">Closes</label>
          <input type="time" id="ed-p${i}-closes" data-param="opening_times.periods[${i}].closes" value="${esc(p.closes || '')}"></div>
        <button type="button" class="link-button period__remove" data-remove-period="${i}">Remove<span class="visually-hidden"> opening period ${n}</span></button>
      </div>
    </fieldset>
  </li>`;
}

/** The form; `suggestion` (its number) when it is an editor's version of a suggestion, to accept. */
function formHtml(vocab, isNew, name, suggestion = null) {
  const opt = (list, empty) => `${empty ? `<option value="">${esc(empty)}</option>` : ''}${list.map((t) => `<option value="${esc(t.slug)}">${esc(t.label)}</option>`).join('')}`;
  const back = suggestion ? 'Back to the suggestions without accepting' : `Back to the ${isNew ? 'list' : 'details'} without saving`;
  const heading = suggestion ? `Suggestion ${esc(suggestion)}: check it, then accept` : (isNew ? 'Add a place' : `Edit ${esc(name)}`);
  return `
    <div class="detail__top"><button type="button" class="link-button detail__back" data-ed="cancel">
      <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M15 5l-7 7 7 7" fill="none" stroke="currentColor" stroke-width="2.5"/></svg>
      ${back}</button></div>
    <h2 id="editor-heading" tabindex="-1">${heading}</h2>
    ${suggestion ? `<p class="hint">The form holds ${isNew ? 'the place we were told about' : `${esc(name)} with what the suggestion says`}. Correct or fill in what it needs, then accept: the map shows it at once.</p>` : ''}
    <div class="error-summary" id="ed-errors" role="alert" tabindex="-1" aria-labelledby="ed-errors-heading" hidden>
      <h3 id="ed-errors-heading">There is a problem</h3>
      <ul id="ed-errors-list"></ul>
    </div>
    <section class="conflict" id="ed-conflict" tabindex="-1" aria-labelledby="ed-conflict-heading" hidden></section>
    <form id="ed-form" class="ed-form" novalidate>
      <p class="hint">Fields marked “(required)” must be filled in. The rest help people find and reach the place.</p>
      ${fieldHtml('ed-name', 'Name (required)', '<INPUT type="text" autocomplete="off" maxlength="200">', { param: 'name' })}
      ${fieldHtml('ed-description', 'Description', '<TEXTAREA rows="4" maxlength="5000"></textarea>', { param: 'description' })}
      ${fieldHtml('ed-abcd_type', 'Type of asset (required)', `<SELECT>${opt(vocab.abcd_types || [], 'Choose a type')}</select>`, { param: 'abcd_type' })}
      <fieldset class="ed-group" id="ed-categories" data-param="categories" aria-describedby="ed-categories-hint">
        <legend>Kinds of activity or service (required)</legend>
        <p class="hint" id="ed-categories-hint">Choose at least one.</p>
        <div class="ed-checks">${checkboxes('categories', 'ed-cat', vocab.categories || [], 'categories')}</div>
      </fieldset>
      ${fieldHtml('ed-tags', 'Interests (tags)', '<INPUT type="text" autocomplete="off">', { param: 'tags', hint: 'Words people might search for, separated by commas: for example “choir, singing”.' })}

      <fieldset class="ed-group" id="ed-where">
        <legend>Where it is</legend>
        ${fieldHtml('ed-address', 'Address', '<INPUT type="text" autocomplete="off" maxlength="300">', { param: 'address' })}
        ${fieldHtml('ed-postcode', 'Postcode', '<INPUT type="text" autocomplete="off" class="ed-short">', { param: 'postcode' })}
        <p class="hint" id="ed-location-hint">Drag the red pin on the map to the right place, or type the longitude and latitude (for example −2.31970 and 53.42460). The two are kept in step.</p>
        <p class="ed-pin-show"><button type="button" class="link-button" data-ed="show-pin">Show the pin on the map</button></p>
        <div class="ed-row">
          ${fieldHtml('ed-lon', 'Longitude', '<INPUT type="text" inputmode="decimal" autocomplete="off" class="ed-short">', { param: 'geometry.coordinates.lon' })}
          ${fieldHtml('ed-lat', 'Latitude', '<INPUT type="text" inputmode="decimal" autocomplete="off" class="ed-short">', { param: 'geometry.coordinates.lat' })}
        </div>
      </fieldset>

      <fieldset class="ed-group" id="ed-contact">
        <legend>Contact</legend>
        ${fieldHtml('ed-phone', 'Phone', '<INPUT type="tel" autocomplete="off">', { param: 'contact.phone' })}
        ${fieldHtml('ed-email', 'E-mail address', '<INPUT type="email" autocomplete="off">', { param: 'contact.email' })}
        ${fieldHtml('ed-website', 'Website', '<INPUT type="url" autocomplete="off">', { param: 'contact.website', hint: 'The full address, starting https://' })}
      </fieldset>

      <fieldset class="ed-group" id="ed-opening" data-param="opening_times" aria-describedby="ed-opening-hint">
        <legend>When it is open</legend>
        <p class="hint" id="ed-opening-hint">One row for each day and time it opens; add two rows for a day with a break. A period may go past midnight: opens 22:00, closes 02:00 means from 10pm until 2am the next morning. Leave no rows if the times are not known.</p>
        <ol class="periods" id="ed-periods"></ol>
        <p><button type="button" class="button button--secondary" data-ed="add-period">Add an opening period</button></p>
        <label class="ed-check"><input type="checkbox" id="ed-by-arrangement" data-param="opening_times.by_arrangement"> <span>Also open by arrangement (people contact them to agree a time)</span></label>
        ${fieldHtml('ed-opening-note', 'Note about opening times', '<INPUT type="text" autocomplete="off" maxlength="500">', { param: 'opening_times.note', hint: 'For example “Closed on bank holidays”.' })}
      </fieldset>

      <fieldset class="ed-group" id="ed-cost">
        <legend>Cost</legend>
        ${fieldHtml('ed-cost-band', 'Cost band', `<SELECT>${opt(vocab.cost_bands || [], 'Not known')}</select>`, { param: 'cost.band' })}
        ${fieldHtml('ed-cost-detail', 'Cost details', '<INPUT type="text" autocomplete="off" maxlength="300">', { param: 'cost.detail', hint: 'For example “£2 a session, first one free”.' })}
      </fieldset>

      <fieldset class="ed-group" id="ed-access" data-param="access">
        <legend>Access</legend>
        <div class="ed-checks">${checkboxes('access', 'ed-acc', vocab.access_features || [], 'access')}</div>
      </fieldset>

      <fieldset class="ed-group" id="ed-audience">
        <legend>Who it is for</legend>
        <div class="ed-row">
          ${fieldHtml('ed-min-age', 'Youngest age', '<INPUT type="text" inputmode="numeric" autocomplete="off" class="ed-short">', { param: 'audience.min_age', hint: 'In years; empty for no lower limit.' })}
          ${fieldHtml('ed-max-age', 'Oldest age', '<INPUT type="text" inputmode="numeric" autocomplete="off" class="ed-short">', { param: 'audience.max_age', hint: 'In years; empty for no upper limit.' })}
        </div>
        ${fieldHtml('ed-audience-description', 'Who it suits', '<INPUT type="text" autocomplete="off" maxlength="300">', { param: 'audience.description', hint: 'For example “Carers and the people they look after”.' })}
        ${fieldHtml('ed-languages', 'Languages', '<INPUT type="text" autocomplete="off">', { param: 'languages', hint: 'Language codes separated by commas: for example “en, ur, pl” (English, Urdu, Polish).' })}
      </fieldset>

      <fieldset class="ed-group" id="ed-state">
        <legend>Checked and open</legend>
        ${fieldHtml('ed-verified', 'Date last checked', '<INPUT type="date">', { param: 'verified_at', hint: 'When someone last confirmed these details with the place.' })}
        ${fieldHtml('ed-status', 'Status', `<SELECT>${opt(vocab.statuses || [])}</select>`, { param: 'status', hint: 'Closed places stay in the records but are not shown as open.' })}
      </fieldset>

      <details class="ed-group ed-provenance" id="ed-provenance">
        <summary>Source of the information</summary>
        ${fieldHtml('ed-prov-source', 'Source', '<INPUT type="text" autocomplete="off" maxlength="300">', { param: 'provenance.source' })}
        ${fieldHtml('ed-prov-licence', 'Licence', '<INPUT type="text" autocomplete="off" maxlength="300">', { param: 'provenance.licence' })}
        ${fieldHtml('ed-prov-attribution', 'Attribution', '<INPUT type="text" autocomplete="off" maxlength="300">', { param: 'provenance.attribution' })}
        ${fieldHtml('ed-prov-source-id', 'Record in the source', '<INPUT type="text" autocomplete="off" maxlength="300">', { param: 'provenance.source_id' })}
        ${fieldHtml('ed-prov-geocode', 'How the map position was found', '<INPUT type="text" autocomplete="off" maxlength="300">', { param: 'provenance.geocode_method', hint: 'Set to “manual” when you move the pin.' })}
      </details>

      <div class="ed-actions">
        <button type="submit" class="button" id="ed-save">${suggestion ? 'Accept with these details' : (isNew ? 'Add this place' : 'Save changes')}</button>
        <button type="button" class="button button--secondary" data-ed="cancel">Cancel</button>
      </div>
    </form>`;
}

/** Says `text` to screen readers (the page's polite status region). */
export function announce(text) {
  const el = $('staff-status');
  el.textContent = '';
  // A fresh text node, a moment later, so that the same words are announced again.
  setTimeout(() => { el.textContent = text; }, 50);
}

/* ---------------- the pin (also used by suggest.js) ---------------- */

/**
 * A draggable pin on the map (`view`, a MapView) kept in step with two inputs: dragging it (or,
 * with `clickToPlace`, clicking the map) fills in the longitude and latitude; typing them moves
 * it. `moved(lngLat, how)` hears of each move ('drag', 'click' or 'typed'). Until the inputs
 * hold a position there is no pin. The pin is for pointer users: keyboard and screen reader
 * users type the coordinates. Returns {marker, remove()}.
 */
export function pinInStep(view, lonEl, latEl, { moved = () => {}, clickToPlace = false, className = 'ed-pin', color = '#a8211b' } = {}) {
  const m = view?.loaded && window.maplibregl ? view.map : null;
  let marker = null;
  const write = (ll) => {
    lonEl.value = ll.lng.toFixed(6);
    latEl.value = ll.lat.toFixed(6);
  };
  const put = (lngLat) => {
    if (!m) return;
    if (marker) {
      marker.setLngLat(lngLat);
      return;
    }
    marker = new window.maplibregl.Marker({ draggable: true, color }).setLngLat(lngLat).addTo(m);
    const el = marker.getElement();
    el.classList.add(...className.split(' '));
    el.setAttribute('aria-hidden', 'true');
    el.removeAttribute('tabindex');
    el.removeAttribute('role');
    el.removeAttribute('aria-label');
    marker.on('dragend', () => {
      write(marker.getLngLat());
      moved(marker.getLngLat(), 'drag');
    });
  };
  const typed = () => {
    const lon = Number(lonEl.value.replace('−', '-'));
    const lat = Number(latEl.value.replace('−', '-'));
    if (lonEl.value.trim() === '' || latEl.value.trim() === '' || !Number.isFinite(lon) || !Number.isFinite(lat)
      || Math.abs(lon) > 180 || Math.abs(lat) > 90) return null;
    return [lon, lat];
  };
  const onTyped = () => {
    const at = typed();
    if (!at) return;
    put(at);
    if (m && !m.getBounds().contains(at)) m.easeTo({ center: at, duration: 400 });
    moved({ lng: at[0], lat: at[1] }, 'typed');
  };
  const onClick = (ev) => {
    write(ev.lngLat);
    put(ev.lngLat);
    moved(ev.lngLat, 'click');
  };
  lonEl.addEventListener('change', onTyped);
  latEl.addEventListener('change', onTyped);
  if (m && clickToPlace) m.on('click', onClick);
  const start = typed();
  if (start) {
    put(start);
    m?.jumpTo({ center: start, zoom: Math.max(m.getZoom(), 15) });
  }
  return {
    get marker() { return marker; },
    remove() {
      marker?.remove();
      marker = null;
      if (m && clickToPlace) m.off('click', onClick);
    },
  };
}

/* ---------------- field errors (also used by suggest.js) ---------------- */

export const capital = (s) => String(s).charAt(0).toUpperCase() + String(s).slice(1);

/** The control in `form` a parameter name from the server belongs to (or null). */
function controlFor(form, name) {
  let n = String(name || '');
  if (n === 'geometry' || n === 'geometry.coordinates') n = 'geometry.coordinates.lon';
  while (n) {
    const el = form.querySelector(`[data-param="${CSS.escape(n)}"]`);
    if (el) return el;
    const cut = Math.max(n.lastIndexOf('.'), n.lastIndexOf('['));
    if (cut <= 0) break;
    n = n.slice(0, cut);
  }
  return null;
}

function labelOf(el) {
  if (el.tagName === 'FIELDSET') return el.querySelector('legend').textContent.replace(/\s*\(required\)/, '').trim();
  const period = el.closest('.period');
  const lab = document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
  const text = (lab ? lab.textContent : el.id).replace(/\s*\(required\)/, '').trim();
  return period ? `${period.querySelector('legend').textContent.trim()}, ${text.toLowerCase()}` : text;
}

/**
 * The field errors of a form: `show(params, intro)` puts each one beside its control (found by
 * its `data-param`, the server's parameter name) and all of them, as links to the controls, in
 * the error summary, which takes the focus; `clear()` takes them away. `summary` holds a `ul`.
 */
export function fieldErrors(form, summary) {
  const list = summary.querySelector('ul');
  const clear = () => {
    summary.hidden = true;
    list.innerHTML = '';
    for (const e of form.querySelectorAll('.field-error.ed-error')) e.remove();
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    for (const el of form.querySelectorAll('[data-described]')) {
      el.setAttribute('aria-describedby', el.dataset.described);
      if (!el.dataset.described) el.removeAttribute('aria-describedby');
      delete el.dataset.described;
    }
  };
  const show = (params, intro) => {
    clear();
    const items = [];
    let k = 0;
    for (const p of params) {
      const el = controlFor(form, p.name);
      const group = el && (el.tagName === 'FIELDSET' ? el : (el.type === 'checkbox' && el.name ? el.closest('fieldset') : null));
      const target = group || el;
      const label = target ? labelOf(target) : (FIELD_LABELS[String(p.name).split(/[.[]/)[0]] || p.name);
      const text = label ? `${label}: ${p.reason}` : capital(p.reason);
      let focusId = null;
      if (target) {
        k += 1;
        const errId = `${form.id}-error-${k}`;
        const msg = document.createElement('p');
        msg.className = 'field-error ed-error';
        msg.id = errId;
        msg.innerHTML = `<span class="visually-hidden">Error:</span> ${esc(capital(p.reason))}`;
        if (target.tagName === 'FIELDSET' || target.tagName === 'DETAILS') {
          const legend = target.querySelector('legend, summary');
          legend.insertAdjacentElement('afterend', msg);
        } else {
          target.insertAdjacentElement('beforebegin', msg);
          target.setAttribute('aria-invalid', 'true');
        }
        const described = target.getAttribute('aria-describedby') || '';
        if (target.dataset.described === undefined) target.dataset.described = described;
        target.setAttribute('aria-describedby', `${errId} ${described}`.trim());
        const det = target.closest('details');
        if (det) det.open = true;
        const focusEl = target.tagName === 'FIELDSET' ? target.querySelector('input, select, textarea') : target;
        focusId = focusEl?.id || null;
      }
      items.push(focusId ? `<li><a href="#${esc(focusId)}" data-focus="${esc(focusId)}">${esc(text)}</a></li>` : `<li>${esc(text)}</li>`);
    }
    list.innerHTML = (intro ? `<li>${esc(intro)}</li>` : '') + items.join('');
    summary.hidden = false;
    summary.focus();
  };
  return { show, clear };
}

/** A click on a link of an error summary: the focus goes to the control. True when it was one. */
export function followErrorLink(ev) {
  const link = ev.target.closest('a[data-focus]');
  if (!link) return false;
  ev.preventDefault(); // the page's state lives in the fragment: do not change it
  const target = document.getElementById(link.dataset.focus);
  const det = target?.closest('details');
  if (det) det.open = true;
  target?.focus();
  target?.scrollIntoView({ block: 'center' });
  return true;
}

/* ---------------- a reason to reject (proposals here, suggestions in review.js) ---------------- */

/**
 * The form that asks why something is not accepted: `prefix` names its parts
 * (`${prefix}-form-${n}`, `-reason-`, `-hint-`, `-error-`) and its data attributes
 * (`data-${prefix}-form`, `data-${prefix}-cancel`); it opens from a button with
 * `aria-controls="${prefix}-form-${n}"`.
 */
export function rejectFormHtml(prefix, n, { question, hint, submit }) {
  return `<form class="reject-form" id="${prefix}-form-${n}" data-${prefix}-form="${n}" novalidate hidden>
        <div class="field">
          <label for="${prefix}-reason-${n}">${esc(question)} (required)</label>
          <p class="hint" id="${prefix}-hint-${n}">${esc(hint)}</p>
          <textarea id="${prefix}-reason-${n}" rows="3" maxlength="1000" aria-describedby="${prefix}-hint-${n}"></textarea>
        </div>
        <div class="ed-actions">
          <button type="submit" class="button">${esc(submit)}</button>
          <button type="button" class="button button--secondary" data-${prefix}-cancel="${n}">Cancel</button>
        </div>
      </form>`;
}

/** Opens (the reason takes the focus) or closes (the opener takes it) a reject form. */
export function toggleRejectForm(prefix, n, open) {
  const form = $(`${prefix}-form-${n}`);
  const opener = document.querySelector(`[aria-controls="${CSS.escape(`${prefix}-form-${n}`)}"]`);
  if (!form) return;
  form.hidden = !open;
  opener?.setAttribute('aria-expanded', String(open));
  if (open) $(`${prefix}-reason-${n}`).focus();
  else opener?.focus();
}

/** An error beside the reason of a reject form (none: `text` empty). */
export function rejectReasonError(prefix, n, text) {
  const ta = $(`${prefix}-reason-${n}`);
  let err = $(`${prefix}-error-${n}`);
  if (!text) {
    err?.remove();
    ta.removeAttribute('aria-invalid');
    ta.setAttribute('aria-describedby', `${prefix}-hint-${n}`);
    return;
  }
  if (!err) {
    err = document.createElement('p');
    err.className = 'field-error';
    err.id = `${prefix}-error-${n}`;
    ta.insertAdjacentElement('beforebegin', err);
  }
  err.innerHTML = `<span class="visually-hidden">Error:</span> ${esc(text)}`;
  ta.setAttribute('aria-invalid', 'true');
  ta.setAttribute('aria-describedby', `${prefix}-error-${n} ${prefix}-hint-${n}`);
  ta.focus();
}

/** Copies a link from a read-only input, and says so in `say` (or how to copy it by hand). */
export async function copyLink(input, say, done) {
  say.textContent = '';
  try {
    if (!navigator.clipboard?.writeText) throw new Error('no clipboard');
    await navigator.clipboard.writeText(input.value);
    setTimeout(() => { say.textContent = done; }, 50);
  } catch {
    input.focus();
    input.select();
    setTimeout(() => { say.textContent = 'The link could not be copied for you. It is selected: press Control and C (Command and C on a Mac) to copy it.'; }, 50);
  }
}

/* ---------------- the module ---------------- */

/**
 * ctx: { app, openDetail(id, opts), closeDetail(opts), showFeature(feature, opts),
 *        refreshPoints(), ensureMapMode(), vocabulary(), createReview(deps), leaveSuggest() }
 */
export function createEditing(ctx) {
  const ed = {
    session: null, // {account, csrf_token, expires_at}
    editing: null, // {id|null, base: Feature|null, suggestion: SUGGESTION|null (edit, then accept)}
    pin: null, // the pin being placed (pinInStep)
    notice: null, // {id, html}: a message shown on the next details of that place
    opener: null,
    historyId: null,
    historyName: null,
    reviewList: false, // the list of changes waiting for review is open
    inviteFor: null,
  };

  const account = () => ed.session?.account || null;
  const csrf = () => ed.session?.csrf_token;
  const isStaff = () => ['admin', 'editor'].includes(account()?.role);
  const stewardOf = (id) => (account()?.stewardships || []).some((s) => s.asset === id);
  const mayEdit = (id) => Boolean(account()) && (isStaff() || stewardOf(id));
  // The public's suggestions, in the same panel (web/js/review.js, given by app.js: review.js
  // uses this module's helpers, so this module does not import it).
  const review = ctx.createReview({
    ctx,
    csrf,
    account,
    isStaff,
    showPanel,
    editSuggestion: (sug) => openEditor(sug.kind === 'new' ? null : sug.asset, { suggestion: sug }),
  });

  /* ----- session ----- */

  function renderSession() {
    const a = account();
    $('staff-bar').hidden = !a;
    $('sign-in-open').hidden = Boolean(a);
    $('add-place').hidden = !isStaff();
    if (isStaff()) refreshWaiting();
    else $('review-open').hidden = true;
    review.refreshCount();
    $('staff-who').textContent = a ? `${a.name} (${ROLE_WORDS[a.role] || a.role})` : '';
    document.body.classList.toggle('is-staff', Boolean(a));
  }

  async function loadSession() {
    try {
      const r = await send('GET', '/auth/session');
      ed.session = r.data && r.data.account ? r.data : null;
    } catch {
      ed.session = null; // a server without accounts, or not reachable: signed out
    }
    renderSession();
  }

  function openSignIn() {
    const dlg = $('signin-dialog');
    ed.opener = document.activeElement;
    $('signin-error').textContent = '';
    $('signin-error').hidden = true;
    for (const id of ['signin-email', 'signin-password']) $(id).removeAttribute('aria-invalid');
    $('signin-password').value = '';
    dlg.showModal();
    $('signin-email').focus();
  }

  async function onSignIn(ev) {
    ev.preventDefault();
    const email = $('signin-email').value.trim();
    const password = $('signin-password').value;
    const err = $('signin-error');
    const btn = $('signin-submit');
    btn.disabled = true;
    try {
      const r = await send('POST', '/auth/session', { body: { email, password } });
      ed.session = r.data;
      $('signin-dialog').close('signed-in');
      renderSession();
      ctx.rerenderDetail();
      $('staff-who-wrap').focus();
      announce(`Signed in as ${account().name}.`);
    } catch (e) {
      err.hidden = false;
      err.textContent = e instanceof ApiError ? e.message : 'Signing in failed. Try again.';
      for (const id of ['signin-email', 'signin-password']) $(id).setAttribute('aria-invalid', 'true');
      $('signin-password').focus();
    } finally {
      btn.disabled = false;
    }
  }

  async function signOut() {
    try {
      await send('DELETE', '/auth/session', { csrf: csrf() });
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) {
        announce(`Signing out failed: ${e.message}`);
        return;
      }
    }
    ed.session = null;
    if (ed.editing || ed.historyId || ed.reviewList || review.isOpen) closeEditor({ focus: false });
    if ($('invite-dialog').open) $('invite-dialog').close();
    renderSession();
    ctx.rerenderDetail();
    $('sign-in-open').focus();
    announce('You are signed out.');
  }

  /* ----- confirmation ----- */

  function confirmDialog({ title, text, yes }) {
    const dlg = $('confirm-dialog');
    $('confirm-heading').textContent = title;
    $('confirm-text').textContent = text;
    $('confirm-yes').textContent = yes;
    const opener = document.activeElement;
    return new Promise((resolve) => {
      const done = (ok) => {
        $('confirm-yes').removeEventListener('click', onYes);
        $('confirm-no').removeEventListener('click', onNo);
        dlg.removeEventListener('close', onClose);
        if (dlg.open) dlg.close();
        if (!ok) opener?.focus?.();
        resolve(ok);
      };
      const onYes = () => done(true);
      const onNo = () => done(false);
      const onClose = () => done(false);
      $('confirm-yes').addEventListener('click', onYes);
      $('confirm-no').addEventListener('click', onNo);
      dlg.addEventListener('close', onClose);
      dlg.showModal();
      $('confirm-no').focus();
    });
  }

  /* ----- details: the buttons for staff ----- */

  function decorateDetail(el, f) {
    if (ed.notice && ed.notice.id === f.id) {
      const top = el.querySelector('.detail__head');
      top?.insertAdjacentHTML('afterend', `<div class="notice notice--${ed.notice.kind}">${ed.notice.html}</div>`);
    }
    if (!mayEdit(f.id)) return;
    const closed = f.properties.status && f.properties.status !== 'active';
    const html = `<div class="staff-actions" aria-label="Staff actions" role="group">
      <button type="button" class="button" data-ed="edit">Edit<span class="visually-hidden"> ${esc(f.properties.name)}</span></button>
      <button type="button" class="button button--secondary" data-ed="history">History<span class="visually-hidden"> of ${esc(f.properties.name)}</span></button>
      <button type="button" class="button button--secondary" data-ed="${closed ? 'reopen' : 'close'}">${closed ? 'Reopen this place' : 'Close this place'}</button>
      <button type="button" class="button button--secondary" data-ed="verify">Confirm these details are still right<span class="visually-hidden"> (${esc(f.properties.name)})</span></button>
      ${isStaff() ? `<button type="button" class="button button--secondary" data-ed="invite" aria-haspopup="dialog">Invite the group that runs it…<span class="visually-hidden"> (${esc(f.properties.name)})</span></button>` : ''}
    </div>`;
    el.querySelector('.detail__actions')?.insertAdjacentHTML('beforeend', html);
  }

  function setNotice(id, kind, html) {
    ed.notice = { id, kind, html };
  }

  /* ----- the editor panel ----- */

  function showPanel(html) {
    ctx.leaveSuggest?.(); // one panel at a time: a suggestion's form closes
    const panel = $('editor');
    panel.innerHTML = html;
    panel.hidden = false;
    $('results-body').hidden = true;
    $('detail').hidden = true;
    document.body.classList.add('has-detail', 'is-editing');
    panel.scrollIntoView({ block: 'start' });
    return panel;
  }

  function removeMarker() {
    ed.pin?.remove();
    ed.pin = null;
  }

  function closeEditor({ focus = true, back = true } = {}) {
    const wasSuggestion = ed.editing?.suggestion;
    const wasId = ed.editing?.id ?? ed.historyId;
    const wasNew = ed.editing && !ed.editing.id;
    const wasList = ed.reviewList;
    const wasQueue = review.isOpen;
    ed.editing = null;
    ed.historyId = null;
    ed.reviewList = false;
    review.leave();
    removeMarker();
    const panel = $('editor');
    panel.hidden = true;
    panel.innerHTML = '';
    document.body.classList.remove('is-editing');
    if (!back) return;
    if (wasSuggestion) {
      review.open({ focusOn: `[data-sg-edit="${wasSuggestion.id}"]` });
    } else if (wasId) {
      ctx.openDetail(wasId, { focus: false }).then(() => {
        if (focus) (document.querySelector('#detail [data-ed=edit]') || $('detail-name'))?.focus();
      });
    } else {
      ctx.closeDetail({ focus: false });
      if (focus && wasNew) $('add-place').focus();
      if (focus && wasList) $('review-open').focus();
      if (focus && wasQueue) $('suggestions-open').focus();
    }
  }

  /**
   * The form for place `id` (null: a new place). With `suggestion` (a SUGGESTION of the queue):
   * the place with what it says, or the place it tells of, for the editor to check; saving
   * accepts the suggestion with the form's version (see save).
   */
  async function openEditor(id, { suggestion = null } = {}) {
    ed.notice = null;
    await ctx.ensureMapMode();
    let base = null;
    if (id) {
      try {
        const r = await send('GET', `${itemUrl(id)}?f=json`);
        base = r.data;
        base.properties.version = Number(r.etag) || base.properties.version;
      } catch (e) {
        announce(`The place could not be loaded for editing: ${e.message}`);
        return;
      }
    }
    review.leave();
    ed.editing = { id, base, suggestion };
    ed.historyId = null;
    const vocab = (await ctx.vocabulary()) || {};
    showPanel(formHtml(vocab, !id, base?.properties.name || '', suggestion?.id));
    const center = ctx.mapCenter();
    const start = base || {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: center },
      properties: { status: 'active', categories: [], provenance: { geocode_method: 'manual' } },
    };
    fillForm(suggestion ? withSuggestion(start, suggestion) : start);
    wireForm();
    addMarker();
    $('editor-heading').focus();
    if (suggestion) announce(`Suggestion ${suggestion.id} is in the form: check it, then accept.`);
    else announce(id ? `Editing ${base.properties.name}.` : 'Add a place: fill in the form and put the pin on the map.');
  }

  function fillForm(f) {
    const p = f.properties || {};
    const set = (id, v) => { $(id).value = v === undefined || v === null ? '' : String(v); };
    set('ed-name', p.name);
    set('ed-description', p.description);
    set('ed-abcd_type', p.abcd_type || '');
    for (const cb of document.querySelectorAll('#ed-categories input')) cb.checked = (p.categories || []).includes(cb.value);
    set('ed-tags', (p.tags || []).join(', '));
    set('ed-address', p.address);
    set('ed-postcode', p.postcode);
    const [lon, lat] = f.geometry?.coordinates || [];
    set('ed-lon', lon === undefined ? '' : Number(lon).toFixed(6));
    set('ed-lat', lat === undefined ? '' : Number(lat).toFixed(6));
    const c = p.contact || {};
    set('ed-phone', c.phone);
    set('ed-email', c.email);
    set('ed-website', c.website);
    const ot = p.opening_times || {};
    $('ed-periods').innerHTML = (ot.periods || []).map((x, i) => periodRow(i, x)).join('');
    $('ed-by-arrangement').checked = Boolean(ot.by_arrangement);
    set('ed-opening-note', ot.note);
    set('ed-cost-band', p.cost?.band || '');
    set('ed-cost-detail', p.cost?.detail);
    for (const cb of document.querySelectorAll('#ed-access input')) cb.checked = (p.access || []).includes(cb.value);
    const a = p.audience || {};
    set('ed-min-age', a.min_age);
    set('ed-max-age', a.max_age);
    set('ed-audience-description', a.description);
    set('ed-languages', (p.languages || []).join(', '));
    set('ed-verified', p.verified_at);
    set('ed-status', p.status || 'active');
    const pr = p.provenance || {};
    set('ed-prov-source', pr.source);
    set('ed-prov-licence', pr.licence);
    set('ed-prov-attribution', pr.attribution);
    set('ed-prov-source-id', pr.source_id);
    set('ed-prov-geocode', pr.geocode_method);
    ed.pin?.marker?.setLngLat(f.geometry.coordinates);
  }

  const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);

  /** The Feature the form describes; `local` collects what cannot even be sent. */
  function readForm(local) {
    const v = (id) => $(id).value.trim();
    const props = {
      name: v('ed-name'),
      abcd_type: v('ed-abcd_type'),
      categories: [...document.querySelectorAll('#ed-categories input:checked')].map((x) => x.value),
      status: v('ed-status') || 'active',
    };
    const put = (obj, k, val) => { if (!isEmpty(val)) obj[k] = val; };
    put(props, 'description', v('ed-description'));
    put(props, 'tags', list(v('ed-tags')));
    put(props, 'address', v('ed-address'));
    put(props, 'postcode', v('ed-postcode'));
    const contact = {};
    put(contact, 'phone', v('ed-phone'));
    put(contact, 'email', v('ed-email'));
    put(contact, 'website', v('ed-website'));
    props.contact = contact;
    const periods = [...document.querySelectorAll('#ed-periods .period')].map((li) => {
      const i = li.dataset.period;
      return { day: $(`ed-p${i}-day`).value, opens: $(`ed-p${i}-opens`).value, closes: $(`ed-p${i}-closes`).value };
    });
    const ot = {};
    if (periods.length) ot.periods = periods;
    if ($('ed-by-arrangement').checked) ot.by_arrangement = true;
    put(ot, 'note', v('ed-opening-note'));
    props.opening_times = ot;
    const cost = {};
    put(cost, 'band', v('ed-cost-band'));
    put(cost, 'detail', v('ed-cost-detail'));
    if (!isEmpty(cost)) props.cost = cost;
    put(props, 'access', [...document.querySelectorAll('#ed-access input:checked')].map((x) => x.value));
    const audience = {};
    for (const [id, key] of [['ed-min-age', 'min_age'], ['ed-max-age', 'max_age']]) {
      const raw = v(id);
      if (raw === '') continue;
      if (/^\d{1,3}$/.test(raw)) audience[key] = Number(raw);
      else local.push({ name: `audience.${key}`, reason: 'enter an age in whole years, for example 65' });
    }
    put(audience, 'description', v('ed-audience-description'));
    props.audience = audience;
    put(props, 'languages', list(v('ed-languages')));
    put(props, 'verified_at', v('ed-verified'));
    const prov = {};
    put(prov, 'source', v('ed-prov-source'));
    put(prov, 'licence', v('ed-prov-licence'));
    put(prov, 'attribution', v('ed-prov-attribution'));
    put(prov, 'source_id', v('ed-prov-source-id'));
    put(prov, 'geocode_method', v('ed-prov-geocode'));
    if (!isEmpty(prov)) props.provenance = prov;
    const coord = (id, name, lo, hi) => {
      const raw = v(id).replace('−', '-');
      const n = Number(raw);
      if (raw === '' || !Number.isFinite(n) || n < lo || n > hi) {
        local.push({ name, reason: `enter a number from ${lo} to ${hi}, for example ${name.endsWith('lon') ? '-2.3197' : '53.4246'}` });
        return 0;
      }
      return n;
    };
    const lon = coord('ed-lon', 'geometry.coordinates.lon', -180, 180);
    const lat = coord('ed-lat', 'geometry.coordinates.lat', -90, 90);
    const f = { type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] }, properties: props };
    if (ed.editing?.id) f.id = ed.editing.id;
    return f;
  }

  function renumberPeriods() {
    // Keep ids and parameter names in step with the rows' order (the server names rows by index).
    const rows = [...document.querySelectorAll('#ed-periods .period')];
    const values = rows.map((li) => {
      const i = li.dataset.period;
      return { day: $(`ed-p${i}-day`).value, opens: $(`ed-p${i}-opens`).value, closes: $(`ed-p${i}-closes`).value };
    });
    $('ed-periods').innerHTML = values.map((x, i) => periodRow(i, x)).join('');
  }

  /** Clicks in the editor panel (form or history): one listener, wired once. */
  function onPanelClick(ev) {
    const panel = $('editor');
    const act = ev.target.closest('[data-ed]')?.dataset.ed;
    if (act === 'cancel') {
      closeEditor();
      return;
    }
    const acc = ev.target.closest('[data-accept]');
    if (acc && ed.historyId) {
      acceptProposal(Number(acc.dataset.accept));
      return;
    }
    const ro = ev.target.closest('[data-reject-open]');
    if (ro && ed.historyId) {
      toggleRejectForm('reject', ro.dataset.rejectOpen, $(`reject-form-${ro.dataset.rejectOpen}`)?.hidden);
      return;
    }
    const rc = ev.target.closest('[data-reject-cancel]');
    if (rc && ed.historyId) {
      toggleRejectForm('reject', rc.dataset.rejectCancel, false);
      return;
    }
    if (review.onClick(ev)) return;
    const rh = ev.target.closest('[data-review-history]');
    if (rh) {
      openHistory(rh.dataset.reviewHistory, { name: rh.dataset.name });
      return;
    }
    const rs = ev.target.closest('[data-restore]');
    if (rs && ed.historyId) {
      restore(ed.historyId, Number(rs.dataset.restore));
      return;
    }
    if (!ed.editing) return;
    if (act === 'add-period') {
      const rows = document.querySelectorAll('#ed-periods .period');
      const last = rows.length ? rows[rows.length - 1].dataset.period : null;
      const prev = last === null ? {} : { day: $(`ed-p${last}-day`).value, opens: $(`ed-p${last}-opens`).value, closes: $(`ed-p${last}-closes`).value };
      $('ed-periods').insertAdjacentHTML('beforeend', periodRow(rows.length, prev));
      $(`ed-p${rows.length}-day`).focus();
      announce(`Opening period ${rows.length + 1} added.`);
    } else if (act === 'show-pin' && ed.pin?.marker) {
      ctx.app.map.map.easeTo({ center: ed.pin.marker.getLngLat(), duration: 400 });
      if ($('map').getBoundingClientRect().top < 0) $('map-area').scrollIntoView({ block: 'start' });
    } else if (act === 'load-theirs') loadTheirs();
    else if (act === 'save-over') save({ over: true });
    const rm = ev.target.closest('[data-remove-period]');
    if (rm) {
      const n = Number(rm.dataset.removePeriod) + 1;
      rm.closest('.period').remove();
      renumberPeriods();
      const rows = document.querySelectorAll('#ed-periods .period');
      (rows[Math.min(n - 1, rows.length - 1)]?.querySelector('select') || panel.querySelector('[data-ed=add-period]')).focus();
      announce(`Opening period ${n} removed.`);
    }
    followErrorLink(ev);
  }

  function wireForm() {
    $('ed-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      save();
    });
  }

  function addMarker() {
    removeMarker();
    ed.pin = pinInStep(ctx.app.map, $('ed-lon'), $('ed-lat'), {
      moved: (ll, how) => {
        $('ed-prov-geocode').value = 'manual';
        if (how === 'drag') announce(`Pin moved: latitude ${ll.lat.toFixed(5)}, longitude ${ll.lng.toFixed(5)}.`);
      },
    });
  }

  const formErrors = () => fieldErrors($('ed-form'), $('ed-errors'));
  const showErrors = (params, intro) => formErrors().show(params, intro);
  const clearErrors = () => formErrors().clear();

  /* ----- saving ----- */

  async function save({ over = false } = {}) {
    if (!ed.editing) return;
    const local = [];
    const body = readForm(local);
    if (local.length) {
      showErrors(local);
      return;
    }
    const { id, base, suggestion } = ed.editing;
    const version = over ? ed.editing.theirs?.properties.version : base?.properties.version;
    const btn = $('ed-save');
    btn.disabled = true;
    announce('Saving…');
    try {
      let r;
      if (suggestion) {
        // Edit, then accept: the form's version is written instead of the suggestion as it is.
        r = await send('POST', `/suggestions/${encodeURIComponent(suggestion.id)}/accept`, {
          body, csrf: csrf(), ifMatch: id ? version : undefined, type: 'application/geo+json',
        });
      } else {
        r = id
          ? await send('PUT', itemUrl(id), { body, csrf: csrf(), ifMatch: version })
          : await send('POST', ITEMS, { body, csrf: csrf() });
      }
      if (r.status === 202) {
        setNotice(id, 'waiting', `<p><strong>Your change waits for an editor’s review.</strong> It is not published yet: the details below are what the map shows until an editor accepts it.</p>`);
        closeEditor({ focus: false, back: false });
        await ctx.openDetail(id, { focus: false, fresh: true });
        announce('Your change waits for an editor’s review. It is not published yet.');
        document.querySelector('#detail .notice')?.setAttribute('tabindex', '-1');
        document.querySelector('#detail .notice')?.focus();
        return;
      }
      const saved = r.data;
      if (r.etag) saved.properties.version = Number(r.etag) || saved.properties.version;
      const done = suggestion ? `Suggestion ${suggestion.id} accepted with your changes.` : (id ? 'Saved.' : 'Added.');
      setNotice(saved.id, 'saved', `<p><strong>${esc(done)}</strong> This is version ${esc(saved.properties.version)}.</p>`);
      closeEditor({ focus: false, back: false });
      ctx.refreshPoints();
      ctx.showFeature(saved);
      if (suggestion) review.refreshCount();
      announce(`${suggestion ? done : (id ? 'Saved' : 'Added')} ${saved.properties.name}, version ${saved.properties.version}.`);
      document.querySelector('#detail [data-ed=edit]')?.focus() || $('detail-name')?.focus();
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if ((e.status === 400 || e.status === 422) && e.invalidParams.length) showErrors(e.invalidParams);
      else if (e.status === 412 && id) await showConflict();
      else if (e.status === 401) {
        ed.session = null;
        renderSession();
        showErrors([{ name: '', reason: `${e.message} Your changes are still in the form: sign in again (the link is at the foot of the page), then save.` }]);
      } else showErrors([{ name: '', reason: e.message }]);
    } finally {
      if ($('ed-save')) $('ed-save').disabled = false;
    }
  }

  async function showConflict() {
    const { id, base } = ed.editing;
    const box = $('ed-conflict');
    let theirs;
    try {
      const r = await send('GET', `${itemUrl(id)}?f=json`);
      theirs = r.data;
      theirs.properties.version = Number(r.etag) || theirs.properties.version;
    } catch (e) {
      showErrors([{ name: '', reason: `Someone else saved this place since you opened it, and it could not be loaded again: ${e.message}` }]);
      return;
    }
    let entries = [];
    try {
      const h = await send('GET', `${itemUrl(id)}/history`);
      entries = (h.data.entries || []).filter((x) => x.version > base.properties.version);
    } catch {
      entries = [];
    }
    if (!entries.length) {
      entries = [{ version: theirs.properties.version, at: theirs.properties.updated_at, by: null, changes: diffFeatures(base, theirs) }];
    }
    ed.editing.theirs = theirs;
    const last = entries[entries.length - 1];
    const who = entries.map((x) => `version ${x.version} by ${byName(x.by)} at ${timeInWords(x.at)}`).join('; ');
    const changes = entries.flatMap((x) => x.changes || []);
    clearErrors();
    box.innerHTML = `<h3 id="ed-conflict-heading">This place has changed since you opened it</h3>
      <p id="ed-conflict-summary">Someone else saved this place since you opened it (${esc(who)}): they changed:</p>
      <ul class="changes">${changes.length ? changes.map(changeItem).join('') : '<li>nothing that shows here</li>'}</ul>
      <p>Your changes are still in the form. Choose what to do:</p>
      <div class="ed-actions">
        <button type="button" class="button button--secondary" data-ed="load-theirs">Load their version</button>
        <button type="button" class="button" data-ed="save-over">Keep my changes and save over theirs</button>
      </div>
      <p class="hint">“Load their version” puts their version ${esc(last.version)} in the form and drops your changes. “Keep my changes” saves what is in the form now, replacing their version; the history keeps both.</p>`;
    box.hidden = false;
    box.focus();
    announce(`Someone else saved this place since you opened it. They changed ${changes.map((c) => FIELD_LABELS[c.field] || c.field).join(', ') || 'it'}.`);
  }

  function loadTheirs() {
    const theirs = ed.editing?.theirs;
    if (!theirs) return;
    ed.editing.base = theirs;
    ed.editing.theirs = null;
    fillForm(theirs);
    $('ed-conflict').hidden = true;
    $('ed-conflict').innerHTML = '';
    clearErrors();
    $('editor-heading').focus();
    announce(`Their version ${theirs.properties.version} is in the form now.`);
  }

  /* ----- confirm the details are still right ----- */

  async function verify(f) {
    try {
      const r = await send('POST', `${itemUrl(f.id)}/verify`, { csrf: csrf() });
      const saved = r.data;
      if (r.etag) saved.properties.version = Number(r.etag) || saved.properties.version;
      setNotice(f.id, 'saved', `<p><strong>Confirmed.</strong> The place now shows it was last checked today (version ${esc(saved.properties.version)}).</p>`);
      ctx.showFeature(saved);
      announce(`${saved.properties.name}: confirmed as still right today.`);
      document.querySelector('#detail [data-ed=verify]')?.focus();
    } catch (e) {
      announce(`Confirming failed: ${e.message}`);
      setNotice(f.id, 'error', `<p role="alert"><strong>Not confirmed.</strong> ${esc(e.message)}</p>`);
      await ctx.openDetail(f.id, { focus: false, fresh: true });
    }
  }

  /* ----- close and reopen ----- */

  async function setStatus(f, status) {
    const closing = status === 'closed';
    const ok = await confirmDialog({
      title: closing ? `Close ${f.properties.name}?` : `Reopen ${f.properties.name}?`,
      text: closing
        ? 'The place stays in the records and its history, marked as closed. You can reopen it later.'
        : 'The place will be shown as active again.',
      yes: closing ? 'Close this place' : 'Reopen this place',
    });
    if (!ok) return;
    let cur;
    try {
      const r = await send('GET', `${itemUrl(f.id)}?f=json`);
      cur = r.data;
      cur.properties.version = Number(r.etag) || cur.properties.version;
    } catch (e) {
      announce(`The place could not be loaded: ${e.message}`);
      return;
    }
    const body = { type: 'Feature', id: cur.id, geometry: cur.geometry, properties: { ...cur.properties, status } };
    for (const k of ['version', 'created_at', 'updated_at']) delete body.properties[k];
    try {
      const r = await send('PUT', itemUrl(f.id), { body, csrf: csrf(), ifMatch: cur.properties.version });
      if (r.status === 202) {
        setNotice(f.id, 'waiting', '<p><strong>Your change waits for an editor’s review.</strong> It is not published yet.</p>');
        await ctx.openDetail(f.id, { focus: false, fresh: true });
        announce('Your change waits for an editor’s review.');
        return;
      }
      const saved = r.data;
      if (r.etag) saved.properties.version = Number(r.etag) || saved.properties.version;
      setNotice(f.id, 'saved', `<p><strong>${closing ? 'Closed.' : 'Reopened.'}</strong> This is version ${esc(saved.properties.version)}.</p>`);
      ctx.refreshPoints();
      ctx.showFeature(saved);
      announce(closing ? `${saved.properties.name} is closed now.` : `${saved.properties.name} is open again.`);
      document.querySelector(`#detail [data-ed=${closing ? 'reopen' : 'close'}]`)?.focus();
    } catch (e) {
      announce(`${closing ? 'Closing' : 'Reopening'} failed: ${e.message}`);
      setNotice(f.id, 'error', `<p role="alert"><strong>${closing ? 'Not closed' : 'Not reopened'}.</strong> ${esc(e.message)}</p>`);
      await ctx.openDetail(f.id, { focus: false, fresh: true });
    }
  }

  /* ----- history ----- */

  function entryHtml(x, current, canRestore, proposalsById = new Map()) {
    const kind = { create: 'Added', update: 'Changed', delete: 'Removed' }[x.kind] || 'Changed';
    const isCurrent = x.version === current;
    const restore = canRestore && x.restorable && !isCurrent && x.kind !== 'delete'
      ? `<button type="button" class="button button--secondary" data-restore="${esc(x.version)}">Restore this version<span class="visually-hidden"> (version ${esc(x.version)})</span></button>` : '';
    return `<li class="history__entry" data-version="${esc(x.version)}">
      <h3>Version ${esc(x.version)}${isCurrent ? ' <span class="history__current">(shown now)</span>' : ''}</h3>
      <p>${kind} on ${esc(timeInWords(x.at))} by ${esc(byName(x.by))}, ${esc(viaInWords(x.via))}.${reviewed(x, proposalsById)}</p>
      ${(x.changes || []).length ? `<ul class="changes">${x.changes.map(changeItem).join('')}</ul>` : ''}
      ${restore}
    </li>`;
  }

  /** For a version that is an accepted proposal: who proposed it, and when. */
  function reviewed(x, proposalsById) {
    const m = /^review:(\d+)$/.exec(String(x.via || ''));
    const p = m && proposalsById.get(Number(m[1]));
    return p ? ` Proposed by ${esc(byName(p.by))} on ${esc(timeInWords(p.at))}.` : '';
  }

  function proposalHtml(p, canReview) {
    const state = { waiting: 'Waiting for an editor’s review', accepted: 'Accepted in review', rejected: 'Not accepted' }[p.state] || p.state;
    const n = esc(p.id);
    const decided = p.state !== 'waiting' && p.decided_at
      ? ` ${p.state === 'accepted' ? 'Accepted' : 'Not accepted'} on ${esc(timeInWords(p.decided_at))}${p.decided_by?.name ? ` by ${esc(p.decided_by.name)}` : ''}.` : '';
    const reason = p.state === 'rejected'
      ? `<p class="proposal__reason"><strong>Why it was not accepted:</strong> ${p.reason ? esc(p.reason) : 'no reason was recorded.'}</p>` : '';
    const review = canReview && p.state === 'waiting' ? `
      <p class="field-error" id="proposal-${n}-error" role="alert" hidden></p>
      <div class="ed-actions">
        <button type="button" class="button" data-accept="${n}">Accept this change<span class="visually-hidden"> (proposed change ${n})</span></button>
        <button type="button" class="button button--secondary" data-reject-open="${n}" aria-expanded="false" aria-controls="reject-form-${n}">Reject…<span class="visually-hidden"> (proposed change ${n})</span></button>
      </div>
      ${rejectFormHtml('reject', n, { question: `Why is proposed change ${n} not accepted?`, hint: 'The steward sees this reason in the place’s history.', submit: 'Reject this change' })}` : '';
    return `<li class="history__entry history__entry--proposal" data-proposal="${n}" data-state="${esc(p.state)}">
      <h3>Proposed change ${n}: ${esc(state)}</h3>
      <p>Proposed on ${esc(timeInWords(p.at))} by ${esc(byName(p.by))}, to version ${esc(p.base_version)}.${decided}</p>
      ${reason}
      ${(p.changes || []).length ? `<ul class="changes">${p.changes.map(changeItem).join('')}</ul>` : ''}
      ${review}
    </li>`;
  }

  async function openHistory(id, { focusHeading = true, name: given, notice = '' } = {}) {
    const name = given || (ctx.app.detailFeature?.id === id ? ctx.app.detailFeature.properties.name : id);
    ed.editing = null;
    ed.reviewList = false;
    removeMarker();
    ed.historyId = id;
    ed.historyName = name;
    showPanel(`<div class="detail__top"><button type="button" class="link-button detail__back" data-ed="cancel">
      <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M15 5l-7 7 7 7" fill="none" stroke="currentColor" stroke-width="2.5"/></svg>
      Back to the details</button></div>
      <h2 id="editor-heading" tabindex="-1">History of ${esc(name)}</h2>
      ${notice}
      <div id="history-body"><p class="loading">Loading the history…</p></div>`);
    // A notice (a decision just made) takes the focus at once, before the history has loaded,
    // so that it is what a screen reader says first.
    const shownNotice = notice ? $('editor').querySelector('.notice') : null;
    if (shownNotice) shownNotice.focus();
    else if (focusHeading) $('editor-heading').focus();
    let h;
    try {
      h = (await send('GET', `${itemUrl(id)}/history`)).data;
    } catch (e) {
      $('history-body').innerHTML = `<p role="alert">The history could not be loaded: ${esc(e.message)}</p>`;
      return;
    }
    if (ed.historyId !== id) return;
    const canRestore = isStaff() && h.current_version !== null;
    const entries = [...(h.entries || [])].reverse();
    const proposals = h.proposals || [];
    const waiting = proposals.filter((p) => p.state === 'waiting');
    $('history-body').innerHTML = `
      <p>${entries.length === 1 ? 'One version' : `${entries.length} versions`}, newest first.${h.current_version ? ` The map shows version ${esc(h.current_version)}.` : ' This place has been removed.'}</p>
      ${proposals.length ? `<section class="history__proposals" aria-labelledby="proposals-heading">
        <h3 id="proposals-heading">Stewards’ proposed changes${waiting.length ? ` (${waiting.length} waiting)` : ''}</h3>
        <ol class="history">${proposals.map((p) => proposalHtml(p, isStaff())).join('')}</ol></section>` : ''}
      <ol class="history" aria-label="Versions">${entries.map((x) => entryHtml(x, h.current_version, canRestore, new Map(proposals.map((p) => [Number(p.id), p])))).join('')}</ol>`;
    ed.historyCurrent = h.current_version;
    announce(`History loaded: ${entries.length} versions.`);
  }

  async function restore(id, version) {
    const ok = await confirmDialog({
      title: `Restore version ${version}?`,
      text: `The place will be as it was in version ${version}, saved as a new version. Nothing is lost: the history keeps every version.`,
      yes: 'Restore this version',
    });
    if (!ok) return;
    try {
      const r = await send('POST', `${itemUrl(id)}/history/${encodeURIComponent(version)}/restore`, { csrf: csrf(), ifMatch: ed.historyCurrent ?? undefined });
      const saved = r.data;
      if (r.etag) saved.properties.version = Number(r.etag) || saved.properties.version;
      setNotice(id, 'saved', `<p><strong>Version ${esc(version)} restored.</strong> It is saved as version ${esc(saved.properties.version)}.</p>`);
      closeEditor({ focus: false, back: false });
      ctx.refreshPoints();
      ctx.showFeature(saved);
      announce(`Version ${version} restored as version ${saved.properties.version}.`);
      $('detail-name')?.focus();
    } catch (e) {
      const body = $('history-body');
      body?.insertAdjacentHTML('afterbegin', `<p class="field-error" role="alert">Version ${esc(version)} was not restored: ${esc(e.message)}</p>`);
      if (e instanceof ApiError && e.status === 412) openHistory(id, { focusHeading: false });
    }
  }

  /* ----- review of stewards' changes (editors and admins) ----- */

  function proposalError(n, text) {
    const el = $(`proposal-${n}-error`);
    if (!el) return;
    el.textContent = text;
    el.hidden = false;
  }

  /** After a decision: the history again, with a notice on top that takes the focus. */
  async function afterDecision(id, html) {
    await openHistory(id, { focusHeading: false, name: ed.historyName, notice: `<div class="notice" id="review-notice" tabindex="-1">${html}</div>` });
    refreshWaiting();
  }

  async function acceptProposal(n) {
    const id = ed.historyId;
    const btn = document.querySelector(`[data-accept="${CSS.escape(String(n))}"]`);
    if (btn) btn.disabled = true;
    announce(`Accepting proposed change ${n}…`);
    try {
      const r = await send('POST', `/proposals/${encodeURIComponent(n)}/accept`, { csrf: csrf() });
      const saved = r.data;
      if (r.etag && saved?.properties) saved.properties.version = Number(r.etag) || saved.properties.version;
      const v = saved?.properties?.version;
      if (ctx.app.detailFeature?.id === id && saved) ctx.app.detailFeature = saved;
      ctx.refreshPoints();
      setNotice(id, 'saved', `<p><strong>Proposed change ${esc(n)} accepted.</strong> The map shows it now${v ? ` (version ${esc(v)})` : ''}.</p>`);
      await afterDecision(id, `<p><strong>Proposed change ${esc(n)} accepted.</strong> It is published${v ? ` as version ${esc(v)}` : ''}: the place’s details show it now.</p>`);
      announce(`Proposed change ${n} accepted and published.`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (btn) btn.disabled = false;
      const text = e.status === 409
        ? `The place changed since the steward proposed this, so it cannot be accepted as it is. ${e.message}`
        : `Proposed change ${n} was not accepted: ${e.message}`;
      proposalError(n, text);
      announce(text);
    }
  }

  async function rejectProposal(n) {
    const id = ed.historyId;
    const reason = $(`reject-reason-${n}`).value.trim();
    if (!reason) {
      rejectReasonError('reject', n, 'Say why the change is not accepted: the steward sees it.');
      announce('Say why the change is not accepted.');
      return;
    }
    rejectReasonError('reject', n, '');
    const btn = $(`reject-form-${n}`).querySelector('[type=submit]');
    btn.disabled = true;
    try {
      await send('POST', `/proposals/${encodeURIComponent(n)}/reject`, { body: { reason }, csrf: csrf() });
      ctx.refreshPoints();
      await afterDecision(id, `<p><strong>Proposed change ${esc(n)} rejected.</strong> Nothing was published; the steward sees your reason in the place’s history.</p>`);
      announce(`Proposed change ${n} rejected.`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      btn.disabled = false;
      const field = e.invalidParams.find((x) => x.name === 'reason');
      if (field) rejectReasonError('reject', n, capital(field.reason));
      else rejectReasonError('reject', n, `Not rejected: ${e.message}`);
    }
  }

  /** The count on the header button: the changes waiting for review (editors and admins). */
  async function refreshWaiting() {
    const btn = $('review-open');
    if (!isStaff()) {
      btn.hidden = true;
      return null;
    }
    btn.hidden = false;
    try {
      const r = await send('GET', '/proposals?state=waiting');
      const list = r.data?.proposals || [];
      $('review-count').textContent = String(list.length);
      return list;
    } catch {
      $('review-count').textContent = '?';
      return null;
    }
  }

  async function openReviewList() {
    ed.notice = null;
    ed.editing = null;
    ed.historyId = null;
    removeMarker();
    ed.reviewList = true;
    showPanel(`<div class="detail__top"><button type="button" class="link-button detail__back" data-ed="cancel">
      <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M15 5l-7 7 7 7" fill="none" stroke="currentColor" stroke-width="2.5"/></svg>
      Back to the list of places</button></div>
      <h2 id="editor-heading" tabindex="-1">Changes waiting for review</h2>
      <div id="review-body"><p class="loading">Loading the changes…</p></div>`);
    $('editor-heading').focus();
    const list = await refreshWaiting();
    if (!ed.reviewList) return;
    if (!list) {
      $('review-body').innerHTML = '<p role="alert">The changes waiting for review could not be loaded. Try again.</p>';
      return;
    }
    const items = list.map((p) => `<li class="history__entry history__entry--proposal" data-proposal="${esc(p.id)}">
      <h3><bdi>${esc(p.asset_name || p.asset)}</bdi></h3>
      <p>Proposed change ${esc(p.id)} by ${esc(byName(p.by))} on ${esc(timeInWords(p.at))}, to version ${esc(p.base_version)}.</p>
      ${(p.changes || []).length ? `<ul class="changes">${p.changes.map(changeItem).join('')}</ul>` : '<p>It changes nothing that shows here.</p>'}
      <button type="button" class="button button--secondary" data-review-history="${esc(p.asset)}" data-name="${esc(p.asset_name || p.asset)}">Review it in the history<span class="visually-hidden"> of ${esc(p.asset_name || p.asset)}</span></button>
    </li>`);
    $('review-body').innerHTML = list.length
      ? `<p>${list.length === 1 ? 'One change' : `${list.length} changes`} from stewards ${list.length === 1 ? 'waits' : 'wait'} for an editor’s review. Open a place’s history to accept or reject its change.</p>
        <ol class="history review-list" aria-label="Changes waiting for review">${items.join('')}</ol>`
      : '<p>No changes are waiting for review.</p>';
    announce(list.length ? `${list.length} changes wait for review.` : 'No changes are waiting for review.');
  }

  /* ----- inviting the group that runs a place (editors and admins) ----- */

  function openInvite(f) {
    const dlg = $('invite-dialog');
    ed.inviteFor = f;
    ed.opener = document.activeElement;
    $('invite-place').textContent = f.properties.name;
    $('invite-form').hidden = false;
    $('invite-result').hidden = true;
    dlg.setAttribute('aria-labelledby', 'invite-heading');
    $('invite-review').checked = true;
    $('invite-days').value = '14';
    $('invite-days').removeAttribute('aria-invalid');
    $('invite-days').setAttribute('aria-describedby', 'invite-days-hint');
    $('invite-error').hidden = true;
    $('invite-error').textContent = '';
    $('invite-link').value = '';
    $('invite-copy-status').textContent = '';
    dlg.showModal();
    $('invite-review').focus();
  }

  async function onInvite(ev) {
    ev.preventDefault();
    const f = ed.inviteFor;
    if (!f) return;
    const err = $('invite-error');
    const raw = $('invite-days').value.trim();
    const days = Number(raw);
    const bad = (text) => {
      err.textContent = text;
      err.hidden = false;
      $('invite-days').setAttribute('aria-invalid', 'true');
      $('invite-days').setAttribute('aria-describedby', 'invite-error invite-days-hint');
      $('invite-days').focus();
    };
    if (!/^\d{1,3}$/.test(raw) || days < 1 || days > 366) {
      bad('Days the link works: enter a whole number of days from 1 to 366.');
      return;
    }
    const btn = $('invite-submit');
    btn.disabled = true;
    try {
      const r = await send('POST', '/invitations', { body: { assets: [f.id], review: $('invite-review').checked, days }, csrf: csrf() });
      const { url, expires_at: expires } = r.data || {};
      $('invite-link').value = url || '';
      $('invite-expiry').textContent = timeInWords(expires);
      $('invite-result-place').textContent = f.properties.name;
      $('invite-result-review').textContent = $('invite-review').checked
        ? 'Their changes will wait for an editor’s review.' : 'Their changes will show on the map straight away.';
      $('invite-form').hidden = true;
      $('invite-result').hidden = false;
      $('invite-dialog').setAttribute('aria-labelledby', 'invite-result-heading');
      $('invite-link').focus();
      $('invite-link').select();
      announce(`Invitation link made for ${f.properties.name}. It works once and is shown only now.`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      const field = e.invalidParams.find((x) => x.name === 'days');
      if (field) bad(`Days the link works: ${field.reason}`);
      else {
        err.textContent = `No invitation was made: ${e.message}`;
        err.hidden = false;
        $('invite-submit').focus();
      }
    } finally {
      btn.disabled = false;
    }
  }

  const copyInvite = () => copyLink($('invite-link'), $('invite-copy-status'), 'The link is copied: paste it into your message to the group.');

  /* ----- events ----- */

  function onClick(ev) {
    const act = ev.target.closest('#detail [data-ed]')?.dataset.ed;
    const f = ctx.app.detailFeature;
    if (act && f) {
      if (act === 'edit') openEditor(f.id);
      else if (act === 'history') openHistory(f.id);
      else if (act === 'close') setStatus(f, 'closed');
      else if (act === 'reopen') setStatus(f, 'active');
      else if (act === 'verify') verify(f);
      else if (act === 'invite') openInvite(f);
      return;
    }
  }

  function wire() {
    $('sign-in-open').addEventListener('click', openSignIn);
    $('signin-form').addEventListener('submit', onSignIn);
    $('signin-cancel').addEventListener('click', () => $('signin-dialog').close());
    $('signin-dialog').addEventListener('close', () => {
      if ($('signin-dialog').returnValue !== 'signed-in') (ed.opener || $('sign-in-open'))?.focus?.();
      $('signin-dialog').returnValue = '';
    });
    $('sign-out').addEventListener('click', signOut);
    $('add-place').addEventListener('click', () => openEditor(null));
    document.addEventListener('click', onClick);
    $('editor').addEventListener('click', onPanelClick);
    $('editor').addEventListener('submit', (ev) => {
      if (review.onSubmit(ev)) return;
      const form = ev.target.closest('[data-reject-form]');
      if (!form) return;
      ev.preventDefault();
      rejectProposal(Number(form.dataset.rejectForm));
    });
    $('review-open').addEventListener('click', openReviewList);
    $('suggestions-open').addEventListener('click', () => {
      ed.notice = null;
      ed.editing = null;
      ed.historyId = null;
      ed.reviewList = false;
      removeMarker();
      review.open();
    });
    $('invite-form').addEventListener('submit', onInvite);
    $('invite-cancel').addEventListener('click', () => $('invite-dialog').close());
    $('invite-done').addEventListener('click', () => $('invite-dialog').close());
    $('invite-copy').addEventListener('click', copyInvite);
    $('invite-dialog').addEventListener('close', () => {
      ed.inviteFor = null;
      $('invite-link').value = ''; // shown once: not kept in the page once the dialog is closed
      ed.opener?.focus?.();
    });
  }

  wire();

  return {
    loadSession,
    decorateDetail,
    mayEdit,
    get account() { return account(); },
    get active() { return Boolean(ed.editing || ed.historyId || ed.reviewList || review.isOpen); },
    /** Leaves the editor or history without going back to anything (another place was chosen). */
    leave() {
      if (ed.editing || ed.historyId || ed.reviewList || review.isOpen) closeEditor({ focus: false, back: false });
    },
    /** A notice ("Saved.") belongs to the place just written; any other place, or none, drops it. */
    clearNotice(id) {
      if (ed.notice && (id === undefined || ed.notice.id !== id)) ed.notice = null;
    },
  };
}
