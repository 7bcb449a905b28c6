"""What an issuer sends the platform: a signed guarantee (multipart) and a signed
revocation (JSON), as prepared requests any HTTP client can send. docs/guarantees.md."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from ggzy_core import guarantee as protocol
from ggzy_core.canonical import canonical
from ggzy_core.gm import sm2
from ggzy_core.gm.sm3 import sm3_hex
from simulators.issuer.pdf import minimal_pdf

SUBMIT_PATH = "/api/guarantees"
BEIJING = dt.timezone(dt.timedelta(hours=8))
# Ways to get a submission wrong on purpose, to show the platform refuses each.
FAULTS = frozenset(
    {"bad_signature", "bad_request_signature", "document_mismatch", "oversize_document"}
)
OVERSIZE = 10 * 1024 * 1024 + 1


@dataclass(frozen=True)
class Prepared:
    """One HTTP request, byte for byte (a replay sends it again unchanged)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Issued:
    payload: bytes
    signature: bytes
    document: bytes
    terms: dict[str, str] = field(default_factory=dict)


def guarantee_document(terms: dict[str, str], *, padding: int = 0) -> bytes:
    return minimal_pdf(
        [
            "ELECTRONIC BID GUARANTEE (simulated issuer)",
            f"Guarantee number: {terms['number']}",
            f"Issuer: {terms['issuer']}",
            f"Beneficiary (tenderee): {terms['beneficiary']}",
            f"Bidder: {terms['bidder']}",
            f"Section: {terms['section']}",
            f"Amount: CNY {terms['amount']}",
            f"Valid from {terms['valid_from']} until {terms['valid_until']}",
            "Irrevocable during its validity; payable on the beneficiary's claim.",
        ],
        padding=padding,
    )


def issue(
    *, key: sm2.SM2PrivateKey, terms: dict[str, str], fault: str = "", document: bytes = b""
) -> Issued:
    """Build the document and the payload and sign it. ``terms``: number, issuer,
    beneficiary, section, bidder, amount, valid_from, valid_until (issued_at optional)."""
    if fault and fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r}: one of {sorted(FAULTS)}")
    padding = OVERSIZE if fault == "oversize_document" else 0
    pdf = document or guarantee_document(terms, padding=padding)
    payload = {
        "format": protocol.PAYLOAD_FORMAT,
        "number": terms["number"],
        "issuer": terms["issuer"],
        "beneficiary": terms["beneficiary"],
        "section": terms["section"],
        "bidder": terms["bidder"],
        "amount": terms["amount"],
        "currency": terms.get("currency", "CNY"),
        "valid_from": terms["valid_from"],
        "valid_until": terms["valid_until"],
        "document_sm3": sm3_hex(pdf),
        "issued_at": terms.get("issued_at")
        or dt.datetime.now(BEIJING).replace(microsecond=0).isoformat(),
    }
    data = protocol.payload_bytes(payload)
    signer = sm2.generate_private_key() if fault == "bad_signature" else key
    if fault == "document_mismatch":
        pdf = pdf.replace(b"Amount: CNY", b"Amount: USD", 1)
    return Issued(payload=data, signature=signer.sign(data), document=pdf, terms=payload)


def multipart(parts: list[tuple[str, str | None, str, bytes]]) -> tuple[bytes, str]:
    """``(name, filename or None, content type, bytes)`` parts as multipart/form-data."""
    boundary = "ggzy-issuer-" + secrets.token_hex(12)
    body = bytearray()
    for name, filename, content_type, content in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        body += f"Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), f"multipart/form-data; boundary={boundary}"


def submission(*, key: sm2.SM2PrivateKey, issuer: str, issued: Issued, fault: str = "") -> Prepared:
    body, content_type = multipart(
        [
            ("payload", "payload.json", "application/json", issued.payload),
            ("signature", None, "text/plain", issued.signature.hex().encode()),
            (
                "document",
                f"{issued.terms.get('number', 'guarantee')}.pdf",
                "application/pdf",
                issued.document,
            ),
        ]
    )
    signer = sm2.generate_private_key() if fault == "bad_request_signature" else key
    headers = protocol.signed_headers(
        key=signer, issuer=issuer, method="POST", path=SUBMIT_PATH, content=issued.payload
    )
    return Prepared("POST", SUBMIT_PATH, {**headers, "Content-Type": content_type}, body)


def revocation(*, key: sm2.SM2PrivateKey, issuer: str, number: str, reason: str) -> Prepared:
    path = f"/api/guarantees/{number}/revoke"
    body = canonical({"format": protocol.REVOCATION_FORMAT, "number": number, "reason": reason})
    headers = protocol.signed_headers(
        key=key, issuer=issuer, method="POST", path=path, content=body
    )
    return Prepared("POST", path, {**headers, "Content-Type": "application/json"}, body)


def send(platform_url: str, prepared: Prepared, *, timeout: float = 30) -> tuple[int, Any]:
    """Send to the platform; its status and its JSON answer (or the text, if not JSON)."""
    request = urllib.request.Request(  # noqa: S310 # the platform's own http(s) URL
        platform_url.rstrip("/") + prepared.path,
        data=prepared.body,
        headers=prepared.headers,
        method=prepared.method,
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 # nosec B310 # http(s) checked by the caller
            status, content = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, content = exc.code, exc.read()
    try:
        return status, json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return status, content.decode("utf-8", "replace")


def fetch(url: str, *, timeout: float = 10) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 # nosec B310 # http(s) checked by the caller
        return bytes(response.read())
