"""Signed tree heads, leaves of ledger records and the bidder's proof bundle."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ggzy_core import merkle, tree_head
from ggzy_core.canonical import canonical
from ggzy_core.gm import sm2
from ggzy_core.gm.sm3 import sm3

KEY = sm2.generate_private_key()
PLATFORM = KEY.public_key()
STAMP = "2026-12-01T12:00:00.000000+00:00"


def record(n: int, **changed: Any) -> dict[str, Any]:
    base = {
        "sequence": 40 + n,
        "recorded_at": f"2026-12-01T11:59:{n % 60:02d}.000000+00:00",
        "actor": {"person_id": 3, "name": "张三", "organisation": "甲公司", "role": "bidder"},
        "network_address": "10.0.0.7",
        "action": "bidding.bid.received",
        "target": {"type": "bidding.bid", "id": f"bid-{n}"},
        "data": {"sm3": f"{n:064x}"},
        "embargo": "trading.section:12",
        "previous_hash": "ab" * 32,
        "entry_hash": "cd" * 32,
    }
    base.update(changed)
    return base


RECORDS = [record(n) for n in range(11)]
TREE = merkle.MemoryTree()
for item in RECORDS:
    TREE.append(tree_head.entry_leaf_hash(item))
HEAD = tree_head.sign_tree_head(tree_size=11, root_hash=TREE.root(), timestamp=STAMP, key=KEY)


def bundle(index: int = 6) -> dict[str, Any]:
    return tree_head.proof_bundle(
        record=RECORDS[index],
        leaf_index=index,
        inclusion=TREE.inclusion_proof(index, 11),
        head=HEAD,
    )


def test_a_signed_tree_head_has_the_public_shape_and_verifies() -> None:
    assert HEAD["format"] == "ggzy-tree-head/1"
    assert HEAD["tree_size"] == 11
    assert HEAD["root_hash"] == TREE.root().hex()
    assert HEAD["timestamp"] == STAMP
    assert HEAD["key_fingerprint"] == PLATFORM.fingerprint()
    assert tree_head.verify_tree_head(HEAD, PLATFORM)


def test_the_head_message_is_the_domain_and_canonical_json() -> None:
    message = tree_head.tree_head_message(tree_size=11, root_hash="00" * 32, timestamp=STAMP)
    body = {"format": "ggzy-tree-head/1", "root_hash": "00" * 32, "timestamp": STAMP}
    assert message == b"ggzy-tree-head\n" + canonical({**body, "tree_size": 11})


@pytest.mark.parametrize(
    "changed",
    [
        {"tree_size": 12},
        {"root_hash": TREE.root(10).hex()},
        {"timestamp": "2026-12-01T12:00:00.000001+00:00"},
        {"format": "ggzy-tree-head/2"},
        {"signature": "00"},
    ],
    ids=["size", "root", "timestamp", "format", "signature"],
)
def test_a_head_with_anything_changed_fails(changed: dict[str, Any]) -> None:
    assert not tree_head.verify_tree_head({**HEAD, **changed}, PLATFORM)


def test_a_head_fails_under_another_key() -> None:
    stranger = sm2.generate_private_key()
    assert not tree_head.verify_tree_head(HEAD, stranger.public_key())
    # Claiming the pinned key's fingerprint does not help a head the stranger signed.
    forged = tree_head.sign_tree_head(
        tree_size=11, root_hash=TREE.root(), timestamp=STAMP, key=stranger
    )
    forged["key_fingerprint"] = PLATFORM.fingerprint()
    assert tree_head.head_problem(forged, PLATFORM) == "the tree head's signature is invalid"


def test_signing_refuses_a_root_that_is_not_a_hash() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        tree_head.sign_tree_head(tree_size=1, root_hash=b"x", timestamp=STAMP, key=KEY)


def test_a_public_record_drops_sequence_and_previous_hash() -> None:
    public = tree_head.public_record(RECORDS[0])
    assert set(public) == set(tree_head.PUBLIC_FIELDS)
    assert "sequence" not in public and "previous_hash" not in public
    assert "entry_hash" not in public


def test_the_leaf_does_not_depend_on_the_hidden_position_in_the_chain() -> None:
    moved = record(3, sequence=9999, previous_hash="ef" * 32, entry_hash="01" * 32)
    assert tree_head.entry_leaf_hash(moved) == tree_head.entry_leaf_hash(RECORDS[3])
    assert tree_head.entry_leaf_hash(record(3, data={"sm3": "0" * 64})) != (
        tree_head.entry_leaf_hash(RECORDS[3])
    )


def test_the_leaf_is_the_sm3_leaf_hash_of_the_domain_and_canonical_public_record() -> None:
    expected = sm3(
        b"\x00" + b"ggzy-ledger-leaf/1\n" + canonical(tree_head.public_record(RECORDS[2]))
    )
    assert tree_head.entry_leaf_hash(RECORDS[2]) == expected


def test_a_record_without_a_public_field_is_refused() -> None:
    incomplete = {k: v for k, v in RECORDS[0].items() if k != "embargo"}
    with pytest.raises(ValueError, match="embargo"):
        tree_head.leaf_data(incomplete)


def test_a_good_proof_bundle_verifies_for_every_leaf() -> None:
    for index in range(11):
        assert tree_head.verify_proof_bundle(bundle(index), PLATFORM) is None
    assert set(bundle()) == {"format", "entry", "leaf_index", "inclusion", "tree_head"}


def test_a_bundle_with_a_changed_entry_names_the_path() -> None:
    changed = bundle()
    changed["entry"]["data"] = {"sm3": "ff" * 32}
    reason = tree_head.verify_proof_bundle(changed, PLATFORM)
    assert reason is not None and "does not lead to the signed root" in reason


def test_a_bundle_with_a_wrong_index_fails() -> None:
    moved = bundle(6)
    moved["leaf_index"] = 7
    reason = tree_head.verify_proof_bundle(moved, PLATFORM)
    assert reason is not None and "leaf index" in reason
    moved["leaf_index"] = 11
    assert "outside the signed tree of 11" in str(tree_head.verify_proof_bundle(moved, PLATFORM))


def test_a_bundle_with_a_bad_head_signature_says_so() -> None:
    forged = bundle()
    forged["tree_head"]["timestamp"] = "2026-12-01T12:05:00.000000+00:00"
    assert tree_head.verify_proof_bundle(forged, PLATFORM) == "the tree head's signature is invalid"
    stranger = sm2.generate_private_key().public_key()
    reason = tree_head.verify_proof_bundle(bundle(), stranger)
    assert reason is not None and "another key" in reason


def test_a_bundle_with_a_changed_proof_fails() -> None:
    tampered = bundle()
    tampered["inclusion"][0] = "00" * 32
    assert "does not lead" in str(tree_head.verify_proof_bundle(tampered, PLATFORM))
    tampered["inclusion"] = tampered["inclusion"][1:]
    assert "does not lead" in str(tree_head.verify_proof_bundle(tampered, PLATFORM))
    tampered["inclusion"] = ["zz" * 32]
    assert "64-hex-digit" in str(tree_head.verify_proof_bundle(tampered, PLATFORM))
    tampered["inclusion"] = ["00" * 32] * 65
    assert "at most 64" in str(tree_head.verify_proof_bundle(tampered, PLATFORM))


@pytest.mark.parametrize(
    "broken",
    [
        {"format": "ggzy-ledger-proof/0"},
        {"tree_head": None},
        {"leaf_index": "6"},
        {"entry": {"action": "x"}},
    ],
    ids=["format", "no-head", "index-type", "entry-shape"],
)
def test_a_malformed_bundle_gets_a_reason_not_an_exception(broken: dict[str, Any]) -> None:
    malformed = {**copy.deepcopy(bundle()), **broken}
    assert isinstance(tree_head.verify_proof_bundle(malformed, PLATFORM), str)
