"""Errors raised by :mod:`ggzy_core.gm.envelope`.

Each one carries a Chinese and an English wording of the same reason (``zh``, ``en``), and
``str()`` is ``"zh / en"``, so a server can show it to a bidder as is and ``ggzy-bid`` can
print its usual one-line ``错误：… / error: …``. They subclass the library's error types
(MalformedData, InvalidSignature, DecryptionError), so callers that catch those keep working.
No message ever contains key material or plaintext of the bid.
"""

from __future__ import annotations

from ..errors import DecryptionError, GMError, InvalidSignature, MalformedData


class EnvelopeError(GMError):
    """Base class of the envelope's errors: a reason in Chinese and in English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en


class MalformedEnvelope(EnvelopeError, MalformedData):
    """The file is not a well-formed sealed bid (magic, framing, manifest, sizes)."""


class EnvelopeSignatureError(EnvelopeError, InvalidSignature):
    """The bidder's signature is missing, malformed, by another key, or does not verify."""


class WrongContentKey(EnvelopeError, DecryptionError):
    """The key given does not open this bid (not a recipient, or not its content key)."""


class TamperedEnvelope(EnvelopeError, DecryptionError):
    """Authenticated decryption failed with the right key: the ciphertext was changed,
    reordered, truncated or extended."""


class UnsafeArchive(EnvelopeError, MalformedData):
    """The decrypted archive holds something that must not be extracted (absolute path,
    ``..``, link, device) or is damaged."""


class SealInputError(EnvelopeError, ValueError):
    """What the bidder asked to seal is not acceptable (opening sheet, files, identifiers)."""


class UnsealTargetError(EnvelopeError):
    """The output directory of ``unseal`` cannot be used (not empty, not writable)."""
