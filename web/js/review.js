// The editors' queue of suggestions from the public (issue 18, spec/suggestions.md), in the
// editing panel: each suggestion with what it would change; show it on the map; accept it as it
// is, edit it then accept (the edit form of editing.js), or reject it with a reason. With links
// to download the queue, to the places not checked lately, and to a private feed of them.

import { ApiError, send } from './api.js';
import { esc } from './render.js';
import {
  announce, capital, copyLink, FIELD_LABELS, rejectFormHtml, rejectReasonError, timeInWords, toggleRejectForm, valueInWords,
} from './editing.js';

const $ = (id) => document.getElementById(id);
const DAY_MS = 24 * 60 * 60 * 1000;

/** ", oldest 3 days" after the count of suggestions waiting ("" when none wait). */
export function oldestInWords(oldestIso, now = new Date()) {
  const t = new Date(oldestIso).getTime();
  if (!oldestIso || Number.isNaN(t)) return '';
  const days = Math.max(0, Math.floor((now.getTime() - t) / DAY_MS));
  if (days === 0) return ', oldest today';
  return `, oldest ${days === 1 ? '1 day' : `${days} days`}`;
}

/** What a suggestion is, in words: a change, a move, a closure, a place we are missing. */
export function kindInWords(s) {
  if (s.kind === 'closed') return 'It has closed';
  if (s.kind === 'new') return 'A place we’re missing';
  return s.suggested?.geometry ? 'It has moved' : 'A change';
}

function changesTable(s) {
  const rows = (s.changes || []).map((c) => {
    const label = FIELD_LABELS[c.field] || c.label || c.field;
    const before = s.kind === 'new' ? '' : valueInWords(c.field, c.before);
    return `<tr><th scope="row">${esc(label)}</th>
      ${s.kind === 'new' ? '' : `<td><span class="change__before">${esc(before)}</span></td>`}
      <td><span class="change__after">${esc(valueInWords(c.field, c.after))}</span></td></tr>`;
  });
  if (!rows.length) return '<p>It changes nothing that shows here: see the note.</p>';
  return `<table class="suggestion-changes">
      <caption>${s.kind === 'new' ? 'What we were told' : 'What it would change'}</caption>
      <thead><tr><th scope="col">Detail</th>${s.kind === 'new' ? '' : '<th scope="col">Now</th>'}<th scope="col">Suggested</th></tr></thead>
      <tbody>${rows.join('')}</tbody>
    </table>`;
}

function suggestionHtml(s, { mayAccept }) {
  const n = esc(s.id);
  const name = s.asset_name || s.suggested?.properties?.name || s.asset || 'a place';
  const what = kindInWords(s);
  return `<li class="history__entry suggestion" data-suggestion="${n}" data-kind="${esc(s.kind)}">
      <h3>${esc(what)}: <bdi>${esc(name)}</bdi></h3>
      <p class="suggestion__meta">Suggestion ${n}, sent on ${esc(timeInWords(s.at))}.</p>
      ${s.note ? `<p class="suggestion__note"><strong>Note:</strong> ${esc(s.note)}</p>` : ''}
      <p class="suggestion__contact">${s.contact ? `<strong>Contact:</strong> ${esc(s.contact)}` : 'No contact given.'}</p>
      ${changesTable(s)}
      <p class="field-error" id="sg-item-${n}-error" role="alert" hidden></p>
      <div class="ed-actions">
        ${s.location ? `<button type="button" class="button button--secondary" data-sg-show="${n}">Show on map<span class="visually-hidden"> (suggestion ${n})</span></button>` : ''}
        ${mayAccept ? `<button type="button" class="button" data-sg-accept="${n}">Accept<span class="visually-hidden"> suggestion ${n}</span></button>
        <button type="button" class="button button--secondary" data-sg-edit="${n}">Edit, then accept<span class="visually-hidden"> suggestion ${n}</span></button>` : ''}
        <button type="button" class="button button--secondary" data-sg-reject-open="${n}" aria-expanded="false" aria-controls="sg-reject-form-${n}">Reject…<span class="visually-hidden"> (suggestion ${n})</span></button>
      </div>
      ${rejectFormHtml('sg-reject', n, { question: `Why is suggestion ${n} not accepted?`, hint: 'Kept with the suggestion, for the other editors.', submit: 'Reject this suggestion' })}
    </li>`;
}

/**
 * deps: { ctx (editing's: app, refreshPoints, ensureMapMode), csrf(), account(), isStaff(),
 *         showPanel(html), editSuggestion(suggestion) }
 */
