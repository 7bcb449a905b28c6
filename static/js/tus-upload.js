// A small tus 1.0 client for sealed bids (docs/upload-protocol.md): resumable — a retry with
// the same idempotency key finds the upload and continues from the server's offset — in
// 8 MiB PATCHes. Used by the page that uploads a .gbid sealed with ggzy-bid and by the page
// that seals in the browser. window.ggzyTus.upload(blob, options) → the bid's id.
(function () {
  const CHUNK = 8 * 1024 * 1024;
  const b64 = (s) => btoa(unescape(encodeURIComponent(s)));

  /** A refusal the server explained: its bilingual detail, or the tus header's code. */
  class UploadRefused extends Error {}

  async function detail(response) {
    const header = response.headers.get("Ggzy-Reason");
    if (header) return decodeURIComponent(header);
    try { const body = await response.json(); return body.detail || response.statusText; }
    catch (e) { return response.statusText; }
  }

  /** Upload ``blob``; ``onProgress(sent, total)``. Resolves to the bid's id (a UUID). A broken
   * connection rejects with ``networkError`` (what to do next), when given. */
  async function upload(blob, options) {
    try {
      return await send(blob, options);
    } catch (error) {
      if (error instanceof TypeError && options.networkError) throw new UploadRefused(options.networkError);
      throw error;
    }
  }

  async function send(blob, { endpoint, csrf, section, replaces, idempotencyKey, onProgress }) {
    const tus = { "Tus-Resumable": "1.0.0", "X-CSRFToken": csrf };
    let meta = `section ${b64(section)},idempotency_key ${b64(idempotencyKey)}`;
    if (replaces) meta += `,replaces ${b64(replaces)}`;
    const created = await fetch(endpoint, {
      method: "POST", credentials: "same-origin",
      headers: { ...tus, "Upload-Length": String(blob.size), "Upload-Metadata": meta },
    });
    if (!created.ok) throw new UploadRefused(await detail(created));
    const location = created.headers.get("Location");
    for (;;) {
      const head = await fetch(location, { method: "HEAD", credentials: "same-origin", headers: tus });
      const done = head.headers.get("Ggzy-Bid");
      if (done) return done;
      if (head.headers.get("Ggzy-Refused") || !head.ok) throw new UploadRefused(await detail(head));
      const offset = Number(head.headers.get("Upload-Offset"));
      if (onProgress) onProgress(offset, blob.size);
      const response = await fetch(location, {
        method: "PATCH", credentials: "same-origin",
        headers: { ...tus, "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream" },
        // Bytes, not a Blob: a browser's request watcher (and a test) can then see exactly
        // what left the page.
        body: await blob.slice(offset, offset + CHUNK).arrayBuffer(),
      });
      if (response.status === 409) continue;
      if (!response.ok) throw new UploadRefused(await detail(response));
      const bid = response.headers.get("Ggzy-Bid");
      if (bid) { if (onProgress) onProgress(blob.size, blob.size); return bid; }
    }
  }

  /** A stable idempotency key: the same input (and replaced bid) resumes the same upload. */
  async function keyOf(text) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return Array.from(new Uint8Array(digest)).slice(0, 16).map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  /** The receipt's link, as both pages show it once the bid is filed. */
  function receiptLink(bid, text) {
    const link = document.createElement("a");
    link.href = `/bidding/bids/${bid}/receipt.json`;
    link.textContent = text;
    return link;
  }

  window.ggzyTus = { upload, keyOf, receiptLink, UploadRefused };
})();
