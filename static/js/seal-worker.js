// The sealing worker: seals the bidder's files in the background (the page stays responsive
// and shows progress) and opens a sealed file to show what it holds. Everything happens in
// this browser: the files, the key file and its password never leave it; the page uploads
// only the sealed envelope. See static/js/seal-core.js and docs/envelope.md.
//
// The sealed envelope is written to the origin-private file system (OPFS) when the browser
// has it — on disk, in constant memory, and still there if the page is reloaded before the
// upload ends — or else kept as a Blob.
"use strict";

let core = null;
const post = (message) => self.postMessage(message);

function load({ scripts, toolVersion }) {
  if (core) return;
  importScripts(...scripts);
  core = self.ggzySealCore({
    smv2: self.SmCryptoV2,
    hashwasm: self.hashwasm,
    hallFactory: self.ggzyHallCryptoFactory,
    webcrypto: self.crypto,
    toolVersion,
  });
}

const fileReader = (file) => async (offset, length) =>
  new Uint8Array(await file.slice(offset, offset + length).arrayBuffer());

/** Where the sealed bytes go: an OPFS file (``name``) or, without OPFS, a list of parts. */
async function openSink(name) {
  try {
    const root = await navigator.storage.getDirectory();
    const folder = await root.getDirectoryHandle("sealed-bids", { create: true });
    const handle = await folder.getFileHandle(name, { create: true });
    const access = await handle.createSyncAccessHandle();
    access.truncate(0);
    let at = 0;
    return {
      stored: "opfs",
      write(bytes) { at += access.write(bytes, { at }); },
      close() { access.flush(); access.close(); return null; },
    };
  } catch (e) {
    const parts = [];
    return {
      stored: "blob",
      write(bytes) { parts.push(bytes.slice()); },
      close() { return new Blob(parts, { type: "application/octet-stream" }); },
    };
  }
}

function throttled(type) {
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (now - last > 100 || done === total) { last = now; post({ type, done, total }); }
  };
}

async function seal(request) {
  const key = await core.readPrivateKey(request.keyText, request.password);
  // Checked before sealing, not only at upload: the wrong key file would cost a hurried
  // bidder a whole sealing and upload before the platform refuses it.
  const mine = core.fingerprint(key.publicKey);
  if (request.boundFingerprint && mine !== request.boundFingerprint) {
    throw new core.HallCryptoError(
      `该私钥不是本单位绑定的密钥（绑定的密钥指纹 ${request.boundFingerprint.slice(0, 16)}…，所选 ${mine.slice(0, 16)}…）：请选择绑定的私钥文件，或先在“我的工作台 → 密钥”中绑定此密钥`,
      `this key is not the one bound to your organisation (bound key ${request.boundFingerprint.slice(0, 16)}…, chosen ${mine.slice(0, 16)}…): choose the bound key file, or bind this key first (My workbench → Keys)`,
    );
  }
  const files = request.files.map(({ file, name }) => ({
    name, size: file.size, mtime: file.lastModified / 1000, read: fileReader(file),
  }));
  const sink = await openSink(request.outputName);
  let result;
  try {
    result = await core.seal({
      files,
      sheet: request.sheet,
      sectionId: request.sectionId,
      sectionCode: request.sectionCode,
      creditCode: request.creditCode,
      key,
      openingKey: core.readPublicKey(request.openingKeyPem),
      browserId: request.browserId,
      write: (bytes) => sink.write(bytes),
      progress: throttled("sealing"),
    });
  } catch (error) {
    sink.close();
    throw error;
  }
  const blob = sink.close();
  post({
    type: "sealed", stored: sink.stored, name: request.outputName, blob,
    size: result.size, sm3: result.sm3, fileCreationId: result.manifest.client.file_creation_id,
  });
}

async function open(request) {
  const key = await core.readPrivateKey(request.keyText, request.password);
  const file = request.file;
  const opened = await core.open({ read: fileReader(file), size: file.size, key, progress: throttled("opening") });
  post({
    type: "opened",
    sheet: opened.sheet,
    files: opened.files,
    signature: opened.signature,
    section: opened.manifest.section,
    bidder: opened.manifest.bidder.credit_code,
    createdAt: opened.manifest.created_at,
  });
}

self.onmessage = async (event) => {
  const request = event.data;
  try {
    load(request);
    if (request.type === "seal") await seal(request);
    else if (request.type === "open") await open(request);
  } catch (error) {
    post({ type: "error", zh: error.zh || "", en: error.en || String(error.message || error) });
  }
};
