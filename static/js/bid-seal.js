// Sealing a bid in this browser and uploading it; opening a sealed file to check it.
// The work runs in a Web Worker (static/js/seal-worker.js); this page passes it the chosen
// File objects, the key file's text and password, and the opening sheet — all of which stay
// in this browser — and uploads only the sealed envelope it gets back (static/js/tus-upload.js).
(function () {
  const card = document.getElementById("seal-in-browser");
  if (!card) return;
  const M = JSON.parse(document.getElementById("seal-messages").textContent);
  const $ = (id) => document.getElementById(id);
  const data = card.dataset;
  const csrf = $("seal-form").querySelector("[name=csrfmiddlewaretoken]").value;
  let worker = null;

  const say = (node, text, isError) => {
    node.textContent = text;
    node.classList.toggle("errorlist", Boolean(isError));
  };
  const refusal = (message) => (message.zh ? `${message.zh} / ${message.en}` : message.en);

  function startWorker() {
    if (!worker) worker = new Worker(data.worker);
    return worker;
  }

  /** Run one request in the worker; ``onProgress`` gets its progress messages. */
  function inWorker(request, onProgress) {
    const w = startWorker();
    return new Promise((resolve, reject) => {
      w.onmessage = (event) => {
        const message = event.data;
        if (message.type === "error") reject(new Error(refusal(message)));
        else if (message.type === "sealing" || message.type === "opening") onProgress(message.done, message.total);
        else resolve(message);
      };
      w.onerror = (event) => reject(new Error(`${M.worker_failed} (${event.message || ""})`));
      w.postMessage({ ...request, scripts: data.scripts.split(" "), toolVersion: data.toolVersion });
    });
  }

  /** A random id of this browser profile: the stand-in for the machine id [R40]. */
  function browserId() {
    let id = localStorage.getItem("ggzy-browser-id");
    if (!id) {
      id = crypto.randomUUID();
      localStorage.setItem("ggzy-browser-id", id);
    }
    return id;
  }

  function chosenFiles() {
    const picked = [];
    for (const file of $("seal-files").files) picked.push({ file, name: file.name });
    for (const file of $("seal-folder").files) picked.push({ file, name: file.webkitRelativePath || file.name });
    return picked;
  }

  function sheet() {
    const out = {};
    for (const input of $("seal-form").querySelectorAll("[id^=sheet-]")) {
      const value = input.value.trim();
      if (!value) continue;
      out[input.name] = input.type === "number" ? Number(value) : value;
    }
    return out;
  }

  const sizeText = (bytes) => (bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${bytes} B`);

  for (const id of ["seal-files", "seal-folder"]) {
    $(id).addEventListener("change", () => {
      const files = chosenFiles();
      const total = files.reduce((n, f) => n + f.file.size, 0);
      $("seal-files-summary").textContent = M.chosen.replace("%(count)s", files.length).replace("%(size)s", sizeText(total));
    });
  }

  async function sealedBlob(message) {
    if (message.blob) return message.blob;
    const root = await navigator.storage.getDirectory();
    const folder = await root.getDirectoryHandle("sealed-bids");
    return (await folder.getFileHandle(message.name)).getFile();
  }

  const pendingKey = `ggzy-sealed:${data.section}`;

  function showSaved(blob, sm3, size) {
    $("seal-save").href = URL.createObjectURL(blob);
    $("seal-sm3").textContent = `SM3 ${sm3} · ${sizeText(size)}`;
    $("seal-result").hidden = false;
  }

  /** Upload a sealed envelope; the same envelope (its SM3) always resumes the same upload. */
  async function uploadSealed(blob, sm3, replaces) {
    const status = $("seal-status");
    say(status, M.uploading);
    const bid = await window.ggzyTus.upload(blob, {
      endpoint: data.endpoint, csrf, section: data.section, replaces, networkError: M.network,
      idempotencyKey: await window.ggzyTus.keyOf(`${data.section}|${sm3}|${replaces}`),
      onProgress: (sent, total) => {
        $("seal-upload-progress").value = (100 * sent) / total;
        say(status, `${M.uploading} ${Math.floor((100 * sent) / total)}%`);
      },
    });
    localStorage.removeItem(pendingKey);
    $("seal-resume").hidden = true;
    status.replaceChildren(window.ggzyTus.receiptLink(bid, M.done));
    status.firstChild.id = "seal-receipt";
    status.classList.remove("errorlist");
  }

  /** A bid sealed here whose upload did not finish (the page was closed, the network cut):
   * its envelope, still in the browser's private storage, or null. */
  async function pendingUpload() {
    const pending = JSON.parse(localStorage.getItem(pendingKey) || "null");
    if (!pending) return null;
    try {
      const blob = await sealedBlob({ name: pending.name });
      return blob.size === pending.size ? { ...pending, blob } : null;
    } catch (e) {
      localStorage.removeItem(pendingKey);
      return null;
    }
  }

  async function offerResume() {
    const pending = await pendingUpload();
    if (!pending) return;
    $("seal-resume-sm3").textContent = pending.sm3;
    $("seal-resume").hidden = false;
  }

  $("seal-resume-button").addEventListener("click", async () => {
    const button = $("seal-resume-button");
    button.disabled = true;
    try {
      const pending = await pendingUpload();
      if (!pending) throw new Error(M.nothing_pending);
      showSaved(pending.blob, pending.sm3, pending.size);
      await uploadSealed(pending.blob, pending.sm3, pending.replaces);
    } catch (error) {
      say($("seal-status"), `${M.refused}: ${error.message}`, true);
    } finally {
      button.disabled = false;
    }
  });
  offerResume();

  $("seal-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = $("seal-status");
    const button = $("seal-submit");
    const files = chosenFiles();
    if (!files.length) { say(status, M.no_files, true); return; }
    const keyFile = $("seal-key").files[0];
    if (!keyFile) { say(status, M.no_key, true); return; }
    button.disabled = true;
    $("seal-result").hidden = true;
    try {
      say(status, M.sealing);
      const openingKey = await fetch(data.openingKey, { credentials: "same-origin" });
      if (!openingKey.ok) throw new Error(M.no_opening_key);
      const sealed = await inWorker({
        type: "seal",
        files,
        keyText: await keyFile.text(),
        password: $("seal-password").value,
        sheet: sheet(),
        sectionId: Number(data.sectionId),
        sectionCode: data.section,
        creditCode: data.creditCode,
        openingKeyPem: await openingKey.text(),
        browserId: browserId(),
        boundFingerprint: data.keyFingerprint,
        outputName: `${data.section}.gbid`,
      }, (done, total) => {
        $("seal-progress").value = (100 * done) / total;
        say(status, `${M.sealing} ${Math.floor((100 * done) / total)}%`);
      });
      $("seal-progress").value = 100;
      const blob = await sealedBlob(sealed);
      showSaved(blob, sealed.sm3, sealed.size);
      if (sealed.stored === "opfs") {
        // Kept on disk: if the upload is cut off, a reload offers to continue it.
        localStorage.setItem(pendingKey, JSON.stringify({ name: sealed.name, sm3: sealed.sm3, size: sealed.size, replaces: data.replaces }));
      }
      await uploadSealed(blob, sealed.sm3, data.replaces);
    } catch (error) {
      say(status, `${M.refused}: ${error.message}`, true);
      offerResume();
    } finally {
      button.disabled = false;
    }
  });

  $("check-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = $("check-status");
    $("check-result").hidden = true;
    try {
      say(status, M.opening);
      const opened = await inWorker({
        type: "open",
        file: $("check-file").files[0],
        keyText: await $("check-key").files[0].text(),
        password: $("check-password").value,
      }, (done, total) => say(status, `${M.opening} ${Math.floor((100 * done) / total)}%`));
      $("check-section").textContent = `${opened.section.code} (#${opened.section.id})`;
      $("check-bidder").textContent = opened.bidder;
      $("check-signature").textContent = M[`signature_${opened.signature}`];
      const sheetList = $("check-sheet");
      sheetList.replaceChildren();
      for (const [name, value] of Object.entries(opened.sheet)) {
        const term = document.createElement("dt");
        term.textContent = M.items[name] || name;
        const detail = document.createElement("dd");
        detail.textContent = typeof value === "string" ? value : JSON.stringify(value);
        detail.dataset.item = name;
        sheetList.append(term, detail);
      }
      const rows = $("check-files").querySelector("tbody");
      rows.replaceChildren();
      for (const file of opened.files) {
        const row = rows.insertRow();
        row.insertCell().textContent = file.name;
        const size = row.insertCell();
        size.textContent = file.size.toLocaleString();
        size.className = "num";
      }
      $("check-result").hidden = false;
      say(status, M.opened.replace("%(count)s", opened.files.length));
    } catch (error) {
      say(status, `${M.refused}: ${error.message}`, true);
    }
  });
})();
