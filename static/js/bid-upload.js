// A small tus 1.0 client for sealed bids: resumable (the upload's address is remembered per
// file, and the idempotency key is derived from the file), 8 MiB PATCHes, progress bar.
(function () {
  const form = document.getElementById("bid-upload");
  if (!form) return;
  const messages = JSON.parse(document.getElementById("bid-messages").textContent);
  const status = document.getElementById("bid-status");
  const bar = document.getElementById("bid-progress");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const CHUNK = 8 * 1024 * 1024;
  const tus = { "Tus-Resumable": "1.0.0", "X-CSRFToken": csrf };
  const b64 = (s) => btoa(unescape(encodeURIComponent(s)));

  async function keyFor(file) {
    const seed = `${form.dataset.section}|${file.name}|${file.size}|${file.lastModified}|${form.dataset.replaces}`;
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(seed));
    return Array.from(new Uint8Array(digest)).slice(0, 16).map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function refusal(response) {
    try { const body = await response.json(); return body.detail || response.statusText; }
    catch (e) { return response.statusText; }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = document.getElementById("bid-file").files[0];
    if (!file) return;
    const key = await keyFor(file);
    let meta = `section ${b64(form.dataset.section)},idempotency_key ${b64(key)}`;
    if (form.dataset.replaces) meta += `,replaces ${b64(form.dataset.replaces)}`;
    const created = await fetch(form.dataset.endpoint, {
      method: "POST", credentials: "same-origin",
      headers: { ...tus, "Upload-Length": String(file.size), "Upload-Metadata": meta },
    });
    if (!created.ok) { status.textContent = `${messages.refused}: ${await refusal(created)}`; return; }
    const location = created.headers.get("Location");
    while (true) {
      const head = await fetch(location, { method: "HEAD", credentials: "same-origin", headers: tus });
      const done = head.headers.get("Ggzy-Bid");
      if (done) { finish(done); return; }
      if (head.headers.get("Ggzy-Refused")) { status.textContent = `${messages.refused}: ${head.headers.get("Ggzy-Refused")}`; return; }
      const offset = Number(head.headers.get("Upload-Offset"));
      bar.value = (100 * offset) / file.size;
      status.textContent = `${messages.sending} ${offset} / ${file.size}`;
      const response = await fetch(location, {
        method: "PATCH", credentials: "same-origin",
        headers: { ...tus, "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream" },
        body: file.slice(offset, offset + CHUNK),
      });
      if (response.status === 409) continue;
      if (!response.ok) { status.textContent = `${messages.refused}: ${await refusal(response)}`; return; }
      const bid = response.headers.get("Ggzy-Bid");
      if (bid) { finish(bid); return; }
    }
  });

  function finish(bid) {
    bar.value = 100;
    status.innerHTML = "";
    const link = document.createElement("a");
    link.href = `/bidding/bids/${bid}/receipt.json`;
    link.textContent = messages.done;
    link.id = "bid-receipt";
    status.appendChild(link);
  }
})();
