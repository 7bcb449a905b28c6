// The bidder's cryptography in the opening hall, in the browser: read the sealed bid's
// manifest, open the private key file (PKCS#8, plain or PBES2-encrypted), unwrap the content
// key (SM2, GM/T 0009) and sign the reading (SM2 with SM3). The private key stays in this
// page: only the content key and the signature are sent. SM2 and SM3 are sm-crypto's
// (static/vendor/sm-crypto); PBKDF2 and AES-CBC are the browser's WebCrypto.
// See docs/envelope.md, docs/hall-protocol.md, ggzy_core/gm/keyformats.py and ggzy_core/gm/pbes2.py.
//
// In the page this defines window.ggzyHallCrypto; under Node (the interoperability tests)
// it exports the factory, to be called with sm-crypto's sm2 and sm3 and a WebCrypto.
(function (root, factory) {
  if (typeof module === "object" && module.exports) module.exports = factory;
  else {
    root.ggzyHallCryptoFactory = factory; // the sealing worker builds it over sm-crypto-v2
    if (root.sm2) root.ggzyHallCrypto = factory(root.sm2, root.sm3, root.crypto);
  }
})(typeof self !== "undefined" ? self : this, function (sm2, sm3, webcrypto) {
  "use strict";

  const SIGNER_ID = "1234567812345678";
  const N = BigInt("0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123");
  const OID = {
    ecPublicKey: "2a8648ce3d0201",
    sm2: "2a811ccf5501822d",
    pbes2: "2a864886f70d01050d",
    pbkdf2: "2a864886f70d01050c",
    aes128cbc: "608648016503040102",
    aes192cbc: "608648016503040116",
    aes256cbc: "60864801650304012a",
    sm4cbc: "2a811ccf55016802",
  };
  const PRF = {
    "2a864886f70d0207": "SHA-1",
    "2a864886f70d0209": "SHA-256",
    "2a864886f70d020a": "SHA-384",
    "2a864886f70d020b": "SHA-512",
  };
  const MAX_ITERATIONS = 10000000;
  // SubjectPublicKeyInfo of an SM2 key up to the point: id-ecPublicKey, curve SM2, BIT STRING.
  const SPKI_PREFIX = "3059301306072a8648ce3d020106082a811ccf5501822d034200";
  const COMMITMENT_DOMAIN = "ggzy-bid/1 content key commitment";
  const READING_DOMAIN = "ggzy-reading\n";
  const REPORT_DOMAIN = "ggzy-evaluation-report\n";

  /** An error a person can read: Chinese / English, like the server's. */
  class HallCryptoError extends Error {
    constructor(zh, en) {
      super(`${zh} / ${en}`);
      this.name = "HallCryptoError";
      this.zh = zh;
      this.en = en;
    }
  }
  const fail = (zh, en) => { throw new HallCryptoError(zh, en); };

  // --- bytes -------------------------------------------------------------------------------
  const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  function fromHex(hex) {
    if (hex.length % 2 || /[^0-9a-f]/i.test(hex)) fail("十六进制格式错误", "malformed hex");
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
    return out;
  }
  function fromBase64(text) {
    let binary;
    try { binary = atob(text.replace(/\s+/g, "")); } catch (e) { fail("Base64 格式错误", "malformed base64"); }
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  }
  const utf8 = (text) => new TextEncoder().encode(text);
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  const sm3Hex = (bytes) => sm3(Array.from(bytes));

  // --- DER: just enough to read keys and SM2 ciphertexts --------------------------------------
  function tlv(bytes, at) {
    if (at + 2 > bytes.length) fail("DER 数据被截断", "truncated DER");
    const tag = bytes[at];
    let length = bytes[at + 1];
    let start = at + 2;
    if (length & 0x80) {
      const count = length & 0x7f;
      if (count < 1 || count > 3 || start + count > bytes.length) fail("DER 长度无效", "bad DER length");
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i];
      start += count;
    }
    const end = start + length;
    if (end > bytes.length) fail("DER 数据被截断", "truncated DER");
    return { tag, value: bytes.subarray(start, end), end };
  }
  /** The elements of a constructed value, checking each tag against ``tags`` (null: any). */
  function elements(node, tags, what) {
    const out = [];
    let at = 0;
    while (at < node.value.length) {
      const child = tlv(node.value, at);
      out.push(child);
      at = child.end;
    }
    tags.forEach((tag, i) => {
      if (tag !== null && (!out[i] || out[i].tag !== tag)) fail(`${what} 结构无效`, `malformed ${what}`);
    });
    return out;
  }
  function single(bytes, tag, what) {
    const node = tlv(bytes, 0);
    if (node.tag !== tag || node.end !== bytes.length) fail(`${what} 结构无效`, `malformed ${what}`);
    return node;
  }
  /** A non-negative DER INTEGER as exactly ``size`` big-endian bytes. */
  function unsigned(node, size, what) {
    let v = node.value;
    if (!v.length || v[0] & 0x80) fail(`${what} 不是正整数`, `${what} is not a positive integer`);
    while (v.length > 1 && v[0] === 0) v = v.subarray(1);
    if (v.length > size) fail(`${what} 过长`, `${what} is too long`);
    return concat(new Uint8Array(size - v.length), v);
  }
  const smallInteger = (node) => {
    if (!node.value.length || node.value.length > 4 || node.value[0] & 0x80) fail("整数无效", "bad integer");
    return node.value.reduce((n, b) => n * 256 + b, 0);
  };

  // --- the private key file -------------------------------------------------------------------
  function pemBlock(text) {
    const match = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
    if (!match) fail("不是 PEM 私钥文件", "not a PEM private key file");
    const body = match[2];
    if (/^[A-Za-z-]+:/m.test(body)) {
      fail("不支持旧式加密 PEM，请用 openssl pkcs8 -topk8 -v2 aes-256-cbc 转换",
        "legacy encrypted PEM is not supported; convert it with openssl pkcs8 -topk8 -v2 aes-256-cbc");
    }
    return { label: match[1], der: fromBase64(body) };
  }

  function ecPrivateKey(der, needCurve) {
    const parts = elements(single(der, 0x30, "ECPrivateKey"), [0x02, 0x04], "ECPrivateKey");
    if (smallInteger(parts[0]) !== 1) fail("ECPrivateKey 版本无效", "bad ECPrivateKey version");
    const curve = parts.slice(2).find((p) => p.tag === 0xa0);
    if (curve) {
      const oid = single(curve.value, 0x06, "curve");
      if (toHex(oid.value) !== OID.sm2) fail("不是 SM2 密钥", "not an SM2 key");
    } else if (needCurve) {
      fail("EC 私钥未指明曲线", "the EC private key names no curve");
    }
    const scalar = parts[1].value;
    if (!scalar.length || scalar.length > 32) fail("私钥长度无效", "bad private key length");
    const d = BigInt("0x" + toHex(scalar));
    if (d < 1n || d >= N - 1n) fail("私钥超出范围", "private key out of range");
    return d.toString(16).padStart(64, "0");
  }

  function privateKeyInfo(der) {
    const parts = elements(single(der, 0x30, "PrivateKeyInfo"), [0x02, 0x30, 0x04], "PrivateKeyInfo");
    const algorithm = elements(parts[1], [0x06, 0x06], "AlgorithmIdentifier");
    if (toHex(algorithm[0].value) !== OID.ecPublicKey || toHex(algorithm[1].value) !== OID.sm2) {
      fail("不是 SM2 私钥（需要 SM2 曲线上的 EC 密钥）", "not an SM2 private key (an EC key on the SM2 curve is needed)");
    }
    return ecPrivateKey(parts[2].value, false);
  }

  async function decryptPkcs8(der, password) {
    if (!password) fail("该私钥已加密，请输入密码", "this private key is encrypted: enter its password");
    if (!webcrypto || !webcrypto.subtle) fail("浏览器不支持 WebCrypto（需要 https）", "this browser has no WebCrypto (https is needed)");
    const [scheme, data] = elements(single(der, 0x30, "EncryptedPrivateKeyInfo"), [0x30, 0x04], "EncryptedPrivateKeyInfo");
    const [schemeOid, params] = elements(scheme, [0x06, 0x30], "PBES2");
    if (toHex(schemeOid.value) !== OID.pbes2) fail("只支持 PBES2 加密的私钥", "only PBES2-encrypted keys are supported");
    const [kdf, cipher] = elements(params, [0x30, 0x30], "PBES2");
    const [kdfOid, kdfParams] = elements(kdf, [0x06, 0x30], "PBKDF2");
    if (toHex(kdfOid.value) !== OID.pbkdf2) fail("只支持 PBKDF2", "only PBKDF2 is supported");
    const kp = elements(kdfParams, [0x04, 0x02], "PBKDF2");
    const iterations = smallInteger(kp[1]);
    if (iterations < 1 || iterations > MAX_ITERATIONS) fail("PBKDF2 迭代次数无效", "bad PBKDF2 iteration count");
    let hash = "SHA-1";
    let keyLength = null;
    for (const extra of kp.slice(2)) {
      if (extra.tag === 0x02) keyLength = smallInteger(extra);
      if (extra.tag === 0x30) {
        hash = PRF[toHex(elements(extra, [0x06], "PRF")[0].value)];
        if (!hash) fail("不支持的 PBKDF2 PRF", "unsupported PBKDF2 PRF");
      }
    }
    const [cipherOid, ivNode] = elements(cipher, [0x06, 0x04], "cipher");
    const size = { [OID.aes128cbc]: 16, [OID.aes256cbc]: 32 }[toHex(cipherOid.value)];
    if (!size) {
      fail("浏览器只能打开 AES-128/256-CBC 加密的私钥，请用 ggzy-bid 或 openssl pkcs8 -v2 aes-256-cbc 重新加密",
        "the browser opens only AES-128/256-CBC encrypted keys; re-encrypt with ggzy-bid or openssl pkcs8 -v2 aes-256-cbc");
    }
    if (keyLength !== null && keyLength !== size) fail("PBKDF2 密钥长度与算法不符", "PBKDF2 keyLength does not fit the cipher");
    if (ivNode.value.length !== 16) fail("CBC IV 应为 16 字节", "the CBC IV must be 16 bytes");
    const subtle = webcrypto.subtle;
    const base = await subtle.importKey("raw", utf8(password), "PBKDF2", false, ["deriveBits"]);
    const bits = await subtle.deriveBits(
      { name: "PBKDF2", salt: kp[0].value, iterations, hash }, base, size * 8);
    const aes = await subtle.importKey("raw", bits, "AES-CBC", false, ["decrypt"]);
    let plain;
    try {
      plain = new Uint8Array(await subtle.decrypt({ name: "AES-CBC", iv: ivNode.value }, aes, data.value));
    } catch (e) {
      fail("密码错误", "wrong password");
    }
    try { return privateKeyInfo(plain); } catch (e) { return fail("密码错误", "wrong password"); }
  }

  /** The SM2 private key in a PEM file: ``{d, publicKey}`` in sm-crypto's hex forms. */
  async function readPrivateKey(text, password) {
    const { label, der } = pemBlock(text);
    let d;
    if (label === "PRIVATE KEY") d = privateKeyInfo(der);
    else if (label === "ENCRYPTED PRIVATE KEY") d = await decryptPkcs8(der, password);
    else if (label === "EC PRIVATE KEY") d = ecPrivateKey(der, true);
    else fail(`这不是私钥文件（${label}）`, `this is not a private key file (${label})`);
    // The public key is always derived from d, never taken from the file.
    return { d, publicKey: sm2.getPublicKeyFromPrivateKey(d) };
  }

  /** SM3 of the DER SubjectPublicKeyInfo: the key fingerprint of docs/crypto.md. */
  const fingerprint = (publicKey) => sm3Hex(fromHex(SPKI_PREFIX + publicKey));

  // --- the sealed bid's manifest ----------------------------------------------------------------
  const MAGIC = "GGZYBID1";
  const HEADER = 12;
  const MAX_MANIFEST = 262144;

  /** From the file's first 12 bytes: how many bytes the manifest needs (12 + M). */
  function manifestExtent(head) {
    if (head.length < HEADER || String.fromCharCode(...head.subarray(0, 8)) !== MAGIC) {
      fail("不是加密投标文件（.gbid）", "not a sealed bid file (.gbid)");
    }
    const size = new DataView(head.buffer, head.byteOffset, HEADER).getUint32(8, false);
    if (size < 2 || size > MAX_MANIFEST) fail("投标文件清单长度无效", "bad manifest length");
    return HEADER + size;
  }

  function readManifest(bytes) {
    const end = manifestExtent(bytes);
    if (bytes.length < end) fail("投标文件被截断", "the bid file is truncated");
    let manifest;
    try {
      manifest = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(HEADER, end)));
    } catch (e) {
      fail("投标文件清单无法读取", "the manifest is not valid JSON");
    }
    if (!manifest || manifest.format !== "ggzy-bid/1" || !Array.isArray(manifest.recipients)) {
      fail("不支持的投标文件格式", "unsupported bid file format");
    }
    return manifest;
  }

  /** GM/T 0009 DER SEQUENCE {x, y, C3, C2} → sm-crypto's C1C3C2 hex (x ‖ y ‖ C3 ‖ C2, no 04). */
  function ciphertextHex(der) {
    const [x, y, c3, c2] = elements(single(der, 0x30, "SM2 ciphertext"), [0x02, 0x02, 0x04, 0x04], "SM2 ciphertext");
    if (c3.value.length !== 32 || !c2.value.length) fail("SM2 密文结构无效", "malformed SM2 ciphertext");
    return toHex(unsigned(x, 32, "C1.x")) + toHex(unsigned(y, 32, "C1.y")) + toHex(c3.value) + toHex(c2.value);
  }

  function sm2Decrypt(der, key) {
    const plain = sm2.doDecrypt(ciphertextHex(der), key.d, 1, { output: "array" });
    return plain && plain.length ? Uint8Array.from(plain) : null;
  }

  /** The content key (hex) for ``key`` from the manifest, checked against its commitment. */
  function unwrapContentKey(manifest, key) {
    const mine = fingerprint(key.publicKey);
    const recipient = manifest.recipients.find((r) => r.key_fingerprint === mine);
    if (!recipient) {
      fail("该私钥不是这份投标文件的接收方：请选择本单位绑定的密钥和本单位的投标文件",
        "this key is not a recipient of this bid file: choose your organisation's bound key and your own bid");
    }
    const cek = sm2Decrypt(fromBase64(recipient.wrapped_key), key);
    if (!cek || cek.length !== 16) fail("无法解开内容密钥", "the content key could not be unwrapped");
    const commitment = sm3Hex(concat(utf8(COMMITMENT_DOMAIN), new Uint8Array([0]), cek));
    if (commitment !== manifest.content_key_commitment) {
      fail("内容密钥与投标文件的承诺值不符", "the content key does not match the bid's commitment");
    }
    return toHex(cek);
  }

  // --- the reading -----------------------------------------------------------------------------
  const byCodePoint = (a, b) => {
    const x = Array.from(a, (c) => c.codePointAt(0));
    const y = Array.from(b, (c) => c.codePointAt(0));
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  };
  /** ggzy_core.canonical: sorted keys, no spaces, raw UTF-8, integers only. */
  function canonical(value) {
    if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
    if (typeof value === "number") {
      if (!Number.isSafeInteger(value)) fail("唱标结果含有非整数数值", "the reading holds a non-integer number");
      return String(value);
    }
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    const keys = Object.keys(value).sort(byCodePoint);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  const readingDigest = (reading) => sm3Hex(utf8(canonical(reading)));

  let BigInteger = null; // sm-crypto's bundled jsbn class, which it does not export
  /** A signature nonce straight from crypto.getRandomValues, as a point for doSignature. */
  function freshPoint() {
    if (!webcrypto || !webcrypto.getRandomValues) fail("浏览器没有安全随机数", "no secure random source");
    if (!BigInteger) BigInteger = sm2.getPoint().k.constructor;
    for (;;) {
      const hex = toHex(webcrypto.getRandomValues(new Uint8Array(32)));
      const k = BigInt("0x" + hex);
      if (k < 1n || k >= N) continue;
      const point = sm2.getPublicKeyFromPrivateKey(hex);
      return { k: new BigInteger(hex, 16), x1: new BigInteger(point.substr(2, 64), 16) };
    }
  }

  /** Sign ``"ggzy-reading\n" + reading_sm3`` after checking the reading against it; DER hex. */
  function signReading(reading, readingSm3, key) {
    if (!/^[0-9a-f]{64}$/.test(readingSm3) || readingDigest(reading) !== readingSm3) {
      fail("唱标结果与其摘要不符，拒绝签名", "the reading does not match its published SM3: not signing");
    }
    const message = Array.from(utf8(READING_DOMAIN + readingSm3));
    const options = { der: true, hash: true, publicKey: key.publicKey, userId: SIGNER_ID };
    const signature = sm2.doSignature(message, key.d, { ...options, pointPool: [freshPoint()] });
    if (!sm2.doVerifySignature(message, signature, key.publicKey, options)) {
      fail("签名自检失败", "the signature failed its own check");
    }
    return signature;
  }

  /** Sign an evaluation report (ggzy_core.evaluation.report_message): the report's SM3 and
   * the member's answer, a dissent bound to its written reasons by their SM3. The report
   * text must be the canonical JSON whose SM3 is ``reportSm3``. DER hex. */
  function signReport(reportText, reportSm3, agrees, dissent, key) {
    if (!/^[0-9a-f]{64}$/.test(reportSm3) || sm3Hex(utf8(reportText)) !== reportSm3) {
      fail("评标报告与其摘要不符，拒绝签名", "the report does not match its SM3: not signing");
    }
    const answer = agrees ? "agree" : `dissent ${sm3Hex(utf8(dissent))}`;
    const message = Array.from(utf8(`${REPORT_DOMAIN}${reportSm3}\n${answer}`));
    const options = { der: true, hash: true, publicKey: key.publicKey, userId: SIGNER_ID };
    const signature = sm2.doSignature(message, key.d, { ...options, pointPool: [freshPoint()] });
    if (!sm2.doVerifySignature(message, signature, key.publicKey, options)) {
      fail("签名自检失败", "the signature failed its own check");
    }
    return signature;
  }

  return {
    HallCryptoError,
    signReport,
    readPrivateKey,
    fingerprint,
    manifestExtent,
    readManifest,
    ciphertextHex,
    unwrapContentKey,
    canonical,
    byCodePoint,
    readingDigest,
    signReading,
  };
});
