// A list of cards keeps itself current: its pending cards are fetched as the server draws them and
// swapped in. A gallery (data-follows-new) also gets cards for images added since it opened (in
// another tab, by someone else); My uploads follows only its own cards on their way.
(function () {
  "use strict";
  const gallery = document.querySelector("ul.gallery[data-cards-url]");
  if (!gallery) return;
  const followsNew = gallery.hasAttribute("data-follows-new");
  const live = window.portalLive;
  // Fast while something is on its way to PingOne; slowly otherwise, for new uploads and reviews.
  const BUSY_MS = 1500;
  const IDLE_MS = 8000;

  function newestShown() {
    return Math.max(0, ...Array.from(gallery.querySelectorAll("li.card"), (card) => Number(card.dataset.assetId)));
  }

  function url() {
    const query = new URLSearchParams(window.location.search);
    const pending = Array.from(gallery.querySelectorAll('li.card[data-pending="1"]'), (card) => card.dataset.assetId);
    if (!followsNew && !pending.length) return null;  // nothing on its way: nothing to follow
    query.set("ids", pending.join(","));
    if (followsNew) query.set("after", String(newestShown()));
    return gallery.dataset.cardsUrl + "?" + query.toString();
  }

  // A new card goes where the page's newest-first order puts it: before the first card with a
  // lower id (one whose upload committed late can be older than cards already shown).
  function place(card) {
    const id = Number(card.dataset.assetId);
    const older = Array.from(gallery.querySelectorAll("li.card")).find((shown) => Number(shown.dataset.assetId) < id);
    if (older) older.before(card);
    else gallery.append(card);
  }

  function apply(cards) {
    let added = false;
    cards.forEach((card) => {
      const shown = document.getElementById(card.id);
      if (!shown) {
        place(card);
        added = true;
      } else if (live.changed(card, shown)) live.replace(shown, card);
    });
    if (added) {
      const empty = document.querySelector(".empty");
      if (empty) empty.hidden = true;
    }
  }

  function delay() {
    return gallery.querySelector('li.card[data-in-flight="1"]') ? BUSY_MS : IDLE_MS;
  }

  live.follow({ url, apply, delay }).soon(gallery.querySelector('[data-in-flight="1"]') ? 1000 : IDLE_MS);
})();
