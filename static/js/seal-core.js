// Sealing a bid in the browser: the same `ggzy-bid/1` envelope `ggzy-bid seal` writes
// (docs/envelope.md), built from the bidder's files, opening sheet and key file without
// anything leaving the page; and opening one (ours or the CLI's) to show what it holds.
//
// SM2 (wrapping, signing) and SM4-GCM are sm-crypto-v2's (static/vendor/sm-crypto-v2);
// the streaming SM3 is hash-wasm's (static/vendor/hash-wasm): sm-crypto-v2 exports only a
// one-shot SM3, and the signature's SM3 runs over the whole envelope. Key files are read
// by hall-crypto.js (PKCS#8, plain or PBES2), which the hall page uses too.
//
// In the sealing worker (static/js/seal-worker.js) this defines self.ggzySealCore; under
// Node (tests/bidding/test_browser_sealing_interop.py) it exports the factory.
(function (root, factory) {
  if (typeof module === "object" && module.exports) module.exports = factory;
  else root.ggzySealCore = factory;
})(typeof self !== "undefined" ? self : this, function (deps) {
  "use strict";
  const { smv2, hashwasm, hallFactory, webcrypto, toolVersion } = deps;

  const SIGNER_ID = "1234567812345678";
  const FORMAT = "ggzy-bid/1";
  const MAGIC = new TextEncoder().encode("GGZYBID1");
  const TAG = 16;
  const BLOCK = 512;
  const RECORD = 10240;
  const SHEET_PADDING = 1024;
  const MAX_SHEET = 65536;
  const DEFAULT_CHUNK = 1 << 20;
  const MIN_CHUNK = 1024;
  const MAX_CHUNK = 1 << 24;
  const MAX_BODY = 2 ** 40;
  const MAX_MANIFEST = 262144;
  const READ_SIZE = 4 << 20;
  const PRICE = /^(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?$/;
  const SPKI_PREFIX = "3059301306072a8648ce3d020106082a811ccf5501822d034200";
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

  // hall-crypto is written for sm-crypto 0.5's array-taking SM3; the key-file reading and
  // unwrapping it does need only these two functions, which sm-crypto-v2 has.
  const hall = hallFactory(smv2.sm2, (bytes) => smv2.sm3(Uint8Array.from(bytes)), webcrypto);
  const { HallCryptoError, byCodePoint } = hall;
  const fail = (zh, en) => { throw new HallCryptoError(zh, en); };

  // --- bytes ---------------------------------------------------------------------------------
  const utf8 = (text) => new TextEncoder().encode(text);
  const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const fromHex = (hex) => Uint8Array.from(hex.match(/../g) || [], (h) => parseInt(h, 16));
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  const u32 = (n) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n, false); return b; };
  const u16 = (n) => new Uint8Array([(n >> 8) & 255, n & 255]);
  const readU32 = (b) => new DataView(b.buffer, b.byteOffset, 4).getUint32(0, false);
  const base64 = (bytes) => {
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  };
  const random = (size) => webcrypto.getRandomValues(new Uint8Array(size));
  const sm3 = (bytes) => fromHex(smv2.sm3(bytes));
  // --- keys ----------------------------------------------------------------------------------
  /** The SM2 public key (sm-crypto's "04…" hex) in a PEM SubjectPublicKeyInfo. */
  function readPublicKey(text) {
    const match = /-----BEGIN PUBLIC KEY-----([\s\S]*?)-----END PUBLIC KEY-----/.exec(text || "");
    if (!match) fail("不是 PEM 公钥", "not a PEM public key");
    const der = Uint8Array.from(atob(match[1].replace(/\s+/g, "")), (c) => c.charCodeAt(0));
    const hex = toHex(der);
    if (!hex.startsWith(SPKI_PREFIX) || der.length !== 91 || der[26] !== 4) fail("不是 SM2 公钥", "not an SM2 public key");
    const publicKey = hex.slice(SPKI_PREFIX.length);
    if (!smv2.sm2.verifyPublicKey(publicKey)) fail("公钥不在 SM2 曲线上", "the public key is not on the SM2 curve");
    return publicKey;
  }
  const readPrivateKey = (text, password) => hall.readPrivateKey(text, password);
  const fingerprint = (publicKey) => hall.fingerprint(publicKey);

  // --- the body: a pax tar, as Python's tarfile writes it (docs/envelope.md, The body) ---------
  const ZERO_BLOCK = new Uint8Array(BLOCK);

  function field(bytes, size) {
    const out = new Uint8Array(size);
    out.set(bytes.subarray(0, size));
    return out;
  }
  const ascii = (text) => Uint8Array.from(text, (c) => (c.charCodeAt(0) < 128 ? c.charCodeAt(0) : 63));
  const octal = (n, size) => concat(ascii(n.toString(8).padStart(size - 1, "0")), new Uint8Array(1));

  function ustarHeader({ name, size, mtime, type }) {
    const header = concat(
      field(ascii(name), 100), octal(type === "x" ? 0 : 0o644, 8), octal(0, 8), octal(0, 8),
      octal(size, 12), octal(mtime, 12), ascii("        "), ascii(type),
      new Uint8Array(100), ascii("ustar\u000000"), new Uint8Array(32), new Uint8Array(32),
      octal(0, 8).fill(0), octal(0, 8).fill(0), new Uint8Array(155),
    );
    const block = field(header, BLOCK);
    const sum = block.reduce((n, b) => n + b, 0);
    block.set(concat(ascii(sum.toString(8).padStart(6, "0")), new Uint8Array([0])), 148);
    return block;
  }

  function paxRecord(keyword, value) {
    const body = utf8(` ${keyword}=${value}\n`);
    let length = body.length;
    while (String(length).length + body.length !== length) length = String(length).length + body.length;
    return concat(ascii(String(length)), body);
  }

  /** The tar headers of one file: a pax header first when the name is not ASCII or too long,
   * or the size beyond the ustar field (as tarfile's PAX_FORMAT does). */
  function tarHeaders(entry) {
    const isAscii = /^[\x00-\x7f]*$/.test(entry.name);
    const records = [];
    if (!isAscii || entry.name.length > 100) records.push(paxRecord("path", entry.name));
    const big = entry.size >= 8 ** 11;
    if (big) records.push(paxRecord("size", String(entry.size)));
    const ustar = ustarHeader({ name: entry.name, size: big ? 0 : entry.size, mtime: entry.mtime, type: "0" });
    if (!records.length) return ustar;
    const payload = concat(...records);
    const padded = new Uint8Array(Math.ceil(payload.length / BLOCK) * BLOCK);
    padded.set(payload);
    return concat(ustarHeader({ name: "././@PaxHeader", size: payload.length, mtime: 0, type: "x" }), padded, ustar);
  }

  /** Check and order the files: [{name, size, mtime, read(offset, length)}] → the plan. */
  function planArchive(files) {
    if (!files.length) fail("没有要封装的文件", "no files to seal");
    const entries = files.map((f) => {
      const parts = f.name.split("/");
      if (parts.some((p) => p === "" || p === "." || p === ".." || p.includes("\\"))) {
        fail(`不支持的文件名：${f.name}`, `unsupported file name: ${f.name}`);
      }
      return { ...f, parts, mtime: Math.max(0, Math.floor(f.mtime)) };
    });
    entries.sort((a, b) => {
      for (let i = 0; i < Math.min(a.parts.length, b.parts.length); i++) {
        const order = byCodePoint(a.parts[i], b.parts[i]);
        if (order) return order;
      }
      return a.parts.length - b.parts.length;
    });
    let size = 0;
    entries.forEach((entry, i) => {
      if (i && entry.name === entries[i - 1].name) fail(`有两个文件同名：${entry.name}`, `two files have the same name: ${entry.name}`);
      entry.header = tarHeaders(entry);
      size += entry.header.length + Math.ceil(entry.size / BLOCK) * BLOCK;
    });
    size = Math.ceil((size + 2 * BLOCK) / RECORD) * RECORD;
    if (size > MAX_BODY) fail("投标文件过大", `the files are too large to seal (over ${MAX_BODY} bytes)`);
    return { entries, size };
  }

  /** The tar stream, in pieces of at most READ_SIZE bytes; the next read is already under way
   * while a piece is sealed. */
  async function* tarStream(plan) {
    let written = 0;
    for (const entry of plan.entries) {
      yield entry.header;
      written += entry.header.length;
      let at = 0;
      let next = entry.size ? entry.read(0, Math.min(READ_SIZE, entry.size)) : null;
      while (at < entry.size) {
        const data = await next;
        const want = Math.min(READ_SIZE, entry.size - at);
        if (data.length !== want) fail(`文件在封装过程中被修改：${entry.name}`, `a file changed while it was sealed: ${entry.name}`);
        at += data.length;
        next = at < entry.size ? entry.read(at, Math.min(READ_SIZE, entry.size - at)) : null;
        yield data;
      }
      const pad = (BLOCK - (entry.size % BLOCK)) % BLOCK;
      if (pad) yield ZERO_BLOCK.subarray(0, pad);
      written += entry.size + pad;
    }
    for (let rest = plan.size - written; rest > 0; rest -= BLOCK) yield ZERO_BLOCK.subarray(0, Math.min(BLOCK, rest));
  }

  // --- client signals (docs/envelope.md, The client fields) -----------------------------------
  /** file_creation_id derived from the files' names, sizes and times (a UUID, version 8). */
  function fileCreationId(plan) {
    const text = plan.entries.map((e) => `${e.name}\u0000${e.size}\u0000${e.mtime}\u0000`).join("");
    const raw = sm3(concat(utf8("ggzy-bid/1 file creation\u0000"), utf8(text))).subarray(0, 16);
    raw[6] = (raw[6] & 0x0f) | 0x80;
    raw[8] = (raw[8] & 0x3f) | 0x80;
    const hex = toHex(raw);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  /** This browser's stand-in for a machine id (kept by the page), hashed like the CLI's. */
  const machineFingerprint = (browserId) => toHex(sm3(concat(utf8("ggzy-bid/1 machine\u0000"), utf8(browserId))));

  // --- the opening sheet ------------------------------------------------------------------------
  /** Canonical JSON padded with spaces to a multiple of 1 KiB; the price as a two-decimal string. */
  function encodeSheet(sheet) {
    const price = String(sheet.price ?? "").trim();
    if (!PRICE.test(price) || !/[1-9]/.test(price)) {
      fail("投标报价必须是大于零的金额（元），最多两位小数，不含逗号和空格",
        "the bid price must be an amount in yuan above zero with at most two decimals, without commas or spaces");
    }
    const [whole, cents = ""] = price.split(".");
    const value = { ...sheet, price: `${whole}.${cents.padEnd(2, "0")}` };
    if ("duration_days" in value && !(Number.isSafeInteger(value.duration_days) && value.duration_days > 0)) {
      fail("工期必须是正整数（天）", "the duration must be a positive whole number of days");
    }
    for (const item of ["quality", "project_manager", "warranty"]) {
      if (item in value && (typeof value[item] !== "string" || !value[item].trim())) {
        fail(`开标一览表的 ${item} 不能为空`, `the sheet's ${item} must not be empty`);
      }
    }
    const data = utf8(hall.canonical(value));
    if (data.length > MAX_SHEET - TAG) fail("开标一览表过大", "the opening sheet is too large");
    const out = new Uint8Array(Math.ceil(data.length / SHEET_PADDING) * SHEET_PADDING).fill(32);
    out.set(data);
    return out;
  }

  // --- SM4-GCM parts (docs/envelope.md, Keys, nonces and associated data) -----------------------
  const chunkNonce = (prefix, index, last) => concat(prefix, u32(index), new Uint8Array([last ? 1 : 0]));
  const sheetNonce = (prefix) => concat(prefix, new Uint8Array([255, 255, 255, 255, 2]));
  function encryptPart(key, nonce, aad, plaintext) {
    const { output, tag } = smv2.sm4.encrypt(plaintext, key, {
      mode: "gcm", iv: nonce, associatedData: aad, output: "array", outputTag: true, padding: "none",
    });
    return concat(output, tag);
  }
  function decryptPart(key, nonce, aad, part, what) { // what: [Chinese, English]
    try {
      return smv2.sm4.decrypt(part.subarray(0, part.length - TAG), key, {
        mode: "gcm", iv: nonce, associatedData: aad, tag: part.subarray(part.length - TAG), output: "array", padding: "none",
      });
    } catch (e) {
      return fail(`${what[0]}校验失败：文件被改动或密钥不对`, `${what[1]} failed its check: the file was changed or the key is wrong`);
    }
  }
  const commitment = (cek) => toHex(sm3(concat(utf8("ggzy-bid/1 content key commitment\u0000"), cek)));
  /** GM/T 0009 DER SM2 ciphertext of the content key to ``publicKey``, base64. */
  const wrap = (cek, publicKey) => base64(fromHex(smv2.sm2.doEncrypt(cek, publicKey, 1, { asn1: true })));

  async function newHasher() {
    const hasher = await hashwasm.createSM3();
    hasher.init();
    return hasher;
  }

  /**
   * Seal ``files`` ([{name, size, mtime, read(offset, length) → Promise<Uint8Array>}]) and the
   * opening ``sheet`` for the section, signed with ``key`` ({d, publicKey}) and wrapped to the
   * bidder and to ``openingKey`` (hex). Every byte goes to ``write`` (may be async), in order.
   * Returns {size, sm3, manifest}.
   */
  async function seal({ files, sheet, sectionId, sectionCode, creditCode, key, openingKey, browserId, chunkSize = DEFAULT_CHUNK, write, progress }) {
    if (!Number.isSafeInteger(sectionId) || sectionId < 1) fail("标段编号无效", "bad section id");
    if (!(chunkSize >= MIN_CHUNK && chunkSize <= MAX_CHUNK)) fail("分块大小无效", "bad chunk size");
    const plan = planArchive(files);
    const sheetPlain = encodeSheet(sheet);
    const cek = random(16);
    const prefix = random(7);
    const bidderFingerprint = fingerprint(key.publicKey);
    const openingFingerprint = fingerprint(openingKey);
    if (openingFingerprint === bidderFingerprint) fail("开标密钥不能是投标人自己的密钥", "the opening key cannot be the bidder's own key");
    const chunks = Math.ceil(plan.size / chunkSize);
    const document = {
      algorithms: { chunk_size: chunkSize, cipher: "SM4-GCM", hash: "SM3", signature: "SM2-SM3", wrap: "SM2" },
      bidder: { credit_code: creditCode, key_fingerprint: bidderFingerprint },
      body_chunks: chunks,
      body_nonce_prefix: toHex(prefix),
      body_plaintext_size: plan.size,
      client: {
        file_creation_id: fileCreationId(plan),
        mac_addresses: [],
        machine_fingerprint: machineFingerprint(browserId),
        tool_version: toolVersion,
      },
      content_key_commitment: commitment(cek),
      created_at: new Date().toISOString(),
      format: FORMAT,
      recipients: [
        { key_fingerprint: bidderFingerprint, role: "bidder", wrapped_key: wrap(cek, key.publicKey) },
        { key_fingerprint: openingFingerprint, role: "opening", wrapped_key: wrap(cek, openingKey) },
      ],
      section: { code: sectionCode, id: sectionId },
      sheet_size: sheetPlain.length + TAG,
    };
    const manifest = utf8(hall.canonical(document));
    const digest = sm3(manifest);
    const fileHash = await newHasher();
    const message = await newHasher();
    message.update(smv2.sm2.getZ(key.publicKey, SIGNER_ID));
    let size = 0;
    const emit = async (bytes) => {
      fileHash.update(bytes);
      message.update(bytes);
      size += bytes.length;
      await write(bytes);
    };
    const sheetPart = encryptPart(cek, sheetNonce(prefix), concat(digest, utf8("sheet")), sheetPlain);
    await emit(concat(MAGIC, u32(manifest.length), manifest, u32(sheetPart.length), sheetPart));

    const bodyAad = concat(digest, utf8("body"));
    const buffer = new Uint8Array(chunkSize);
    let fill = 0;
    let index = 0;
    let sealed = 0;
    const sealChunk = async (plain) => {
      const part = encryptPart(cek, chunkNonce(prefix, index, index === chunks - 1), bodyAad, plain);
      await emit(concat(u32(part.length), part));
      index += 1;
      sealed += plain.length;
      if (progress) progress(sealed, plan.size);
    };
    for await (let piece of tarStream(plan)) {
      while (piece.length) {
        const take = Math.min(chunkSize - fill, piece.length);
        buffer.set(piece.subarray(0, take), fill);
        fill += take;
        piece = piece.subarray(take);
        if (fill === chunkSize) { await sealChunk(buffer); fill = 0; }
      }
    }
    if (fill) await sealChunk(buffer.subarray(0, fill));
    if (index !== chunks || sealed !== plan.size) fail("文件在封装过程中被修改", "the files changed while they were sealed");

    const e = message.digest("binary");
    const signature = fromHex(smv2.sm2.doSignature(e, key.d, { der: true, hash: false }));
    if (!smv2.sm2.doVerifySignature(e, toHex(signature), key.publicKey, { der: true, hash: false })) {
      fail("签名自检失败", "the signature failed its own check");
    }
    // The signature covers every byte before its own length field: only the file's SM3 goes on.
    const trailer = concat(u16(signature.length), signature);
    fileHash.update(trailer);
    size += trailer.length;
    await write(trailer);
    return { size, sm3: fileHash.digest("hex"), manifest: document };
  }

  // --- opening an envelope (what the page shows the bidder) ------------------------------------
  /** A streaming reader of the body's tar: lists its regular files (name, size). It reads
   * headers (512 bytes), pax records (≤ 64 KiB, as unseal allows) and skips file data. */
  function tarLister() {
    const files = [];
    let want = BLOCK;       // bytes the current state needs
    let state = "header";   // header | pax | data | end
    let held = [];
    let pax = null;
    const text = (bytes) => { const nul = bytes.indexOf(0); return new TextDecoder().decode(nul < 0 ? bytes : bytes.subarray(0, nul)); };
    const number = (bytes) => parseInt(text(bytes).trim() || "0", 8);
    function onHeader(block) {
      if (block.every((b) => b === 0)) { state = "end"; return; }
      const type = String.fromCharCode(block[156]);
      const size = number(block.subarray(124, 136));
      if (type === "x") {
        if (size > 65536) fail("投标文件的 pax 头过大", "a pax header in the bid is too large");
        state = "pax";
        want = Math.ceil(size / BLOCK) * BLOCK;
        pax = { size };
        return;
      }
      const prefix = text(block.subarray(345, 500));
      const name = (pax && pax.path) || (prefix ? `${prefix}/` : "") + text(block.subarray(0, 100));
      const realSize = pax && pax.size != null ? Number(pax.size) : size;
      pax = null;
      if (type === "0" || type === "\u0000") files.push({ name, size: realSize });
      else if (type !== "5") fail(`投标文件中有不允许的条目：${name}`, `the bid holds an entry that is not allowed: ${name}`);
      want = Math.ceil(realSize / BLOCK) * BLOCK;
      state = want ? "data" : "header";
      if (!want) want = BLOCK;
    }
    function onComplete(bytes) {
      if (state === "header") onHeader(bytes);
      else if (state === "pax") {
        const records = parsePax(bytes.subarray(0, pax.size));
        pax = { path: records.path, size: records.size };
        state = "header";
        want = BLOCK;
      }
    }
    return {
      files,
      feed(bytes) {
        let at = 0;
        while (at < bytes.length && state !== "end") {
          const n = Math.min(want, bytes.length - at);
          if (state === "data") {
            want -= n;
            at += n;
            if (!want) { state = "header"; want = BLOCK; }
            continue;
          }
          held.push(bytes.subarray(at, at + n));
          want -= n;
          at += n;
          if (!want) {
            const whole = concat(...held);
            held = [];
            onComplete(whole);
          }
        }
      },
    };
  }
  function parsePax(data) {
    const out = {};
    let at = 0;
    while (at < data.length) {
      const space = data.indexOf(32, at);
      const length = parseInt(new TextDecoder().decode(data.subarray(at, space)), 10);
      if (!(length > 0) || at + length > data.length) fail("投标文件的 pax 头无效", "a pax header in the bid is malformed");
      const record = new TextDecoder().decode(data.subarray(space + 1, at + length - 1));
      const eq = record.indexOf("=");
      out[record.slice(0, eq)] = record.slice(eq + 1);
      at += length;
    }
    return out;
  }

  /**
   * Open an envelope with the bidder's (or any recipient's) key: check every part, list the
   * files and read the opening sheet. ``read(offset, length)`` → Promise<Uint8Array>.
   * The signature is checked when ``key`` is the bidder's own (then: signature "valid").
   */
  async function open({ read, size, key, progress }) {
    const head = await read(0, 12);
    const extent = hall.manifestExtent(head);
    const manifestBytes = (await read(12, extent - 12));
    const manifest = hall.readManifest(concat(head, manifestBytes));
    if (hall.canonical(manifest) !== new TextDecoder().decode(manifestBytes)) {
      fail("投标文件清单不是规范 JSON", "the manifest is not canonical JSON");
    }
    const cek = fromHex(hall.unwrapContentKey(manifest, key));
    const digest = sm3(manifestBytes);
    const prefix = fromHex(manifest.body_nonce_prefix);
    const chunkSize = manifest.algorithms.chunk_size;
    const chunks = manifest.body_chunks;
    const total = manifest.body_plaintext_size;
    const own = fingerprint(key.publicKey) === manifest.bidder.key_fingerprint;
    const message = await newHasher();
    message.update(smv2.sm2.getZ(key.publicKey, SIGNER_ID));
    let at = extent;
    const take = async (length) => {
      if (at + length > size) fail("投标文件被截断", "the bid file is truncated");
      const bytes = await read(at, length);
      at += length;
      message.update(bytes);
      return bytes;
    };
    message.update(concat(head, manifestBytes));
    const sheetLength = readU32(await take(4));
    if (sheetLength !== manifest.sheet_size) fail("开标一览表长度与清单不符", "the sheet's length does not match the manifest");
    const sheetPlain = decryptPart(cek, sheetNonce(prefix), concat(digest, utf8("sheet")), await take(sheetLength), ["开标一览表", "the opening sheet"]);
    const sheet = JSON.parse(new TextDecoder().decode(sheetPlain).trimEnd());
    const lister = tarLister();
    const bodyAad = concat(digest, utf8("body"));
    for (let i = 0; i < chunks; i++) {
      const plainSize = i < chunks - 1 ? chunkSize : total - (chunks - 1) * chunkSize;
      const length = readU32(await take(4));
      if (length !== plainSize + TAG) fail(`第 ${i + 1} 块长度不对`, `chunk ${i + 1} has the wrong length`);
      lister.feed(decryptPart(cek, chunkNonce(prefix, i, i === chunks - 1), bodyAad, await take(length), [`第 ${i + 1} 块`, `chunk ${i + 1}`]));
      if (progress) progress(Math.min(total, (i + 1) * chunkSize), total);
    }
    const e = message.digest("binary");
    const sigLength = ((await read(at, 2)).reduce((n, b) => n * 256 + b, 0));
    if (sigLength < 8 || sigLength > 72 || at + 2 + sigLength !== size) fail("签名的位置或长度不对", "the signature is misplaced or has a bad length");
    const signature = await read(at + 2, sigLength);
    let signatureState = "unchecked";
    if (own) {
      signatureState = smv2.sm2.doVerifySignature(e, toHex(signature), key.publicKey, { der: true, hash: false }) ? "valid" : "invalid";
      if (signatureState === "invalid") fail("投标人签名无效：文件被改动", "the bidder's signature does not verify: the file was changed");
    }
    return { manifest, sheet, files: lister.files, signature: signatureState };
  }

  return {
    HallCryptoError, readPrivateKey, readPublicKey, fingerprint, planArchive, tarHeaders,
    fileCreationId, machineFingerprint, encodeSheet, seal, open, isUuid: (t) => UUID.test(t),
    DEFAULT_CHUNK, MAX_MANIFEST,
  };
});
