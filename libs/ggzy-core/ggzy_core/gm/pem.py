"""PEM armor (RFC 7468): find labelled base64 blocks and write them."""

from __future__ import annotations

import base64
import binascii
import re

from .errors import InvalidKey

_BLOCK = re.compile(
    rb"-----BEGIN ([A-Z0-9 ]+)-----[ \t]*\r?\n(.*?)-----END \1-----",
    re.DOTALL,
)


def looks_like_pem(data: bytes) -> bool:
    return b"-----BEGIN " in data


def pem_blocks(data: bytes) -> list[tuple[str, bytes, bool]]:
    """Return (label, DER, has_headers) for each PEM block, in file order.

    ``has_headers`` is true for RFC 1421 style blocks (``Proc-Type``/``DEK-Info``), which
    mark OpenSSL's legacy encryption; callers refuse those with a useful message.
    """
    blocks = []
    for match in _BLOCK.finditer(data):
        label = match.group(1).decode("ascii")
        body = match.group(2)
        has_headers = b":" in body
        if has_headers:
            blocks.append((label, b"", True))
            continue
        try:
            der = base64.b64decode(b"".join(body.split()), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidKey(f"PEM block {label!r} is not valid base64") from None
        blocks.append((label, der, False))
    return blocks


def pem_encode(label: str, der: bytes) -> bytes:
    body = base64.b64encode(der)
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        f"-----BEGIN {label}-----\n".encode()
        + b"\n".join(lines)
        + f"\n-----END {label}-----\n".encode()
    )
