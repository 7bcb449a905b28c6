"""What a ledger entry contributes to the public Merkle tree, signed tree heads, and the
proof bundle a bidder keeps for its own bid.

A leaf is the entry's *public record*: the chain record without ``sequence`` and
``previous_hash``. Those two would tell anyone holding one leaf how many entries (hidden,
embargoed ones included) the chain had before it; the leaf's position in the tree is given
by the tree itself. The chain (``ggzy_core.ledger_chain``) still binds every field.

A signed tree head is the platform's SM2 signature (GM/T 0009 DER, hex) over
``TREE_HEAD_DOMAIN`` + the canonical JSON of format, root_hash, timestamp and tree_size.
The domain string keeps a head signature from ever being valid as a ledger checkpoint or
receipt signature made with the same key, and the reverse.

No Django import: ``ggzy-bid`` and regulators' scripts verify with this module alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ggzy_core import merkle
from ggzy_core.canonical import canonical
from ggzy_core.gm import sm2

TREE_HEAD_FORMAT = "ggzy-tree-head/1"
TREE_HEAD_DOMAIN = b"ggzy-tree-head\n"
LEAF_DOMAIN = b"ggzy-ledger-leaf/1\n"
PROOF_FORMAT = "ggzy-ledger-proof/1"
PUBLIC_FIELDS = ("recorded_at", "actor", "network_address", "action", "target", "data", "embargo")
HEAD_FIELDS = ("format", "tree_size", "root_hash", "timestamp", "signature", "key_fingerprint")


def public_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a chain record that enter the public tree (no sequence, no previous_hash)."""
    # [E21, E27, L22]: a sequence number would count the embargoed entries (bids) before it.
    missing = [name for name in PUBLIC_FIELDS if name not in record]
    if missing:
        raise ValueError(f"a ledger record needs {', '.join(missing)}")
    return {name: record[name] for name in PUBLIC_FIELDS}


def leaf_data(record: Mapping[str, Any]) -> bytes:
    return LEAF_DOMAIN + canonical(public_record(record))


def entry_leaf_hash(record: Mapping[str, Any]) -> bytes:
    return merkle.leaf_hash(leaf_data(record))


def tree_head_message(*, tree_size: int, root_hash: str, timestamp: str) -> bytes:
    body = {
        "format": TREE_HEAD_FORMAT,
        "root_hash": root_hash,
        "timestamp": timestamp,
        "tree_size": tree_size,
    }
    return TREE_HEAD_DOMAIN + canonical(body)


def sign_tree_head(
    *, tree_size: int, root_hash: bytes, timestamp: str, key: sm2.SM2PrivateKey
) -> dict[str, Any]:
    merkle.check_size(tree_size, "tree size")
    merkle.check_hash(root_hash, "root hash")
    message = tree_head_message(tree_size=tree_size, root_hash=root_hash.hex(), timestamp=timestamp)
    return {
        "format": TREE_HEAD_FORMAT,
        "tree_size": tree_size,
        "root_hash": root_hash.hex(),
        "timestamp": timestamp,
        "signature": key.sign(message).hex(),
        "key_fingerprint": key.public_key().fingerprint(),
    }


def head_problem(head: Mapping[str, Any], platform_key: sm2.SM2PublicKey) -> str | None:
    """None when ``head`` is a well-formed head signed by ``platform_key``, else why not."""
    problem = head_shape_problem(head)
    if problem is not None:
        return problem
    if head["key_fingerprint"] != platform_key.fingerprint():
        return "the tree head is signed by another key than the pinned platform key"
    signature = _hex_or_none(head["signature"])
    message = tree_head_message(
        tree_size=head["tree_size"], root_hash=head["root_hash"], timestamp=head["timestamp"]
    )
    if signature is None or not platform_key.verify(message, signature):
        return "the tree head's signature is invalid"
    return None


def head_shape_problem(head: Mapping[str, Any]) -> str | None:
    """None when ``head`` has the fields and types of a signed tree head (signature unchecked)."""
    if not isinstance(head, Mapping) or head.get("format") != TREE_HEAD_FORMAT:
        return f"not a {TREE_HEAD_FORMAT} tree head"
    missing = [name for name in HEAD_FIELDS if name not in head]
    if missing:
        return f"the tree head lacks {', '.join(missing)}"
    size, root, timestamp = head["tree_size"], head["root_hash"], head["timestamp"]
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= merkle.MAX_TREE_SIZE:
        return "the tree head's tree_size is not a valid size"
    if not _is_hash_hex(root):
        return "the tree head's root_hash is not 64 lower-case hex digits"
    if not isinstance(timestamp, str):
        return "the tree head's timestamp is not a string"
    return None


def verify_tree_head(head: Mapping[str, Any], platform_key: sm2.SM2PublicKey) -> bool:
    return head_problem(head, platform_key) is None


def proof_bundle(
    *, record: Mapping[str, Any], leaf_index: int, inclusion: list[bytes], head: Mapping[str, Any]
) -> dict[str, Any]:
    """The JSON bundle a bidder keeps: its entry, where it is, and the path to a signed head."""
    return {
        "format": PROOF_FORMAT,
        "entry": public_record(record),
        "leaf_index": leaf_index,
        "inclusion": [item.hex() for item in inclusion],
        "tree_head": dict(head),
    }


def verify_proof_bundle(bundle: Mapping[str, Any], platform_key: sm2.SM2PublicKey) -> str | None:
    """None when the bundle proves its entry is in a head signed by ``platform_key``.

    Otherwise a short English reason. The inclusion check cannot tell a changed entry from
    a wrong index or a forged path (each only breaks the path to the signed root), so one
    reason names all three.
    """
    if not isinstance(bundle, Mapping) or bundle.get("format") != PROOF_FORMAT:
        return f"not a {PROOF_FORMAT} bundle"
    head = bundle.get("tree_head")
    if not isinstance(head, Mapping):
        return "no tree head"
    problem = head_problem(head, platform_key)
    if problem is not None:
        return problem
    index = bundle.get("leaf_index")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        return "leaf_index is not a leaf index"
    if index >= head["tree_size"]:
        return f"leaf {index} is outside the signed tree of {head['tree_size']} leaves"
    path = bundle.get("inclusion")
    if not isinstance(path, list) or len(path) > merkle.MAX_PROOF_LENGTH:
        return "the inclusion proof is not a list of at most 64 hashes"
    hashes = [_hex_or_none(item) if _is_hash_hex(item) else None for item in path]
    if any(item is None for item in hashes):
        return "the inclusion proof holds something other than 64-hex-digit hashes"
    entry = bundle.get("entry")
    try:
        leaf = entry_leaf_hash(entry) if isinstance(entry, Mapping) else None
    except (ValueError, TypeError):  # missing fields, or values JSON cannot encode
        leaf = None
    if leaf is None:
        return "the entry is not a ledger record"
    included = merkle.verify_inclusion(
        leaf_hash=leaf,
        index=index,
        size=head["tree_size"],
        proof=[item for item in hashes if item is not None],
        root=bytes.fromhex(head["root_hash"]),
    )
    if not included:
        return (
            "the inclusion proof does not lead to the signed root "
            "(the entry, its leaf index or the proof was changed)"
        )
    return None


def _is_hash_hex(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) == 2 * merkle.HASH_SIZE
        and all(c in "0123456789abcdef" for c in value)
    )


def _hex_or_none(value: object) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None
