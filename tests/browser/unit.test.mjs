// Unit tests for the map page's pure modules (no browser): plain-words formatting and the URL.
import { test } from './guard.mjs';
import assert from 'node:assert/strict';
import {
  ageRangeInWords, checkedInWords, circlePolygon, costInWords, dateInWords, directionsLinks, distanceInWords, haversine,
  openAtFor, openingSummary, openingTimesInWords, parseWhen, periodInWords, splitOutwardCode, splitPostcode, timeInWords, ukToday,
  walkInWords, whenInWords,
} from '../../web/js/format.js';
import { breaks, rankInWords, sortFeatures, wrapName } from '../../web/js/areas.js';
import { knownNotToMatch, listInWords, notRecorded, splitByRecord } from '../../web/js/match.js';
import { stateFromUrl, urlFromState, emptyState, searchFilters } from '../../web/js/state.js';
import {
  changedProperties, formParamName, keptInWords, retentionInWords, retryInWords,
} from '../../web/js/suggest.js';
import { kindInWords, oldestInWords } from '../../web/js/review.js';

test('unit: times of day in words', () => {
  assert.equal(timeInWords('09:00'), '9am');
  assert.equal(timeInWords('17:30'), '5:30pm');
  assert.equal(timeInWords('12:00'), 'midday');
  assert.equal(timeInWords('12:15'), '12:15pm');
  assert.equal(timeInWords('00:00'), 'midnight');
  assert.equal(timeInWords('24:00'), 'midnight');
  assert.equal(timeInWords('00:30'), '12:30am');
});

test('unit: periods past midnight say "the next day"; midnight closing does not', () => {
  assert.equal(periodInWords({ day: 'fri', opens: '19:00', closes: '02:00' }), '7pm to 2am the next day');
  assert.equal(periodInWords({ day: 'fri', opens: '19:00', closes: '24:00' }), '7pm to midnight');
  assert.equal(periodInWords({ day: 'fri', opens: '19:00', closes: '00:00' }), '7pm to midnight');
  assert.equal(periodInWords({ day: 'sat', opens: '00:00', closes: '24:00' }), 'All day');
});

test('unit: weekly times group days with the same hours and say "by arrangement"', () => {
  const w = openingTimesInWords({
    periods: [
      { day: 'mon', opens: '09:00', closes: '17:30' },
      { day: 'tue', opens: '09:00', closes: '17:30' },
      { day: 'wed', opens: '09:00', closes: '17:30' },
      { day: 'thu', opens: '18:00', closes: '21:00' },
      { day: 'thu', opens: '09:00', closes: '12:00' },
      { day: 'fri', opens: '09:00', closes: '17:30' },
      { day: 'sat', opens: '09:00', closes: '17:30' },
    ],
    by_arrangement: true,
    note: 'Closed bank holidays',
  });
  assert.deepEqual(w.rows, [
    { days: 'Monday to Wednesday', hours: '9am to 5:30pm' },
    { days: 'Thursday', hours: '9am to midday and 6pm to 9pm' },
    { days: 'Friday and Saturday', hours: '9am to 5:30pm' },
    { days: 'Sunday', hours: 'Closed' },
  ]);
  assert.equal(w.byArrangement, true);
  assert.equal(w.note, 'Closed bank holidays');
  assert.equal(w.unknown, false);
});

test('unit: unknown and by-arrangement-only times', () => {
  assert.equal(openingTimesInWords({}).unknown, true);
  assert.equal(openingTimesInWords(undefined).unknown, true);
  const arr = openingTimesInWords({ by_arrangement: true });
  assert.equal(arr.unknown, false);
  assert.equal(arr.byArrangement, true);
  assert.equal(openingSummary({ by_arrangement: true }), 'By arrangement');
  assert.equal(openingSummary({}), 'Opening times not known');
});

