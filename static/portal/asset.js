// An asset's page follows the asset while it is pending: the server redraws its state, and a
// change of status is announced to screen readers.
(function () {
  "use strict";
  const holder = document.getElementById("asset-live");
  if (!holder) return;
  const live = window.portalLive;
  const announcer = document.getElementById("asset-announcer");
  const BUSY_MS = 1500;   // queued or pushing: it changes within seconds
  const WAITING_MS = 10000;  // waiting for an admin's review

  function state() { return holder.querySelector(".asset-state"); }

  function apply(elements) {
    const incoming = elements.find((el) => el.classList.contains("asset-state"));
    const shown = state();
    if (!incoming || !live.changed(incoming, shown)) return;
    const statusChanged = incoming.dataset.status !== shown.dataset.status;
    live.replace(shown, incoming);
    if (statusChanged && announcer) {
      const badge = incoming.querySelector('[data-field="status"]');
      const reason = incoming.querySelector('[data-field="error"], [data-testid="rejection"]');
      announcer.textContent = "Status: " + badge.textContent + (reason ? ". " + reason.textContent : "");
    }
  }

  function delay() {
    const current = state();
    if (current.dataset.inFlight === "1") return BUSY_MS;
    return current.dataset.pending === "1" ? WAITING_MS : null;
  }

  const first = delay();
  if (first !== null) live.follow({ url: () => holder.dataset.stateUrl, apply, delay }).soon(first);
})();
