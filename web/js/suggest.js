// Suggestions from anyone, without an account (issue 18, spec/suggestions.md): on a place's
// details, "Suggest a change" and "It has closed or moved"; at the foot of the list, "Add a
// place we're missing". The forms open in the side panel, beside the map, so that the pin can be
// put on it. Nothing a suggestion says reaches the map until an editor has looked at it.

import { ApiError, send } from './api.js';
import { esc } from './render.js';
import { announce, fieldErrors, fieldHtml, followErrorLink, pinInStep } from './editing.js';

const $ = (id) => document.getElementById(id);

/** How long a contact is kept after the decision, in words: "30 days", "1 day", "less than a day". */
export function keptInWords(days) {
  const n = days === null || days === undefined || days === '' ? NaN : Number(days);
  if (!Number.isFinite(n) || n < 0) return null;
  if (n < 1) return 'less than a day';
  const whole = Math.round(n);
  return whole === 1 ? '1 day' : `${whole} days`;
}

/** The sentence every form says about the contact (policy from GET /suggestions/policy). */
export function retentionInWords(days) {
  const kept = keptInWords(days);
  return kept
    ? `If you leave a contact, we keep it until an editor has looked at your suggestion, then ${kept}, then erase it.`
    : 'If you leave a contact, we keep it until an editor has looked at your suggestion, then for a short time, then erase it.';
}

const blank = (v) => v === undefined || v === null || String(v).trim() === '';
const same = (a, b) => (blank(a) && blank(b)) || String(a ?? '').trim() === String(b ?? '').trim();

/**
 * The properties a person changed: `edited` holds the form's values (name, description, address,
 * postcode, phone, email, website), `current` the place's properties. Emptied fields are null;
 * a changed contact detail sends the whole contact, with the others as they were.
 */
export function changedProperties(current, edited) {
  const out = {};
  for (const k of ['name', 'description', 'address', 'postcode']) {
    if (k in edited && !same(current[k], edited[k])) out[k] = blank(edited[k]) ? null : edited[k].trim();
  }
  const was = current.contact || {};
  const keys = ['phone', 'email', 'website'].filter((k) => k in edited);
  if (keys.some((k) => !same(was[k], edited[k]))) {
    const contact = { ...was };
    for (const k of keys) {
      if (blank(edited[k])) delete contact[k];
      else contact[k] = edited[k].trim();
    }
    out.contact = contact;
  }
  return out;
}

/**
 * The form's name for a field the server names: the place's fields come back with
 * "properties." from the suggestion's own checks but without it from the place's validation
 * ("postcode", "contact.email"); "contact" alone is the suggester's, "website" the honeypot.
 */
