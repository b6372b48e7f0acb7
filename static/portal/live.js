// What the self-updating pages share: copy buttons, and following server-rendered fragments.
// The server draws every label, link and badge; this only fetches its HTML and swaps it in.
(function () {
  "use strict";

  document.addEventListener("click", (e) => {
    const button = e.target.closest("button.copy");
    if (!button || !button.dataset.copy) return;  // never copy an empty value
    navigator.clipboard.writeText(button.dataset.copy).then(() => {
      const label = button.textContent;
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = label; }, 1200);
    });
  });

  function parse(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    return Array.from(template.content.children);
  }

  // One follower's fetches never overlap, so a fragment that differs is the newer one.
  function changed(incoming, current) {
    return incoming.dataset.version !== current.dataset.version;
  }

  const FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]";

  // Replace `current` with `incoming`, keeping keyboard focus on the same control when it was inside.
  function replace(current, incoming) {
    const active = document.activeElement;
    const index = current.contains(active) ? Array.from(current.querySelectorAll(FOCUSABLE)).indexOf(active) : -1;
    current.replaceWith(incoming);
    if (index >= 0) {
      const again = incoming.querySelectorAll(FOCUSABLE)[index] || incoming.querySelector(FOCUSABLE);
      if (again) again.focus();
    }
  }

  // Fetch options.url() (null: nothing to follow now), hand the fragment's elements to
  // options.apply, and go again after options.delay() milliseconds (null: stop).
  // Waits while the tab is hidden; backs off when the server does not answer.
  function follow(options) {
    let timer = null;
    let busy = false;
    let again = false;
    function schedule(ms) {
      clearTimeout(timer);
      timer = setTimeout(run, ms);
    }
    function run() {
      if (busy) { again = true; return; }
      const url = options.url();
      if (!url) return;
      if (document.hidden) {
        document.addEventListener("visibilitychange", () => schedule(0), { once: true });
        return;
      }
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
        .then((html) => {
          busy = false;
          options.apply(parse(html));
          const ms = again ? 0 : options.delay();
          again = false;
          if (ms !== null) schedule(ms);
        })
        .catch(() => { busy = false; schedule(5000); });
    }
    return { soon: (ms) => schedule(ms || 0) };
  }

  window.portalLive = { parse, changed, replace, follow };
})();
