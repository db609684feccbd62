// The shortlist page's buttons (/shortlist, rendered by the server): Print, Copy link and Share
// (where the browser offers navigator.share). The page works without this script: the buttons
// stay hidden and the text version and the way back to the map are plain links.

const $ = (id) => document.getElementById(id);

function say(text) {
  const status = $('sl-status');
  if (!status) return;
  // Cleared first so that saying the same thing twice is announced twice.
  status.textContent = '';
  window.setTimeout(() => { status.textContent = text; }, 50);
}

/** Copies `text`, with the old way for browsers without the asynchronous clipboard. */
async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'offscreen';
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

/**
 * "Back to the map" goes back to the very search this tab came from (words and filters too),
 * which the map page keeps in sessionStorage; a link opened elsewhere keeps the server's link
 * (the postcode's search). Only a path on this site is followed.
 */
function backToTheSearch() {
  let url = null;
  try {
    url = sessionStorage.getItem('assetmap:map-url');
  } catch {
    return;
  }
  if (!url || !url.startsWith('/') || url.startsWith('//')) return;
  for (const a of document.querySelectorAll('a[data-back-to-map]')) a.href = url;
}

function start() {
  backToTheSearch();
  const print = $('sl-print');
  const copyLink = $('sl-copy');
  const share = $('sl-share');
  if (!print || !copyLink || !share) return;
  print.hidden = false;
  print.addEventListener('click', () => window.print());
  copyLink.hidden = false;
  copyLink.addEventListener('click', async () => {
    say(await copy(window.location.href)
      ? 'Link copied. Paste it into an e-mail or a message: the link is the list.'
      : 'The link could not be copied: copy it from the address bar.');
  });
  if (typeof navigator.share === 'function') {
    share.hidden = false;
    share.addEventListener('click', async () => {
      try {
        await navigator.share({ title: document.title, url: window.location.href });
      } catch (e) {
        if (e && e.name !== 'AbortError') say('This browser could not share the list: use Copy link instead.');
      }
    });
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
