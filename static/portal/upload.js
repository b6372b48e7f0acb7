// Drag-and-drop upload: one request per file so each shows its own progress and result.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  const form = document.getElementById("upload-form");
  const input = form.querySelector("input[type=file]");
  const zone = document.getElementById("dropzone");
  const list = document.getElementById("upload-list");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function row(file) {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    const result = document.createElement("span");
    result.className = "result";
    result.textContent = "Uploading…";
    li.append(name, bar, result);
    list.prepend(li);
    return { li, bar, result };
  }

  function send(file) {
    const ui = row(file);
    const body = new FormData();
    body.append("files", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) ui.bar.value = (100 * e.loaded) / e.total; };
    xhr.onload = () => {
      ui.bar.value = 100;
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (err) { data = null; }
      if (xhr.status === 200 && data && data.files && data.files[0]) {
        const r = data.files[0];
        ui.li.classList.add(r.result);
        ui.result.textContent = r.result === "staged" ? "Staged. " + r.message : r.message;
        if (r.asset) {
          const link = document.createElement("a");
          link.href = "/assets/" + r.asset + "/";
          link.textContent = " View";
          ui.result.append(link);
        }
      } else {
        ui.li.classList.add("rejected");
        ui.result.textContent = (data && data.error && data.error.message) || ("The upload failed (HTTP " + xhr.status + ").");
      }
    };
    xhr.onerror = () => { ui.li.classList.add("rejected"); ui.result.textContent = "The connection failed. Please try again."; };
    xhr.send(body);
  }

  function sendAll(files) { Array.from(files).forEach(send); }

  input.addEventListener("change", () => { sendAll(input.files); input.value = ""; });
  form.addEventListener("submit", (e) => { e.preventDefault(); sendAll(input.files); input.value = ""; });
  ["dragenter", "dragover"].forEach((t) => zone.addEventListener(t, (e) => { e.preventDefault(); zone.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => zone.addEventListener(t, (e) => { e.preventDefault(); zone.classList.remove("over"); }));
  zone.addEventListener("drop", (e) => sendAll(e.dataTransfer.files));
})();