export function createReview(deps) {
  const rv = {
    isOpen: false,
    list: [], // the suggestions shown
    markers: [],
  };

  function removeMarkers() {
    for (const m of rv.markers) m.remove();
    rv.markers = [];
  }

  /** The count on the header button: suggestions waiting that this account may decide. */
  async function refreshCount() {
    const btn = $('suggestions-open');
    if (!deps.account()) {
      btn.hidden = true;
      return null;
    }
    try {
      const r = await send('GET', '/suggestions?state=waiting');
      $('suggestions-count').textContent = String(r.data?.waiting ?? 0);
      $('suggestions-age').textContent = oldestInWords(r.data?.oldest_waiting_at);
      btn.hidden = false;
      return r.data;
    } catch {
      // A server without suggestions (or a role that sees none): no button.
      btn.hidden = true;
      return null;
    }
  }

  /** The queue, in the editing panel; `notice` (HTML) on top takes the focus. */
  async function open({ notice = '', focusOn = null } = {}) {
    removeMarkers();
    rv.isOpen = true;
    deps.showPanel(`<div class="detail__top"><button type="button" class="link-button detail__back" data-ed="cancel">
      <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M15 5l-7 7 7 7" fill="none" stroke="currentColor" stroke-width="2.5"/></svg>
      Back to the list of places</button></div>
      <h2 id="editor-heading" tabindex="-1">Suggestions from the public</h2>
      ${notice ? `<div class="notice" id="queue-notice" tabindex="-1">${notice}</div>` : ''}
      <div class="queue-links">
        <p>Download the queue: <a href="/suggestions?state=all&amp;f=csv" download="suggestions.csv">CSV</a> · <a href="/suggestions?state=all&amp;f=json">JSON</a></p>
        <p><a href="/stale">Places not checked lately</a></p>
        <p><button type="button" class="link-button" data-sg-feed aria-controls="queue-feed" aria-expanded="false">Get a feed link for the places you keep</button></p>
        <div class="queue-feed" id="queue-feed" hidden></div>
      </div>
      <div id="queue-body"><p class="loading">Loading the suggestions…</p></div>`);
    if (notice) $('queue-notice').focus();
    else if (!focusOn) $('editor-heading').focus();
    let data;
    try {
      data = (await send('GET', '/suggestions?state=waiting')).data;
    } catch (e) {
      if (rv.isOpen) $('queue-body').innerHTML = `<p role="alert">The suggestions could not be loaded: ${esc(e.message)}</p>`;
      return;
    }
    if (!rv.isOpen) return;
    rv.list = data.suggestions || [];
    $('suggestions-count').textContent = String(data.waiting ?? rv.list.length);
    $('suggestions-age').textContent = oldestInWords(data.oldest_waiting_at);
    const n = rv.list.length;
    $('queue-body').innerHTML = n
      ? `<p>${n === 1 ? 'One suggestion waits' : `${n} suggestions wait`}, oldest first. Nothing in them shows on the map until it is accepted.</p>
        <ol class="history review-list" aria-label="Suggestions waiting">${rv.list.map((s) => suggestionHtml(s, { mayAccept: deps.isStaff() || s.kind !== 'new' })).join('')}</ol>`
      : '<p>No suggestions are waiting.</p>';
    if (focusOn) (document.querySelector(focusOn) || $('editor-heading')).focus();
    if (!notice) announce(n ? `${n} suggestions wait.` : 'No suggestions are waiting.');
  }

  const find = (n) => rv.list.find((s) => String(s.id) === String(n));

  function itemError(n, text) {
    const el = $(`sg-item-${n}-error`);
    if (!el) return;
    el.textContent = text;
    el.hidden = false;
    announce(text);
  }

  /** After a decision: the queue again, the map's points and the count too. */
  async function afterDecision(html) {
    deps.ctx.refreshPoints();
    await open({ notice: html });
    refreshCount();
  }

  async function accept(n) {
    const s = find(n);
    const btn = document.querySelector(`[data-sg-accept="${CSS.escape(String(n))}"]`);
    if (btn) btn.disabled = true;
    announce(`Accepting suggestion ${n}…`);
    try {
      const r = await send('POST', `/suggestions/${encodeURIComponent(n)}/accept`, { csrf: deps.csrf() });
      const name = r.data?.properties?.name || s?.asset_name || '';
      if (deps.ctx.app.detailFeature?.id === r.data?.id) deps.ctx.app.detailFeature = r.data;
      await afterDecision(`<p><strong>Suggestion ${esc(n)} accepted.</strong> ${name ? `<bdi>${esc(name)}</bdi> on the map` : 'The map'} shows it now.</p>`);
      announce(`Suggestion ${n} accepted.`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (btn) btn.disabled = false;
      const missing = e.invalidParams.map((p) => FIELD_LABELS[String(p.name).split(/[.[]/)[0]] || p.name);
      const text = e.status === 422 || e.status === 400
        ? `Suggestion ${n} cannot be accepted as it is${missing.length ? `: ${missing.join(', ')} ${missing.length === 1 ? 'needs' : 'need'} filling in` : ''}. Use “Edit, then accept” to add what it lacks.`
        : `Suggestion ${n} was not accepted: ${e.message}`;
      itemError(n, text);
    }
  }

  async function reject(n) {
    const reason = $(`sg-reject-reason-${n}`).value.trim();
    if (!reason) {
      rejectReasonError('sg-reject', n, 'Say why the suggestion is not accepted: it is kept with it.');
      announce('Say why the suggestion is not accepted.');
      return;
    }
    rejectReasonError('sg-reject', n, '');
    const btn = $(`sg-reject-form-${n}`).querySelector('[type=submit]');
    btn.disabled = true;
    try {
      await send('POST', `/suggestions/${encodeURIComponent(n)}/reject`, { body: { reason }, csrf: deps.csrf() });
      await afterDecision(`<p><strong>Suggestion ${esc(n)} rejected.</strong> Nothing changes on the map; your reason is kept with it.</p>`);
      announce(`Suggestion ${n} rejected.`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      btn.disabled = false;
      const field = e.invalidParams.find((x) => x.name === 'reason');
      rejectReasonError('sg-reject', n, field ? capital(field.reason) : `Not rejected: ${e.message}`);
    }
  }

  /** Flies to where the suggestion is, with a marker there; for a move, one at the place too. */
  async function show(n) {
    const s = find(n);
    if (!s?.location) return;
    await deps.ctx.ensureMapMode();
    const view = deps.ctx.app.map;
    if (!view?.loaded || !window.maplibregl) {
      itemError(n, `The map cannot be shown here. The place is at ${valueInWords('geometry', s.location)}.`);
      return;
    }
    removeMarkers();
    const mark = (at, color, cls) => {
      const m = new window.maplibregl.Marker({ color }).setLngLat(at).addTo(view.map);
      const el = m.getElement();
      el.classList.add('sg-spot', cls);
      el.setAttribute('aria-hidden', 'true');
      el.removeAttribute('tabindex');
      el.removeAttribute('role');
      el.removeAttribute('aria-label');
      rv.markers.push(m);
    };
    const was = (s.changes || []).find((c) => c.field === 'geometry')?.before;
    if (s.kind !== 'new' && Array.isArray(was)) mark(was, '#6f777b', 'sg-spot--was');
    mark(s.location, '#6a1b9a', 'sg-spot--suggested');
    view.map.easeTo({ center: s.location, zoom: Math.max(view.map.getZoom(), 16), duration: 600 });
    if ($('map').getBoundingClientRect().top < 0) $('map-area').scrollIntoView({ block: 'start' });
    announce(Array.isArray(was)
      ? `The map shows suggestion ${n}: the purple pin is where it is said to be now, the grey one where the map has it.`
      : `The map shows suggestion ${n} with a purple pin.`);
  }

  async function feed(btn) {
    const box = $('queue-feed');
    btn.disabled = true;
    try {
      const r = await send('POST', '/auth/feed', { csrf: deps.csrf() });
      box.innerHTML = `<div class="field">
          <label for="queue-feed-link">Your feed link</label>
          <input type="text" id="queue-feed-link" readonly spellcheck="false" aria-describedby="queue-feed-hint">
        </div>
        <p class="hint" id="queue-feed-hint">Put it in a feed reader to hear of the places you keep that nobody has checked lately. Keep it to yourself: anyone with it can read the feed. Getting a new link stops the old one working.</p>
        <p><button type="button" class="button button--secondary" data-sg-feed-copy>Copy link</button></p>
        <p class="queue-feed__status" id="queue-feed-status" role="status" aria-live="polite"></p>`;
      $('queue-feed-link').value = r.data?.url || '';
      box.hidden = false;
      btn.setAttribute('aria-expanded', 'true');
      $('queue-feed-link').focus();
      $('queue-feed-link').select();
      announce('Your feed link is made.');
    } catch (e) {
      box.innerHTML = `<p class="field-error" role="alert">No feed link was made: ${esc(e.message)}</p>`;
      box.hidden = false;
    } finally {
      btn.disabled = false;
    }
  }

  /** Clicks in the editing panel that are the queue's; true when one was. */
  function onClick(ev) {
    if (!rv.isOpen) return false;
    const t = ev.target;
    const on = (attr) => t.closest(`[${attr}]`);
    let b;
    if ((b = on('data-sg-accept'))) accept(b.dataset.sgAccept);
    else if ((b = on('data-sg-edit'))) {
      const s = find(b.dataset.sgEdit);
      if (s) deps.editSuggestion(s);
    } else if ((b = on('data-sg-reject-open'))) toggleRejectForm('sg-reject', b.dataset.sgRejectOpen, $(`sg-reject-form-${b.dataset.sgRejectOpen}`)?.hidden);
    else if ((b = on('data-sg-reject-cancel'))) toggleRejectForm('sg-reject', b.dataset.sgRejectCancel, false);
    else if ((b = on('data-sg-show'))) show(b.dataset.sgShow);
    else if ((b = on('data-sg-feed'))) feed(b);
    else if (on('data-sg-feed-copy')) copyLink($('queue-feed-link'), $('queue-feed-status'), 'The link is copied: paste it into your feed reader.');
    else return false;
    return true;
  }

  function onSubmit(ev) {
    const form = ev.target.closest('[data-sg-reject-form]');
    if (!form) return false;
    ev.preventDefault();
    reject(form.dataset.sgRejectForm);
    return true;
  }

  return {
    open,
    refreshCount,
    onClick,
    onSubmit,
    get isOpen() { return rv.isOpen; },
    /** The queue is left (the panel shows something else, or closes). */
    leave() {
      rv.isOpen = false;
      removeMarkers();
    },
  };
}
