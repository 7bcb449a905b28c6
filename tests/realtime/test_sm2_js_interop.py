"""The hall page's cryptography (static/js/hall-crypto.js over the vendored sm-crypto), run
under Node, against ggzy_core.gm: signatures made in the browser verify on the server, content
keys wrapped by ggzy_core.gm unwrap in the browser (short and padded DER integers included), key
files written by ``ggzy-bid keygen`` open (plain and PBES2), the fingerprint and the reading's
SM3 are the server's byte for byte.

Without ``node`` these tests are skipped on a developer's machine, but fail in CI (``CI=true``).
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path
from typing import Any

import pytest

from ggzy_core.canonical import canonical
from ggzy_core.credit_code import check_character
from ggzy_core.evaluation import report_digest, report_message
from ggzy_core.gm import curve, der, envelope, sm2
from ggzy_core.reading import reading_digest, reading_message
from tests import node as nodejs

pytestmark = nodejs.requires_node

# Reads one JSON request on stdin, answers one JSON line: {"ok": …} or {"error": …}.
DRIVER = r"""
const root = process.argv[1];
const sm2 = require(root + "/static/vendor/sm-crypto/sm2.js");
const sm3 = require(root + "/static/vendor/sm-crypto/sm3.js");
const hall = require(root + "/static/js/hall-crypto.js")(sm2, sm3, globalThis.crypto);
const run = {
  async key({ pem, password }) {
    const key = await hall.readPrivateKey(pem, password);
    return { ...key, fingerprint: hall.fingerprint(key.publicKey) };
  },
  async sign({ pem, password, reading, reading_sm3, count }) {
    const key = await hall.readPrivateKey(pem, password);
    return Array.from({ length: count || 1 }, () => hall.signReading(reading, reading_sm3, key));
  },
  async sign_report({ pem, password, text, sm3, agrees, dissent }) {
    const key = await hall.readPrivateKey(pem, password);
    return hall.signReport(text, sm3, agrees, dissent, key);
  },
  async raw_sign({ d, message, count }) {  // sm-crypto alone, with its own nonces
    const publicKey = sm2.getPublicKeyFromPrivateKey(d);
    return Array.from({ length: count }, () => sm2.doSignature(message, d,
      { der: true, hash: true, publicKey, userId: "1234567812345678" }));
  },
  async decrypt({ d, ciphertexts }) {
    return ciphertexts.map((b64) => {
      const der = Uint8Array.from(Buffer.from(b64, "base64"));
      const plain = sm2.doDecrypt(hall.ciphertextHex(der), d, 1, { output: "array" });
      return Buffer.from(plain).toString("hex");
    });
  },
  async unlock({ bid, pem, password }) {
    const bytes = Uint8Array.from(Buffer.from(bid, "base64"));
    const manifest = hall.readManifest(bytes.subarray(0, hall.manifestExtent(bytes.subarray(0, 12))));
    return hall.unwrapContentKey(manifest, await hall.readPrivateKey(pem, password));
  },
  async digest({ reading }) {
    return { canonical: hall.canonical(reading), sm3: hall.readingDigest(reading) };
  },
};
"""


def js(node: str, op: str, **request: Any) -> Any:
    return nodejs.answer(node, DRIVER, op, **request)


def js_error(node: str, op: str, **request: Any) -> str:
    return nodejs.refusal(node, DRIVER, op, **request)


def scalar_hex(key: sm2.SM2PrivateKey) -> str:
    return format(key._d, "064x")


READING: dict[str, Any] = {
    "section": "GGZY-2026-001-01",
    "items": ["price", "duration_days", "quality", "project_manager"],
    "price_ceiling": "48000000.00",
    "rows": [
        {
            "sequence": 1,
            "bidder": "江南建工集团有限公司",
            "credit_code": "91350100M000100Y43",
            "status": "decrypted",
            "values": {
                "price": "40850000.00",
                "duration_days": 540,
                "quality": '合格 "一次" 验收\n\t\\ \u0001 \u2028 😀',
                "project_manager": "王工",
            },
        },
        {
            "sequence": 2,
            "bidder": "Zeta & Ærø",
            "credit_code": "",
            "status": "revoked",
            "values": None,
        },
    ],
    "flags": [True, False, None, 0, -7, 2**53 - 1],
}


def test_the_canonical_reading_and_its_sm3_are_the_servers(node: str) -> None:
    answer = js(node, "digest", reading=READING)
    from ggzy_core.canonical import canonical

    assert answer["canonical"].encode() == canonical(READING)
    assert answer["sm3"] == reading_digest(READING)


def test_a_key_file_opens_in_the_browser_plain_and_encrypted(node: str) -> None:
    key = sm2.generate_private_key()
    public = key.public_key()
    expected = {
        "d": scalar_hex(key),
        "publicKey": public.to_bytes().hex(),
        "fingerprint": public.fingerprint(),
    }
    assert public.to_bytes()[0] == 4
    assert js(node, "key", pem=key.to_pem().decode(), password="") == expected
    encrypted = key.to_pem("口令 secret".encode(), iterations=2000).decode()
    assert "ENCRYPTED PRIVATE KEY" in encrypted
    assert js(node, "key", pem=encrypted, password="口令 secret") == expected
    assert "wrong password" in js_error(node, "key", pem=encrypted, password="guess")
    assert "encrypted" in js_error(node, "key", pem=encrypted, password="")
    assert "not a private key" in js_error(node, "key", pem=public.to_pem().decode(), password="")


def test_signatures_made_in_the_browser_verify_with_ggzy_gm(node: str) -> None:
    key = sm2.generate_private_key()
    published = reading_digest(READING)
    signatures = js(
        node,
        "sign",
        pem=key.to_pem().decode(),
        password="",
        reading=READING,
        reading_sm3=published,
        count=200,
    )
    message = reading_message(published)
    assert len(set(signatures)) == 200  # a fresh nonce every time
    assert all(key.public_key().verify(message, bytes.fromhex(s)) for s in signatures)
    # Minimal DER, like ggzy_core.gm writes it (200 signatures hold short r or s, with a leading
    # zero byte, with probability 0.8; a padded 00 before a high bit in nearly every one).
    assert all(
        der.encode_signature(*der.decode_signature(bytes.fromhex(s))).hex() == s for s in signatures
    )
    other = sm2.generate_private_key().public_key()
    assert not other.verify(message, bytes.fromhex(signatures[0]))


@pytest.mark.parametrize(
    ("agrees", "dissent"), [(True, ""), (False, "第二名技术分偏高\n理由见附页")]
)
def test_an_evaluation_report_signed_in_the_browser_verifies_with_what_was_answered(
    node: str, agrees: bool, dissent: str
) -> None:
    key = sm2.generate_private_key()
    report = {"format": "ggzy-evaluation-report/1", "candidates": [2, 1], "bidder": "江南建工"}
    text = canonical(report).decode("utf-8")
    signature = js(
        node,
        "sign_report",
        pem=key.to_pem().decode(),
        password="",
        text=text,
        sm3=report_digest(report),
        agrees=agrees,
        dissent=dissent,
    )
    signed = report_message(report_digest(report), agrees=agrees, dissent=dissent)
    assert key.public_key().verify(signed, bytes.fromhex(signature))
    flipped = report_message(report_digest(report), agrees=not agrees, dissent=dissent or "x")
    assert not key.public_key().verify(flipped, bytes.fromhex(signature))


def test_the_browser_refuses_to_sign_a_report_that_does_not_match_its_sm3(node: str) -> None:
    key = sm2.generate_private_key()
    refused = js_error(
        node,
        "sign_report",
        pem=key.to_pem().decode(),
        password="",
        text='{"candidates":[1]}',
        sm3=report_digest({"candidates": [2]}),
        agrees=True,
        dissent="",
    )
    assert "does not match its SM3" in refused


def test_sm_crypto_alone_signs_what_ggzy_gm_verifies(node: str) -> None:
    key = sm2.generate_private_key()
    message = "ggzy-reading\n" + "ab" * 32
    signatures = js(node, "raw_sign", d=scalar_hex(key), message=message, count=50)
    assert all(key.public_key().verify(message.encode(), bytes.fromhex(s)) for s in signatures)


def test_the_browser_refuses_to_sign_a_reading_that_does_not_match_its_sm3(node: str) -> None:
    key = sm2.generate_private_key()
    altered = {**READING, "price_ceiling": "49000000.00"}
    refused = js_error(
        node,
        "sign",
        pem=key.to_pem().decode(),
        password="",
        reading=altered,
        reading_sm3=reading_digest(READING),
    )
    assert "does not match its published SM3" in refused


def nonce_where(condition: Any) -> int:
    """A k whose C1 = k·G has the wanted shape (found by trying, cheaply)."""
    k = 2
    while not condition(*curve.base_multiply(k)):
        k += 1
    return k


def test_the_browser_unwraps_what_ggzy_gm_wraps_short_and_padded_integers_too(node: str) -> None:
    key = sm2.generate_private_key()
    public = key.public_key()
    plain = bytes(range(16))
    shapes = [
        nonce_where(lambda x, y: x < 1 << 248),  # x is a short INTEGER (31 bytes or less)
        nonce_where(lambda x, y: y < 1 << 248),  # y is a short INTEGER
        nonce_where(lambda x, y: x >> 255 and y >> 255),  # both carry a leading 00
    ]
    ciphertexts = [sm2._encrypt_with_nonce(public, plain, k) for k in shapes]
    assert all(c is not None for c in ciphertexts)
    ciphertexts += [public.encrypt(plain) for _ in range(40)]
    ciphertexts += [public.encrypt(os.urandom(n)) for n in (1, 31, 32, 33, 100)]
    expected = [key.decrypt(c).hex() for c in ciphertexts if c is not None]
    answer = js(
        node,
        "decrypt",
        d=scalar_hex(key),
        ciphertexts=[base64.b64encode(c).decode() for c in ciphertexts if c is not None],
    )
    assert answer == expected
    # A ciphertext to another key does not open (sm-crypto's C3 check): an empty result.
    stranger = sm2.generate_private_key().public_key().encrypt(plain)
    assert js(
        node, "decrypt", d=scalar_hex(key), ciphertexts=[base64.b64encode(stranger).decode()]
    ) == [""]


def sealed_bid(bidder: sm2.SM2PrivateKey, opening: sm2.SM2PublicKey, tmp_path: Path) -> bytes:
    document = tmp_path / "proposal.pdf"
    document.write_bytes(b"%PDF-1.7 proposal " * 200)
    credit = "91320100MA" + "0000042"
    out = io.BytesIO()
    envelope.seal(
        out=out,
        files=[document],
        sheet={"price": "40850000.00", "duration_days": 540},
        section_id=7,
        section_code="GGZY-2026-001-01",
        bidder_credit_code=credit + check_character(credit),
        signing_key=bidder,
        recipients=[envelope.Recipient(envelope.OPENING_ROLE, opening)],
        chunk_size=1024,
    )
    return out.getvalue()


def test_the_browser_unlocks_a_sealed_bid_with_the_bidders_key_file(
    node: str, tmp_path: Path
) -> None:
    bidder = sm2.generate_private_key()
    opening = sm2.generate_private_key()
    data = sealed_bid(bidder, opening.public_key(), tmp_path)
    manifest = envelope.read_manifest(io.BytesIO(data))
    content_key = envelope.unwrap_content_key(manifest, bidder).hex()
    bid = base64.b64encode(data).decode()

    assert js(node, "unlock", bid=bid, pem=bidder.to_pem().decode(), password="") == content_key
    encrypted = bidder.to_pem(b"pw", iterations=1000).decode()
    assert js(node, "unlock", bid=bid, pem=encrypted, password="pw") == content_key
    # The opening key is a recipient too; another company's key is not.
    assert js(node, "unlock", bid=bid, pem=opening.to_pem().decode(), password="") == content_key
    stranger = sm2.generate_private_key().to_pem().decode()
    assert "not a recipient" in js_error(node, "unlock", bid=bid, pem=stranger, password="")
    pdf = base64.b64encode(b"%PDF-1.7 not sealed at all").decode()
    assert "not a sealed bid file" in js_error(
        node, "unlock", bid=pdf, pem=bidder.to_pem().decode(), password=""
    )