test('unit: cost, ages, distances, dates', () => {
  assert.equal(costInWords({ band: 'free' }), 'Free');
  assert.equal(costInWords({ band: 'low', detail: '£2 a session' }), 'Low cost: £2 a session');
  assert.equal(costInWords(undefined), 'Cost not known');
  assert.equal(ageRangeInWords({ min_age: 60 }), 'Ages 60 and over');
  assert.equal(ageRangeInWords({ min_age: 5, max_age: 11 }), 'Ages 5 to 11');
  assert.equal(ageRangeInWords({ max_age: 0 }), 'Ages up to 0');
  assert.equal(ageRangeInWords({}), null);
  assert.equal(distanceInWords(347), '350 m');
  assert.equal(distanceInWords(1234), '1.2 km');
  assert.equal(walkInWords(0.4), "About 1 minute's walk");
  assert.equal(walkInWords(12.6), "About 13 minutes' walk");
  assert.equal(dateInWords('2024-03-14'), '14 March 2024');
  assert.equal(dateInWords('2025-01-02T10:00:00Z'), '2 January 2025');
});

test('unit: a postcode is found anywhere in the search box, the rest are words', () => {
  assert.deepEqual(splitPostcode('M33 7XY'), { postcode: 'M33 7XY', rest: '' });
  assert.deepEqual(splitPostcode('m337xy singing'), { postcode: 'M33 7XY', rest: 'singing' });
  assert.deepEqual(splitPostcode('chess near WA14 1AH please'), { postcode: 'WA14 1AH', rest: 'chess near please' });
  assert.equal(splitPostcode('gardening'), null);
  assert.equal(splitPostcode('M33'), null);
  // The first part alone is a guess the page checks with the server.
  assert.deepEqual(splitOutwardCode('M33'), { outward: 'M33', rest: '' });
  assert.deepEqual(splitOutwardCode('wa14 singing'), { outward: 'WA14', rest: 'singing' });
  assert.deepEqual(splitOutwardCode('chess in ec1a please'), { outward: 'EC1A', rest: 'chess in please' });
  assert.equal(splitOutwardCode('gardening'), null);
  assert.equal(splitOutwardCode('5k run'), null);
  assert.equal(splitOutwardCode('M33X7'), null);
});

test('unit: haversine and the walking circle', () => {
  // One degree of latitude is about 111.2 km.
  assert.ok(Math.abs(haversine(-2.3, 53, -2.3, 54) - 111195) < 10);
  const ring = circlePolygon(-2.32, 53.42, 1000).coordinates[0];
  for (const [lon, lat] of ring) assert.ok(Math.abs(haversine(-2.32, 53.42, lon, lat) - 1000) < 5);
});

