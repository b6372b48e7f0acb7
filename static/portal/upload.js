// Drag-and-drop upload: one request per file, each row with its preview and progress, in the
// order the files were chosen. A staged file's row then follows its asset (as the server draws
// it) until it is live, failed, rejected or waiting for review.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  const live = window.portalLive;
  const form = document.getElementById("upload-form");
  const input = form.querySelector("input[type=file]");
  const zone = document.getElementById("dropzone");
  const list = document.getElementById("upload-list");
  const summary = document.getElementById("upload-summary");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const counts = { uploading: 0, staged: 0, duplicate: 0, refused: 0 };
  const FOLLOW_MS = 1000;

  function plural(n, word, many) { return n + " " + (n === 1 ? word : many || word + "s"); }

  function summarise() {
    const parts = [];
    if (counts.uploading) parts.push(counts.uploading + " uploading");
    if (counts.staged) parts.push(counts.staged + " staged");
    if (counts.duplicate) parts.push(plural(counts.duplicate, "duplicate"));
    if (counts.refused) parts.push(counts.refused + " refused");
    summary.querySelector('[data-field="summary"]').textContent = parts.join(", ") + ".";
    summary.hidden = parts.length === 0;
  }

  function preview(file) {
    if (!/^image\//.test(file.type)) return null;
    const img = document.createElement("img");
    img.className = "preview";
    img.alt = "";
    img.src = URL.createObjectURL(file);
    const done = () => URL.revokeObjectURL(img.src);
    img.addEventListener("load", done, { once: true });
    img.addEventListener("error", () => { done(); img.remove(); }, { once: true });
    return img;
  }

  function row(file) {
    const li = document.createElement("li");
    li.className = "upload-row uploading";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Uploading " + file.name);
    const result = document.createElement("p");
    result.className = "result";
    result.textContent = "Uploading…";
    const outcome = document.createElement("div");
    outcome.className = "outcome";
    const image = preview(file);
    li.append(...(image ? [image] : []), name, bar, result, outcome);
    list.append(li);
    return { li, bar, result, outcome };
  }

  // Rows whose asset is still on its way, by asset id (a duplicate follows the existing asset).
  const following = new Map();

  function finish(ui, state, text) {
    ui.bar.remove();
    ui.li.classList.remove("uploading");
    ui.li.classList.add(state);
    ui.result.textContent = text;
    counts.uploading -= 1;
    counts[state] += 1;
    summarise();
  }

  function answered(ui, xhr) {
    let data = null;
    try { data = JSON.parse(xhr.responseText); } catch (err) { data = null; }
    const file = xhr.status === 200 && data && data.files && data.files[0];
    if (!file) {
      const message = (data && data.error && data.error.message) || "The upload failed (HTTP " + xhr.status + ").";
      finish(ui, "refused", message);
      return;
    }
    if (file.result === "rejected") {
      finish(ui, "refused", file.message);
    } else {
      finish(ui, file.result, file.result === "staged" ? "Staged." : file.message);
      if (file.asset) {
        const rows = following.get(file.asset) || [];
        following.set(file.asset, rows.concat([ui.outcome]));
        outcomes.soon(200);
      }
    }
  }

  function send(file) {
    const ui = row(file);
    counts.uploading += 1;
    summarise();
    const body = new FormData();
    body.append("files", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) ui.bar.value = (100 * e.loaded) / e.total; };
    xhr.onload = () => answered(ui, xhr);
    xhr.onerror = () => finish(ui, "refused", "The connection failed. Please try again.");
    xhr.send(body);
  }

  function applyOutcomes(elements) {
    elements.forEach((incoming) => {
      const id = Number(incoming.dataset.assetId);
      (following.get(id) || []).forEach((holder) => {
        const shown = holder.firstElementChild;
        if (!shown || live.changed(incoming, shown)) holder.replaceChildren(incoming.cloneNode(true));
        const li = holder.closest("li");
        // A staged file whose push then failed (or was rejected) looks as failed as a refused one.
        if (li.classList.contains("staged")) li.classList.toggle("failed", ["failed", "rejected"].includes(incoming.dataset.status));
      });
      if (incoming.dataset.inFlight !== "1") following.delete(id);
    });
  }

  const outcomes = live.follow({
    url: () => (following.size ? list.dataset.outcomesUrl + "?ids=" + Array.from(following.keys()).join(",") : null),
    apply: applyOutcomes,
    delay: () => (following.size ? FOLLOW_MS : null),
  });

  function sendAll(files) { Array.from(files).forEach(send); }

  input.addEventListener("change", () => { sendAll(input.files); input.value = ""; });
  form.addEventListener("submit", (e) => { e.preventDefault(); sendAll(input.files); input.value = ""; });
  ["dragenter", "dragover"].forEach((t) => zone.addEventListener(t, (e) => { e.preventDefault(); zone.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => zone.addEventListener(t, (e) => { e.preventDefault(); zone.classList.remove("over"); }));
  zone.addEventListener("drop", (e) => sendAll(e.dataTransfer.files));
})();
