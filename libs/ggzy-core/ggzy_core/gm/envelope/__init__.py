"""Sealed bids (``.gbid``): the envelope a bidder seals on its own machine.

Nobody — server, staff or DBA — can read a bid before the opening: the files and the
opening sheet are encrypted with a fresh SM4 content key, which is wrapped with SM2 to the
bidder's own key and to the section's opening key; the bidder signs the whole envelope.
The byte-by-byte format is in docs/envelope.md. No Django here: ``ggzy-bid`` seals
bids where only the client package is installed.
"""

from .client import collect_client_info, derive_file_creation_id, new_file_creation_id
from .errors import (
    EnvelopeError,
    EnvelopeSignatureError,
    MalformedEnvelope,
    SealInputError,
    TamperedEnvelope,
    UnsafeArchive,
    UnsealTargetError,
    WrongContentKey,
)
from .manifest import DEFAULT_CHUNK_SIZE, FORMAT, MAGIC, ClientInfo, Manifest, RecipientEntry
from .opening import (
    EnvelopeHeader,
    KeyLookup,
    VerifiedEnvelope,
    check_content_key,
    open_sheet,
    read_header,
    read_manifest,
    unseal,
    unwrap_content_key,
    verify,
)
from .sealing import BIDDER_ROLE, OPENING_ROLE, Recipient, SealResult, seal

__all__ = [
    "BIDDER_ROLE",
    "DEFAULT_CHUNK_SIZE",
    "FORMAT",
    "MAGIC",
    "OPENING_ROLE",
    "ClientInfo",
    "EnvelopeError",
    "EnvelopeHeader",
    "EnvelopeSignatureError",
    "KeyLookup",
    "MalformedEnvelope",
    "Manifest",
    "Recipient",
    "RecipientEntry",
    "SealInputError",
    "SealResult",
    "TamperedEnvelope",
    "UnsafeArchive",
    "UnsealTargetError",
    "VerifiedEnvelope",
    "WrongContentKey",
    "check_content_key",
    "collect_client_info",
    "derive_file_creation_id",
    "new_file_creation_id",
    "open_sheet",
    "read_header",
    "read_manifest",
    "seal",
    "unseal",
    "unwrap_content_key",
    "verify",
]