test('unit: the URL round-trips the search state', () => {
  const s = {
    ...emptyState(),
    postcode: 'M33 7XY',
    q: 'singing',
    categories: ['arts_heritage', 'befriending'],
    open: 'now',
    free: true,
    stepFree: true,
    age: 72,
    walk: 20,
    asset: 'trafford_libraries:0',
    mode: 'list',
  };
  const url = urlFromState(s);
  assert.match(url, /^#postcode=M33\+7XY/);
  assert.match(url, /category=arts_heritage,befriending/);
  assert.deepEqual(stateFromUrl(url), { ...s, view: null });
  assert.equal(urlFromState(emptyState()), '');
  const f = searchFilters(s);
  assert.deepEqual(f, { q: 'singing', category: ['arts_heritage', 'befriending'], open: 'now', open_at: undefined, cost: 'free', access: ['step_free'], age: 72 });
  // A day and a time: in the fragment as open=tue,18:30; sent as open_at on that day's next date.
  const t = { ...s, open: { day: 'tue', time: '18:30' } };
  const turl = urlFromState(t);
  assert.match(turl, /open=tue,18:30/);
  assert.deepEqual(stateFromUrl(turl), { ...t, view: null });
  const sat = new Date('2026-12-05T12:00:00Z'); // a Saturday
  assert.equal(searchFilters(t, sat).open_at, '2026-12-08T18:30');
  assert.equal(searchFilters(t, sat).open, undefined);
  assert.equal(stateFromUrl('#open=someday').open, null);
});

test('unit: "when can they go?" in words and as an open_at', () => {
  assert.deepEqual(parseWhen('tue,18:30'), { day: 'tue', time: '18:30' });
  assert.equal(parseWhen('tue,25:00'), null);
  assert.equal(parseWhen('now'), null);
  assert.equal(whenInWords({ day: 'tue', time: '18:30' }), 'Tuesday at 6:30pm');
  assert.equal(whenInWords({ day: 'sat', time: '11:00' }), 'Saturday at 11am');
  assert.equal(whenInWords('now'), 'now');
  // UK time: just after midnight on Sunday in London is still Saturday in UTC in summer.
  assert.deepEqual(ukToday(new Date('2026-06-06T23:30:00Z')), { date: '2026-06-07', day: 'sun' });
  assert.deepEqual(ukToday(new Date('2026-12-05T23:30:00Z')), { date: '2026-12-05', day: 'sat' });
  const sat = new Date('2026-12-05T12:00:00Z');
  assert.equal(openAtFor({ day: 'sat', time: '11:00' }, sat), '2026-12-05T11:00', 'today when it is that day');
  assert.equal(openAtFor({ day: 'fri', time: '09:30' }, sat), '2026-12-11T09:30');
  assert.equal(openAtFor({ day: 'mon', time: '10:00' }, new Date('2026-12-31T12:00:00Z')), '2027-01-04T10:00', 'across a year');
});

test('unit: directions links carry the place and nothing else', () => {
  const d = directionsLinks(53.4234567, -2.3183, 'Sale (Waterside) Library & Café');
  assert.equal(d.geo, 'geo:53.423457,-2.3183?q=53.423457,-2.3183(Sale%20Waterside%20Library%20%26%20Caf%C3%A9)');
  assert.equal(d.osm, 'https://www.openstreetmap.org/directions?to=53.423457,-2.3183');
  assert.equal(directionsLinks(53.5, -2.25, '').geo, 'geo:53.5,-2.25?q=53.5,-2.25');
});

test('unit: known matches first; what a record does not say goes in its own group', () => {
  const s = { open: { day: 'tue', time: '18:30' }, free: true, stepFree: false, age: 72 };
  const f = (id, p) => ({ id, properties: p });
  const open = f('a', { open_status: 'open', cost: { band: 'free' }, audience: { min_age: 60 } });
  const unknownTimes = f('b', { open_status: 'unknown', cost: { band: 'free' }, audience: { min_age: 18 } });
  const noAges = f('c', { open_status: 'open', cost: { band: 'free' }, audience: {} });
  const noCost = f('d', { open_status: 'by_arrangement', audience: { min_age: 50, max_age: 90 } });
  const paid = f('e', { open_status: 'open', cost: { band: 'paid' }, audience: { min_age: 60 } });
  assert.deepEqual(notRecorded(open.properties, s), []);
  assert.deepEqual(notRecorded(unknownTimes.properties, s), ['times']);
  assert.deepEqual(notRecorded(noAges.properties, s), ['age']);
  assert.deepEqual(notRecorded(noCost.properties, s), ['cost']);
  assert.deepEqual(notRecorded({ access: ['hearing_loop'] }, { ...s, open: null, free: false, age: null, stepFree: true }), ['access']);
  assert.equal(knownNotToMatch(paid.properties, s), true);
  const split = splitByRecord([open, unknownTimes, noAges], s, [noCost, paid, open]);
  assert.deepEqual(split.known.map((x) => x.id), ['a']);
  assert.deepEqual(split.unrecorded.map((x) => x.id), ['b', 'c', 'd'], 'the paid place is left out; none twice');
  assert.equal(listInWords(['times', 'cost', 'age']), 'opening times, cost and ages');
  assert.deepEqual(splitByRecord([noAges], { open: null, free: false, stepFree: false, age: null }).known.map((x) => x.id), ['c'],
    'without filters every place is a known match');
});

test('unit: the one-line why never says what the record does not', async () => {
  const { whyLine, openStatusText } = await import('../../web/js/render.js');
  const s = { open: { day: 'tue', time: '18:30' }, free: false, stepFree: false, age: 72 };
  const choir = { matched: { terms: ['singing'], filters: ['age=72', 'open_at'] }, open_status: 'open', audience: { min_age: 60 } };
  assert.equal(whyLine(choir, s), 'Why: matches “singing”; open Tuesday at 6:30pm; suits age 72 (ages 60 and over).');
  const school = { matched: { terms: ['singing'], filters: ['age=72'] }, open_status: 'unknown', audience: {} };
  const line = whyLine(school, s);
  assert.doesNotMatch(line, /suits age|open Tuesday/);
  assert.equal(line, 'Why: matches “singing”. Not recorded: opening times and ages – ask them.');
  assert.equal(whyLine({ matched: { terms: [], filters: [] } }, { open: null, free: false, stepFree: false, age: null }), '');
  assert.equal(openStatusText('open', { day: 'tue', time: '18:30' }), 'Open Tuesday at 6:30pm');
  assert.equal(openStatusText('open', 'now'), 'Open now');
  assert.equal(openStatusText('unknown', { day: 'tue', time: '18:30' }), 'Times not known');
});

test('unit: bad URL values fall back to defaults', () => {
  const s = stateFromUrl('#age=abc&walk_minutes=999&map=nonsense');
  assert.equal(s.age, null);
  assert.equal(s.walk, 15);
  assert.equal(s.view, null);
  const v = stateFromUrl('?map=13.5/53.42/-2.32');
  assert.deepEqual(v.view, { zoom: 13.5, lat: 53.42, lon: -2.32 });
});

test('unit: why a place matched, in words; names are escaped', async () => {
  const { filterInWords, resultItem, setVocabulary, detailHtml } = await import('../../web/js/render.js');
  setVocabulary({ access_features: [{ slug: 'step_free', label: 'Step-free access' }], categories: [{ slug: 'food', label: 'Food' }] });
  assert.equal(filterInWords('open_at'), 'open at the time asked');
  assert.equal(filterInWords('cost=free'), 'free');
  assert.equal(filterInWords('age=72'), 'suits age 72');
  assert.equal(filterInWords('access=step_free'), 'step-free access');
  assert.equal(filterInWords('category=food'), 'Food');
  const f = {
    id: 'x:1',
    geometry: { type: 'Point', coordinates: [-2.3, 53.4] },
    properties: { name: '<img src=x onerror=alert(1)>', abcd_type: 'association', categories: ['food'], contact: { website: 'javascript:alert(1)' } },
  };
  const li = resultItem(f, { href: '/#asset=x:1', inShortlist: false, index: 0 });
  assert.ok(!li.includes('<img'), 'names are escaped in the list');
  const d = detailHtml(f, { inShortlist: false });
  assert.ok(!d.includes('<img') && !d.includes('href="javascript:'), 'and in the details, with no script links');
  assert.ok(d.includes('href="geo:53.4,-2.3?q=53.4,-2.3(%3Cimg%20src%3Dx%20onerror%3Dalert%201%20%3E)" rel="noopener noreferrer"'),
    'a geo: link for directions, its name encoded');
  assert.ok(d.includes('href="https://www.openstreetmap.org/directions?to=53.4,-2.3" target="_blank" rel="noopener noreferrer"'));
});

test('unit: history and conflicts say each change in words; how it was made, too', async () => {
  const { valueInWords, viaInWords, timeInWords: whenInWords } = await import('../../web/js/editing.js');
  const { setVocabulary } = await import('../../web/js/render.js');
  setVocabulary({
    categories: [{ slug: 'food', label: 'Food' }],
    statuses: [{ slug: 'temporarily_closed', label: 'Temporarily closed' }],
    cost_bands: [{ slug: 'low', label: 'Low cost' }],
  });
  assert.equal(valueInWords('name', 'Sale Library'), '“Sale Library”');
  assert.equal(valueInWords('description', null), 'nothing');
  assert.equal(valueInWords('categories', ['food']), 'Food');
  assert.equal(valueInWords('status', 'temporarily_closed'), 'Temporarily closed');
  assert.equal(valueInWords('cost', { band: 'low', detail: '£2' }), 'Low cost: £2');
  assert.equal(valueInWords('opening_times', { periods: [{ day: 'fri', opens: '22:00', closes: '02:00' }], by_arrangement: true }),
    'Monday to Thursday: Closed; Friday: 10pm to 2am the next day; Saturday and Sunday: Closed; by arrangement');
  assert.equal(valueInWords('geometry', [-2.3197, 53.4246]), '53.42460, -2.31970 (latitude, longitude)');
  assert.equal(valueInWords('audience', { min_age: 18, description: 'Carers' }), 'Ages 18 and over; Carers');
  assert.equal(valueInWords('contact', { phone: '0161 000', email: '' }), 'phone: 0161 000');
  assert.equal(viaInWords('page'), 'on the map page');
  assert.equal(viaInWords('api'), 'through the API');
  assert.equal(viaInWords('import:trafford_libraries'), 'imported from trafford_libraries');
  assert.equal(viaInWords('restore:1'), 'restored from version 1');
  assert.match(viaInWords('review:3'), /accepted in review \(proposal 3\)/);
  assert.match(whenInWords('2026-12-05T09:17:00Z'), /^5 December 2026 at \d\d:\d\d$/);
});

test('unit: a check over a year old, or none, is said gently; a recent one is just its date', () => {
  const ask = 'worth checking with them before you go';
  assert.equal(checkedInWords('2026-03-01', '2026-12-05'), '1 March 2026');
  assert.equal(checkedInWords('2025-12-06', '2026-12-05'), '6 December 2025');
  assert.equal(checkedInWords('2025-12-05', '2026-12-05'), `5 December 2025, over a year ago: ${ask}`);
  assert.equal(checkedInWords('2019-07-31', '2026-12-05'), `31 July 2019, over a year ago: ${ask}`);
  assert.equal(checkedInWords(null, '2026-12-05'), `Not checked yet: ${ask}`);
  assert.equal(checkedInWords('2025-01-01', undefined), '1 January 2025');
});

test('unit: a suggestion sends only what was changed; a changed contact detail sends the whole contact', () => {
  const current = { name: 'Sale Library', description: 'Books', postcode: 'M33 7XY', contact: { phone: '0161 000', email: 'a@example.org' } };
  const form = { name: 'Sale Library ', description: 'Books', address: '', postcode: 'M33 7XY', phone: '0161 000', email: 'a@example.org', website: '' };
  assert.deepEqual(changedProperties(current, form), {}, 'spaces and empty fields that were empty are no change');
  assert.deepEqual(changedProperties(current, { ...form, name: 'Sale Library and Hub', description: '' }), { name: 'Sale Library and Hub', description: null });
  assert.deepEqual(changedProperties(current, { ...form, website: 'https://sale.example.org/' }),
    { contact: { phone: '0161 000', email: 'a@example.org', website: 'https://sale.example.org/' } });
  assert.deepEqual(changedProperties(current, { ...form, phone: '' }), { contact: { email: 'a@example.org' } });
  assert.deepEqual(changedProperties({}, { address: '1 New Street' }), { address: '1 New Street' }, 'only the fields the form has');
});

test('unit: how long a contact is kept, when to try again, and the server\'s field names, in the form\'s terms', () => {
  assert.equal(keptInWords(30), '30 days');
  assert.equal(keptInWords(1), '1 day');
  assert.equal(keptInWords(0.00005), 'less than a day');
  assert.equal(keptInWords(undefined), null);
  assert.equal(retentionInWords(30), 'If you leave a contact, we keep it until an editor has looked at your suggestion, then 30 days, then erase it.');
  assert.match(retentionInWords(null), /then for a short time, then erase it\.$/);
  assert.equal(retryInWords(30), 'Try again in a minute or two.');
  assert.equal(retryInWords(1200), 'Try again in about 20 minutes.');
  assert.equal(retryInWords(7200), 'Try again in about 2 hours.');
  assert.equal(retryInWords(null), 'Try again later.');
  assert.equal(formParamName('postcode'), 'properties.postcode');
  assert.equal(formParamName('contact.email'), 'properties.contact.email');
  assert.equal(formParamName('properties.name'), 'properties.name');
  assert.equal(formParamName('contact'), 'contact', 'the suggester\'s own contact');
  assert.equal(formParamName('website'), 'website', 'the honeypot');
  assert.equal(formParamName('geometry.coordinates'), 'geometry.coordinates');
});

test('unit: the queue says how old its oldest suggestion is, and what each one is', async () => {
  const { viaInWords } = await import('../../web/js/editing.js');
  const now = new Date('2026-12-05T12:00:00Z');
  assert.equal(oldestInWords('2026-12-05T09:00:00Z', now), ', oldest today');
  assert.equal(oldestInWords('2026-12-04T11:00:00Z', now), ', oldest 1 day');
  assert.equal(oldestInWords('2026-11-25T12:00:00Z', now), ', oldest 10 days');
  assert.equal(oldestInWords(undefined, now), '');
  assert.equal(kindInWords({ kind: 'closed' }), 'It has closed');
  assert.equal(kindInWords({ kind: 'new' }), 'A place we’re missing');
  assert.equal(kindInWords({ kind: 'change', suggested: { properties: { name: 'X' } } }), 'A change');
  assert.equal(kindInWords({ kind: 'change', suggested: { geometry: { type: 'Point', coordinates: [0, 0] } } }), 'It has moved');
  assert.equal(viaInWords('suggestion:12'), 'a suggestion from the public accepted (suggestion 12)');
});

test('unit: the areas table sorts numbers and names, no figure last; names wrap; ranks in words', () => {
  const f = (name, v) => ({ properties: { name, v } });
  const rows = [f('Sale Moor', 3), f('Altrincham', null), f('Hale', 10), f('Bowdon', 2.5)];
  const names = (xs) => xs.map((x) => x.properties.name);
  assert.deepEqual(names(sortFeatures(rows, 'v', 'ascending')), ['Bowdon', 'Sale Moor', 'Hale', 'Altrincham']);
  assert.deepEqual(names(sortFeatures(rows, 'v', 'descending')), ['Hale', 'Sale Moor', 'Bowdon', 'Altrincham']);
  assert.deepEqual(names(sortFeatures(rows, 'name', 'ascending')), ['Altrincham', 'Bowdon', 'Hale', 'Sale Moor']);
  assert.deepEqual(names(sortFeatures([f('Trafford 010A'), f('Trafford 002B'), f('Trafford 001C')], 'name', 'ascending')),
    ['Trafford 001C', 'Trafford 002B', 'Trafford 010A']);
  assert.equal(wrapName('Hale'), 'Hale');
  assert.equal(wrapName('Hale Barns & Timperley South'), 'Hale Barns &\nTimperley South');
  assert.equal(wrapName('Stretford & Humphrey Park'), 'Stretford &\nHumphrey Park');
  assert.equal(wrapName('Supercalifragilistic'), 'Supercalifragilistic');
  assert.equal(rankInWords(1, 21), 'The highest');
  assert.equal(rankInWords(2, 21), '2nd highest');
  assert.equal(rankInWords(3, 21), '3rd highest');
  assert.equal(rankInWords(11, 21), '11th highest');
  assert.equal(rankInWords(21, 21), 'The lowest');
  assert.deepEqual(breaks([5, 1, 4, 2, 3, null, NaN]), [2, 3, 4, 5]);
});
