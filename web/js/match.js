// Which of a person's filters a place's record says it meets, and which it does not say.
// Pure functions, no DOM: unit-tested under node.
//
// /search keeps places whose record is silent on the opening times (open_status "unknown"), on
// ages (no age range), on cost (none given) or on access (no features listed) when those are
// asked, ranked lower; it leaves out a place whose record lists other access features only. The
// page asks a second time without access to find those (see app.js), so that "not recorded" is
// shown, never hidden and never counted as a match.

/** What each kind of gap is called on the page. */
export const NOT_RECORDED_WORDS = {
  times: 'opening times',
  cost: 'cost',
  access: 'step-free access',
  age: 'ages',
};

function hasAgeRange(p) {
  const a = p.audience || {};
  const has = (v) => v !== undefined && v !== null;
  return has(a.min_age) || has(a.max_age);
}

/** The filters of state `s` that the record of `p` (a /search feature's properties) does not say anything about. */
export function notRecorded(p, s) {
  const out = [];
  if (s.open && p.open_status === 'unknown') out.push('times');
  if (s.free && !(p.cost && p.cost.band)) out.push('cost');
  if (s.stepFree && !(p.access || []).includes('step_free')) out.push('access');
  if (s.age !== null && s.age !== undefined && !hasAgeRange(p)) out.push('age');
  return out;
}

/** Whether the record of `p` says it does not meet a cost filter (a price band other than free). */
export function knownNotToMatch(p, s) {
  return Boolean(s.free && p.cost && p.cost.band && p.cost.band !== 'free');
}

/**
 * Splits /search features into those whose record says they meet every filter (`known`) and
 * those whose record does not say for some (`unrecorded`), each in the order given. `extra`
 * are features from the search without cost and access: only those not already listed, not
 * known to cost money and silent on what was asked go into `unrecorded`.
 */
export function splitByRecord(features, s, extra = []) {
  const known = [];
  const unrecorded = [];
  const seen = new Set();
  for (const f of features) {
    seen.add(f.id);
    (notRecorded(f.properties, s).length ? unrecorded : known).push(f);
  }
  for (const f of extra) {
    if (seen.has(f.id) || knownNotToMatch(f.properties, s)) continue;
    seen.add(f.id);
    if (notRecorded(f.properties, s).length) unrecorded.push(f);
  }
  return { known, unrecorded };
}

/** ["times", "age"] → "opening times and ages". */
export function listInWords(items) {
  const w = items.map((k) => NOT_RECORDED_WORDS[k] || k);
  if (w.length <= 1) return w.join('');
  return `${w.slice(0, -1).join(', ')} and ${w[w.length - 1]}`;
}