export function formParamName(name) {
  const n = String(name ?? '');
  const head = n.split(/[.[]/)[0];
  if (n === 'contact' || ['', 'kind', 'asset', 'note', 'website', 'geometry', 'properties'].includes(head)) return n;
  return `properties.${n}`;
}

/** "Try again in about 20 minutes" from a Retry-After in seconds. */
export function retryInWords(seconds) {
  const s = Number(seconds);
  if (!Number.isFinite(s) || s <= 0) return 'Try again later.';
  if (s < 90) return 'Try again in a minute or two.';
  if (s < 5400) return `Try again in about ${Math.round(s / 60)} minutes.`;
  return `Try again in about ${Math.round(s / 3600)} hours.`;
}

/* ---------------- the forms ---------------- */

const HEADINGS = {
  change: (name) => `Suggest a change to ${esc(name)}`,
  gone: (name) => `Has ${esc(name)} closed or moved?`,
  new: () => 'Add a place we’re missing',
};

const text = (id, label, param, { hint, max = 300, type = 'text', cls = '', extra = '' } = {}) => fieldHtml(
  id, label, `<INPUT type="${type}" autocomplete="off" maxlength="${max}"${cls ? ` class="${cls}"` : ''}${extra}>`, { hint, param },
);
const area = (id, label, param, { hint, max = 2000, rows = 4 } = {}) => fieldHtml(
  id, label, `<TEXTAREA rows="${rows}" maxlength="${max}"></textarea>`, { hint, param },
);

function placeFields() {
  return `
    ${text('sg-name', 'Name', 'properties.name', { max: 200 })}
    ${area('sg-description', 'What it is and what happens there', 'properties.description', { max: 5000 })}
    ${text('sg-address', 'Address', 'properties.address')}
    ${text('sg-postcode', 'Postcode', 'properties.postcode', { cls: 'ed-short', max: 10 })}
    ${text('sg-phone', 'Phone', 'properties.contact.phone', { type: 'tel', max: 50 })}
    ${text('sg-email', 'E-mail address', 'properties.contact.email', { type: 'email', max: 200 })}
    ${text('sg-place-website', 'Website', 'properties.contact.website', { type: 'url', hint: 'The full address, starting https://' })}`;
}

/** Longitude and latitude, with the map pin kept in step (pinInStep). */
function pinFields(legend, hint) {
  return `<fieldset class="ed-group" id="sg-where" data-param="geometry" aria-describedby="sg-pin-hint">
      <legend>${esc(legend)}</legend>
      <p class="hint" id="sg-pin-hint">${esc(hint)}</p>
      <div class="ed-row">
        ${text('sg-lon', 'Longitude', 'geometry.coordinates.lon', { cls: 'ed-short', max: 20, extra: ' inputmode="decimal"' })}
        ${text('sg-lat', 'Latitude', 'geometry.coordinates.lat', { cls: 'ed-short', max: 20, extra: ' inputmode="decimal"' })}
      </div>
    </fieldset>`;
}

function formHtml(mode, name, policy) {
  const rows = [];
  if (mode === 'change') {
    rows.push('<p class="hint">Correct what is wrong in the boxes below, or tell us in the note. Leave the rest as it is.</p>');
    rows.push(placeFields());
    rows.push(area('sg-note', 'What should we change?', 'note', { hint: 'For example “They meet on Tuesdays now, not Mondays”. Opening times go here too.' }));
  } else if (mode === 'gone') {
    rows.push(`<fieldset class="ed-group" id="sg-what" data-param="kind">
        <legend>What has happened?</legend>
        <div class="sg-choices">
          <label class="ed-check"><input type="radio" name="sg-what" id="sg-closed" value="closed" checked> <span>It has closed</span></label>
          <label class="ed-check"><input type="radio" name="sg-what" id="sg-moved" value="moved"> <span>It has moved</span></label>
        </div>
      </fieldset>
      <div class="sg-moved" id="sg-moved-fields" hidden>
        ${pinFields('Where it is now', 'Drag the pin on the map to where it is now, or click the map there, or type the longitude and latitude (for example −2.31970 and 53.42460).')}
        ${text('sg-address', 'New address', 'properties.address')}
        ${text('sg-postcode', 'New postcode', 'properties.postcode', { cls: 'ed-short', max: 10 })}
      </div>`);
    rows.push(area('sg-note', 'Anything else we should know?', 'note', { hint: 'For example when it closed, or where it meets now.' }));
  } else {
    rows.push('<p class="hint">Only the name and where it is are needed. Tell us what you know; an editor fills in the rest.</p>');
    rows.push(text('sg-name', 'Name (required)', 'properties.name', { max: 200 }));
    rows.push(area('sg-description', 'What it is', 'properties.description', { max: 5000, hint: 'For example “A choir for anyone who likes singing, no experience needed”.' }));
    rows.push(pinFields('Where it is (required)', 'Click the map where it is, then drag the pin to the exact spot; or type the longitude and latitude (for example −2.31970 and 53.42460).'));
    rows.push(text('sg-address', 'Address', 'properties.address'));
    rows.push(text('sg-postcode', 'Postcode', 'properties.postcode', { cls: 'ed-short', max: 10 }));
    rows.push(text('sg-when', 'When it meets or opens', 'properties.opening_times', { max: 500, hint: 'For example “Thursdays 7pm to 9pm, not in August”.' }));
    rows.push(text('sg-place-website', 'Website', 'properties.contact.website', { type: 'url', hint: 'The full address, starting https://' }));
    rows.push(text('sg-phone', 'Phone', 'properties.contact.phone', { type: 'tel', max: 50 }));
    rows.push(area('sg-note', 'Anything else?', 'note', { rows: 3 }));
  }
  return `
    <div class="detail__top"><button type="button" class="link-button detail__back" data-sg="cancel">
      <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M15 5l-7 7 7 7" fill="none" stroke="currentColor" stroke-width="2.5"/></svg>
      ${mode === 'new' ? 'Back to the list without sending' : 'Back to the details without sending'}</button></div>
    <h2 id="suggest-heading" tabindex="-1">${HEADINGS[mode](name)}</h2>
    <div class="error-summary" id="sg-errors" role="alert" tabindex="-1" aria-labelledby="sg-errors-heading" hidden>
      <h3 id="sg-errors-heading">There is a problem</h3>
      <ul></ul>
    </div>
    <form id="sg-form" class="ed-form" novalidate>
      ${rows.join('')}
      <fieldset class="ed-group">
        <legend>You (if you like)</legend>
        ${text('sg-contact', 'Your e-mail address or phone number', 'contact', { max: 200, hint: `Only if an editor may ask you about this. ${esc(retentionInWords(policy?.contact_kept_days))}` })}
      </fieldset>
      <div class="sg-trap" aria-hidden="true">
        <label for="sg-website">Leave this empty</label>
        <input type="text" id="sg-website" name="website" data-param="website" class="sg-trap__input" tabindex="-1" autocomplete="off" aria-hidden="true">
      </div>
      <p>An editor looks at every suggestion. Nothing changes on the map until then.</p>
      <div class="ed-actions">
        <button type="submit" class="button" id="sg-send">Send the suggestion</button>
        <button type="button" class="button button--secondary" data-sg="cancel">Cancel</button>
      </div>
    </form>`;
}

/* ---------------- the module ---------------- */

/** ctx: { app, ensureMapMode(), leaveEditing() } */
export function createSuggest(ctx) {
  const sg = {
    mode: null, // 'change' | 'gone' | 'new' while a form is open
    place: null, // the Feature a change is about
    opener: null,
    pin: null,
    policy: null,
  };
  const panel = $('suggest');
  const val = (id) => ($(id)?.value ?? '').trim();

  async function policy() {
    if (sg.policy) return sg.policy;
    try {
      sg.policy = (await send('GET', '/suggestions/policy')).data;
    } catch {
      return null; // the form still works; it says "for a short time"
    }
    return sg.policy;
  }

  function removePin() {
    sg.pin?.remove();
    sg.pin = null;
  }

  function startPin() {
    removePin();
    sg.pin = pinInStep(ctx.app.map, $('sg-lon'), $('sg-lat'), {
      clickToPlace: true,
      className: 'ed-pin sg-pin',
      moved: (ll, how) => {
        if (how !== 'typed') announce(`Pin put at latitude ${ll.lat.toFixed(5)}, longitude ${ll.lng.toFixed(5)}.`);
      },
    });
  }

  async function open(mode, place) {
    sg.opener = document.activeElement;
    ctx.leaveEditing();
    if (mode !== 'change') await ctx.ensureMapMode();
    const pol = await policy();
    sg.mode = mode;
    sg.place = place || null;
    sg.detailWasOpen = !$('detail').hidden;
    panel.innerHTML = formHtml(mode, place?.properties.name || '', pol);
    panel.hidden = false;
    $('results-body').hidden = true;
    $('detail').hidden = true;
    document.body.classList.add('has-detail', 'is-suggesting');
    if (place) {
      const p = place.properties;
      const c = p.contact || {};
      const put = (id, v) => { if ($(id)) $(id).value = v ?? ''; };
      if (mode === 'change') {
        put('sg-name', p.name);
        put('sg-description', p.description);
        put('sg-phone', c.phone);
        put('sg-email', c.email);
        put('sg-place-website', c.website);
      }
      put('sg-address', p.address);
      put('sg-postcode', p.postcode);
      const [lon, lat] = place.geometry?.coordinates || [];
      if (lon !== undefined) {
        put('sg-lon', Number(lon).toFixed(6));
        put('sg-lat', Number(lat).toFixed(6));
      }
    }
    if (mode === 'new') startPin();
    panel.scrollIntoView({ block: 'start' });
    $('suggest-heading').focus();
  }

  function close({ focus = true, back = true } = {}) {
    if (!sg.mode) return;
    sg.mode = null;
    removePin();
    panel.hidden = true;
    panel.innerHTML = '';
    document.body.classList.remove('is-suggesting');
    if (!back) return;
    if (sg.detailWasOpen && ctx.app.detailFeature) {
      $('detail').hidden = false;
    } else {
      $('results-body').hidden = false;
      document.body.classList.remove('has-detail');
    }
    if (!focus) return;
    const opener = sg.opener?.isConnected ? sg.opener : null;
    (opener || document.querySelector(`#detail [data-suggest="${sg.openedAs}"]`) || $('suggest-new'))?.focus();
  }

  function onWhatChange() {
    const moved = $('sg-moved')?.checked;
    $('sg-moved-fields').hidden = !moved;
    if (moved && !sg.pin) startPin();
    if (!moved) removePin();
  }

  /** The suggestion the form describes; `local` collects what cannot even be sent. */
  function readForm(local) {
    const body = { kind: sg.mode === 'new' ? 'new' : 'change', website: $('sg-website').value };
    const note = val('sg-note');
    const contact = val('sg-contact');
    if (note) body.note = note;
    if (contact) body.contact = contact;
    const point = () => {
      const lon = Number(val('sg-lon').replace('−', '-'));
      const lat = Number(val('sg-lat').replace('−', '-'));
      if (val('sg-lon') === '' || val('sg-lat') === '' || !Number.isFinite(lon) || !Number.isFinite(lat)
        || Math.abs(lon) > 180 || Math.abs(lat) > 90) {
        local.push({ name: 'geometry', reason: sg.mode === 'new'
          ? 'put the pin on the map where it is, or type its longitude and latitude (for example -2.3197 and 53.4246)'
          : 'put the pin where it is now, or type its longitude and latitude (for example -2.3197 and 53.4246)' });
        return null;
      }
      return { type: 'Point', coordinates: [lon, lat] };
    };
    if (sg.mode === 'new') {
      const props = {};
      for (const [id, k] of [['sg-name', 'name'], ['sg-description', 'description'], ['sg-address', 'address'], ['sg-postcode', 'postcode']]) {
        if (val(id)) props[k] = val(id);
      }
      if (!props.name) local.push({ name: 'properties.name', reason: 'enter the name of the place or group' });
      if (val('sg-when')) props.opening_times = { note: val('sg-when') };
      const c = {};
      if (val('sg-place-website')) c.website = val('sg-place-website');
      if (val('sg-phone')) c.phone = val('sg-phone');
      if (Object.keys(c).length) props.contact = c;
      body.properties = props;
      const g = point();
      if (g) body.geometry = g;
      return body;
    }
    body.asset = sg.place.id;
    const current = sg.place.properties;
    if (sg.mode === 'gone' && $('sg-closed').checked) {
      body.kind = 'closed';
      return body;
    }
    const edited = {};
    for (const [id, k] of [['sg-name', 'name'], ['sg-description', 'description'], ['sg-address', 'address'], ['sg-postcode', 'postcode'],
      ['sg-phone', 'phone'], ['sg-email', 'email'], ['sg-place-website', 'website']]) {
      if ($(id)) edited[k] = $(id).value;
    }
    const props = changedProperties(current, edited);
    if (Object.keys(props).length) body.properties = props;
    if (sg.mode === 'gone') {
      const g = point();
      const was = sg.place.geometry?.coordinates || [];
      if (g && (Math.abs(g.coordinates[0] - was[0]) > 1e-7 || Math.abs(g.coordinates[1] - was[1]) > 1e-7)) body.geometry = g;
      if (g && !body.geometry && !body.properties) {
        local.push({ name: 'geometry', reason: 'move the pin to where it is now, or give its new address' });
      }
    } else if (!body.properties && !note) {
      local.push({ name: 'note', reason: 'change something in the boxes above, or tell us here what is wrong' });
    }
    return body;
  }

  function thanks(r, hadContact) {
    const kept = r.data?.contact_kept_days ?? sg.policy?.contact_kept_days;
    const back = sg.mode === 'new' ? 'Back to the list' : 'Back to the details';
    panel.querySelector('#sg-form').remove();
    $('sg-errors').hidden = true;
    panel.querySelector('.detail__top').remove();
    $('suggest-heading').insertAdjacentHTML('afterend', `<div class="notice" id="sg-thanks" tabindex="-1">
        <p><strong>Thank you. Your suggestion is sent.</strong></p>
        <p>Nothing changes on the map until an editor has looked at it.</p>
        ${hadContact ? `<p>We keep your contact until an editor has looked at your suggestion, then ${esc(keptInWords(kept) || 'for a short time')}, then erase it.</p>` : ''}
      </div>
      <p><button type="button" class="button button--secondary" id="sg-done" data-sg="cancel">${back}</button></p>`);
    $('sg-thanks').focus();
    announce('Thank you. Your suggestion is sent. Nothing changes on the map until an editor has looked at it.');
  }

  async function submit() {
    const errors = fieldErrors($('sg-form'), $('sg-errors'));
    const local = [];
    const body = readForm(local);
    if (local.length) {
      errors.show(local);
      return;
    }
    const btn = $('sg-send');
    btn.disabled = true;
    try {
      const r = await send('POST', '/suggestions', { body });
      thanks(r, Boolean(body.contact));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (e.status === 429) {
        errors.show([{ name: '', reason: `Many suggestions have come from here in the last hour, so this one was not sent. ${retryInWords(e.retryAfter)}` }]);
      } else if (e.invalidParams.length) {
        errors.show(e.invalidParams.map((x) => ({ ...x, name: formParamName(x.name) })));
      } else {
        errors.show([{ name: '', reason: `Your suggestion was not sent: ${e.message}` }]);
      }
    } finally {
      if ($('sg-send')) $('sg-send').disabled = false;
    }
  }

  /* ----- the buttons on a place's details ----- */

  function decorateDetail(el, f) {
    el.insertAdjacentHTML('beforeend', `<section class="detail__section suggest-actions" aria-labelledby="suggest-actions-heading">
      <h3 id="suggest-actions-heading">Is something wrong or out of date?</h3>
      <p>Tell us and an editor will check it.</p>
      <div class="ed-actions">
        <button type="button" class="button button--secondary" data-suggest="change">Suggest a change<span class="visually-hidden"> to ${esc(f.properties.name)}</span></button>
        <button type="button" class="button button--secondary" data-suggest="gone">It has closed or moved<span class="visually-hidden"> (${esc(f.properties.name)})</span></button>
      </div>
    </section>`);
  }

  /* ----- events ----- */

  document.addEventListener('click', (ev) => {
    const b = ev.target.closest('#detail [data-suggest]');
    if (b && ctx.app.detailFeature) {
      sg.openedAs = b.dataset.suggest;
      open(b.dataset.suggest, ctx.app.detailFeature);
    }
  });
  $('suggest-new').addEventListener('click', () => {
    sg.openedAs = null;
    open('new', null);
  });
  panel.addEventListener('click', (ev) => {
    if (ev.target.closest('[data-sg=cancel]')) close();
    else followErrorLink(ev);
  });
  panel.addEventListener('change', (ev) => {
    if (ev.target.name === 'sg-what') onWhatChange();
  });
  panel.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submit();
  });
  panel.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape' || !sg.mode) return;
    ev.stopPropagation();
    close();
  });

  return {
    decorateDetail,
    get active() { return Boolean(sg.mode); },
    /** A pin is being placed: a click on the map puts it there rather than opening a place. */
    get placing() { return Boolean(sg.pin); },
    /** Leaves the form without going back to anything (another place was chosen). */
    leave() { close({ focus: false, back: false }); },
  };
}
