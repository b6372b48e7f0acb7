// Copy buttons, and live updates of the gallery while uploads are pending.
(function () {
  "use strict";
  document.addEventListener("click", (e) => {
    const button = e.target.closest("button.copy");
    if (!button) return;
    navigator.clipboard.writeText(button.dataset.copy).then(() => {
      const label = button.textContent;
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = label; }, 1200);
    });
  });

  const gallery = document.getElementById("gallery");
  if (!gallery) return;

  function field(card, name) { return card.querySelector('[data-field="' + name + '"]'); }

  function update(card, asset) {
    card.className = "card status-" + asset.status;
    card.dataset.status = asset.status;
    card.dataset.pending = asset.pending ? "1" : "0";
    field(card, "status").textContent = asset.status_label;
    const id = field(card, "pingone_image_id");
    id.hidden = !asset.pingone_image_id;
    id.querySelector("code").textContent = asset.pingone_image_id || "";
    id.querySelector("button").dataset.copy = asset.pingone_image_id || "";
    const href = asset.href || "";  // the server's checked link (https only), never raw targets
    const link = field(card, "href");
    link.hidden = !href;
    link.querySelector("a").href = href;
    link.querySelector("a").textContent = href.length > 48 ? href.slice(0, 47) + "…" : href;
    link.querySelector("button").dataset.copy = href;
    const error = field(card, "error");
    error.hidden = !asset.error;
    error.textContent = asset.error_text;
    const img = card.querySelector("img");
    if (img && asset.thumbnail && img.getAttribute("src") !== asset.thumbnail) img.src = asset.thumbnail;
  }

  function waitingOn() {
    return Array.from(gallery.querySelectorAll('[data-pending="1"]'), (card) => card.dataset.assetId);
  }

  // Ask only for the cards still pending; the server says when each stops being so.
  function poll() {
    const ids = waitingOn();
    if (!ids.length) return;
    fetch(gallery.dataset.pollUrl + "?ids=" + ids.join(","), {
      headers: { Accept: "application/json" }, credentials: "same-origin",
    })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((data) => {
        data.assets.forEach((asset) => {
          const card = gallery.querySelector('[data-asset-id="' + asset.id + '"]');
          if (card) update(card, asset);
        });
        if (waitingOn().length) setTimeout(poll, 1500);
      })
      .catch(() => setTimeout(poll, 5000));
  }
  if (waitingOn().length) setTimeout(poll, 1000);
})();
