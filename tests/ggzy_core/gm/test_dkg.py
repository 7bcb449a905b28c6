"""The dealer-free opening key (Pedersen's DKG on SM2): a ceremony run in memory gives every
holder a share of a key nobody held, any t shares rebuild it and open a bid, fewer do not;
a bad dealer is caught by its commitments; documents are parsed strictly and signed whole."""

from __future__ import annotations

import copy
import io
import itertools
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ggzy_core.gm import curve, dkg, shamir, sm2
from ggzy_core.gm.curve import Point
from ggzy_core.gm.envelope import OPENING_ROLE, Recipient, open_sheet, unwrap_content_key, verify
from ggzy_core.gm.errors import GMError, MalformedData
from ggzy_core.gm.shamir import Share, ShareError
from tests.ggzy_core.gm.envelope_helpers import SHEET, seal_to_bytes

SECTION = "GGZY-2026-0042-01"
CEREMONY = "6f1c2b9e-3d4a-4f5b-8c7d-0e1f2a3b4c5d"


class Ceremony:
    """n holders with their own keys who all deal; what each holder computes afterwards."""

    def __init__(self, n: int, t: int, *, ceremony: str = CEREMONY) -> None:
        self.t = t
        self.ceremony = ceremony
        self.keys = {j: sm2.generate_private_key() for j in range(1, n + 1)}
        self.public = {j: key.public_key() for j, key in self.keys.items()}
        self.dealings = {i: self.deal(i) for i in self.keys}

    def deal(self, dealer: int) -> dkg.Dealing:
        return dkg.deal(
            section=SECTION,
            ceremony=self.ceremony,
            dealer=dealer,
            threshold=self.t,
            recipients=self.public,
        )

    def commitments(self, qualified: Sequence[int]) -> list[tuple[Point, ...]]:
        return [self.dealings[i].commitments for i in qualified]

    def holder_share(self, holder: int, qualified: Sequence[int]) -> Share:
        return dkg.combine_sub_shares(
            dkg.open_sub_share(self.dealings[i], holder, self.keys[holder]) for i in qualified
        )


@pytest.fixture(scope="module")
def three() -> Ceremony:
    return Ceremony(3, 2)


def _rebuild(shares: Sequence[Share], public_key: sm2.SM2PublicKey, t: int) -> sm2.SM2PrivateKey:
    return shamir.reconstruct_opening_key(shares, expected_public_key=public_key, threshold=t)


# -- the ceremony ---------------------------------------------------------------------------


def test_every_sub_share_of_a_three_holder_ceremony_verifies_against_its_commitments(
    three: Ceremony,
) -> None:
    for dealing in three.dealings.values():
        assert len(dealing.commitments) == 2
        assert set(dealing.sealed) == {1, 2, 3}
        for holder, key in three.keys.items():
            share = dkg.open_sub_share(dealing, holder, key)
            assert share.index == holder
            assert dkg.sub_share_is_valid(share, dealing.commitments)


def test_any_two_of_three_holder_shares_rebuild_the_key_the_commitments_assemble(
    three: Ceremony,
) -> None:
    everyone = [1, 2, 3]
    qualified = three.commitments(everyone)
    public_key = dkg.public_key(qualified)
    shares = [three.holder_share(j, everyone) for j in everyone]
    for share in shares:
        assert dkg.holder_share_is_valid(share, qualified)
    for pair in itertools.combinations(shares, 2):
        assert _rebuild(pair, public_key, 2).public_key() == public_key


def test_one_holder_share_alone_does_not_rebuild_the_key(three: Ceremony) -> None:
    everyone = [1, 2, 3]
    public_key = dkg.public_key(three.commitments(everyone))
    for j in everyone:
        with pytest.raises(ShareError):
            _rebuild([three.holder_share(j, everyone)], public_key, 1)


def test_a_bid_sealed_to_the_assembled_key_opens_with_the_key_two_holders_rebuild(
    three: Ceremony, tmp_path: Path
) -> None:
    public_key = dkg.public_key(three.commitments([1, 2, 3]))
    (tmp_path / "报价.txt").write_bytes("投标报价".encode())
    bidder = sm2.generate_private_key()
    data, _ = seal_to_bytes([tmp_path / "报价.txt"], bidder, [Recipient(OPENING_ROLE, public_key)])
    rebuilt = _rebuild([three.holder_share(j, [1, 2, 3]) for j in (2, 3)], public_key, 2)
    verified = verify(io.BytesIO(data), bidder.public_key())
    content_key = unwrap_content_key(verified.manifest, rebuilt)
    assert open_sheet(verified.header, content_key)["price"] == SHEET["price"]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_for_any_n_up_to_seven_exactly_t_shares_are_needed(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 7), label="n")
    t = data.draw(st.integers(1, n), label="t")
    ceremony = Ceremony(n, t, ceremony=str(uuid.uuid4()))
    everyone = list(range(1, n + 1))
    qualified = ceremony.commitments(everyone)
    public_key = dkg.public_key(qualified)
    shares = [ceremony.holder_share(j, everyone) for j in everyone]
    assert all(dkg.holder_share_is_valid(share, qualified) for share in shares)
    chosen = data.draw(st.permutations(shares), label="order")
    assert _rebuild(chosen[:t], public_key, t).public_key() == public_key
    if t > 1:
        d = shamir.combine(chosen[:t])
        assert shamir.combine(chosen[: t - 1], threshold=1) != d


def test_two_ceremonies_give_different_keys_and_no_dealer_commits_to_zero() -> None:
    first, second = Ceremony(2, 2), Ceremony(2, 2)
    assert dkg.public_key(first.commitments([1, 2])) != dkg.public_key(second.commitments([1, 2]))
    for dealing in [*first.dealings.values(), *second.dealings.values()]:
        assert all(curve.is_on_curve(point) for point in dealing.commitments)


# -- bad dealers and exclusion ------------------------------------------------------------


def test_a_tampered_sub_share_fails_its_commitments(three: Ceremony) -> None:
    dealing = three.dealings[1]
    share = dkg.open_sub_share(dealing, 2, three.keys[2])
    tampered = Share(share.index, (share.value + 1) % shamir.ORDER)
    assert not dkg.sub_share_is_valid(tampered, dealing.commitments)


def test_a_sub_share_checked_against_another_dealer_s_commitments_fails(three: Ceremony) -> None:
    share = dkg.open_sub_share(three.dealings[1], 2, three.keys[2])
    assert not dkg.sub_share_is_valid(share, three.dealings[3].commitments)
    moved = (three.dealings[1].commitments[0], three.dealings[3].commitments[1])
    assert not dkg.sub_share_is_valid(share, moved)


def test_a_sub_share_presented_as_another_holder_s_fails(three: Ceremony) -> None:
    share = dkg.open_sub_share(three.dealings[1], 2, three.keys[2])
    assert not dkg.sub_share_is_valid(Share(3, share.value), three.dealings[1].commitments)


def test_a_share_sealed_to_another_holder_does_not_open_with_this_key(three: Ceremony) -> None:
    with pytest.raises(GMError, match="does not decrypt"):
        dkg.open_sub_share(three.dealings[1], 2, three.keys[3])


def test_a_dealer_left_out_changes_the_key_and_its_sub_shares_no_longer_count(
    three: Ceremony,
) -> None:
    qualified = three.commitments([1, 2])
    key_without_3 = dkg.public_key(qualified)
    assert key_without_3 != dkg.public_key(three.commitments([1, 2, 3]))
    shares = [three.holder_share(j, [1, 2]) for j in (1, 2, 3)]
    assert all(dkg.holder_share_is_valid(share, qualified) for share in shares)
    assert _rebuild(shares[1:], key_without_3, 2).public_key() == key_without_3
    with_3 = [three.holder_share(j, [1, 2, 3]) for j in (1, 3)]
    assert not any(dkg.holder_share_is_valid(share, qualified) for share in with_3)
    with pytest.raises(ShareError):
        _rebuild(with_3, key_without_3, 2)


def test_a_holder_reviews_a_bad_dealing_into_complaints_the_platform_upholds(
    three: Ceremony,
) -> None:
    honest, cheat = three.dealings[1], three.dealings[3]
    # Dealer 3 publishes commitments that are not those of the polynomial it shared.
    lying = replace(cheat, commitments=three.dealings[2].commitments)
    # And a dealing whose share for holder 2 is sealed to someone else's key.
    stranger = sm2.generate_private_key().public_key()
    misdirected = replace(
        three.dealings[2],
        sealed={**three.dealings[2].sealed, 2: shamir.seal_share(Share(2, 5), stranger)},
    )
    review = dkg.review_dealings([honest, misdirected, lying], holder=2, key=three.keys[2])
    assert set(review.sub_shares) == {1}
    by_dealer = {complaint.against: complaint for complaint in review.complaints}
    assert by_dealer[2].reason == dkg.UNDECRYPTABLE and by_dealer[2].revealed_share is None
    assert by_dealer[3].reason == dkg.FAILS_COMMITMENT
    assert dkg.complaint_is_upheld(by_dealer[3], lying.commitments)
    assert dkg.complaint_is_upheld(by_dealer[2], misdirected.commitments)


def test_a_complaint_revealing_a_share_that_fits_the_commitments_is_unfounded(
    three: Ceremony,
) -> None:
    share = dkg.open_sub_share(three.dealings[1], 2, three.keys[2])
    false_complaint = dkg.Complaint(1, dkg.FAILS_COMMITMENT, share)
    assert not dkg.complaint_is_upheld(false_complaint, three.dealings[1].commitments)


def test_sub_shares_of_different_holders_are_not_combined(three: Ceremony) -> None:
    shares = [dkg.open_sub_share(three.dealings[1], j, three.keys[j]) for j in (1, 2)]
    with pytest.raises(ShareError):
        dkg.combine_sub_shares(shares)
    with pytest.raises(ShareError):
        dkg.combine_sub_shares([])


def test_no_qualified_dealer_gives_no_public_key() -> None:
    with pytest.raises(ShareError):
        dkg.public_key([])
    assert not dkg.holder_share_is_valid(Share(1, 1), [])


def test_dealing_refuses_a_threshold_above_the_holders_and_a_dealer_outside_them(
    three: Ceremony,
) -> None:
    for dealer, threshold in ((1, 4), (1, 0), (4, 2)):
        with pytest.raises(ShareError):
            dkg.deal(
                section=SECTION,
                ceremony=CEREMONY,
                dealer=dealer,
                threshold=threshold,
                recipients=three.public,
            )


def test_dealing_refuses_two_holders_with_one_key(three: Ceremony) -> None:
    with pytest.raises(ShareError, match="different key"):
        dkg.deal(
            section=SECTION,
            ceremony=CEREMONY,
            dealer=1,
            threshold=2,
            recipients={1: three.public[1], 2: three.public[1]},
        )


# -- the dealing document -------------------------------------------------------------------


def test_a_dealing_document_round_trips_byte_for_byte(three: Ceremony) -> None:
    doc = three.dealings[2].document()
    assert doc["format"] == dkg.DEALING_FORMAT
    assert list(doc["sealed"]) == ["1", "2", "3"]
    parsed = dkg.Dealing.from_document(copy.deepcopy(doc))
    assert parsed == three.dealings[2]
    assert parsed.document() == doc


def test_check_dealing_accepts_the_ceremony_s_own_dealing(three: Ceremony) -> None:
    dkg.check_dealing(
        three.dealings[1], section=SECTION, ceremony=CEREMONY, holders={1, 2, 3}, threshold=2
    )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"section": "GGZY-OTHER"}, "another section"),
        ({"ceremony": str(uuid.UUID(int=7))}, "another section or ceremony"),
        ({"threshold": 3}, "threshold"),
        ({"holders": {1, 2}}, "exactly one share to every holder"),
        ({"holders": {1, 2, 3, 4}}, "exactly one share to every holder"),
        ({"holders": {2, 3, 4}}, "not a holder"),
    ],
)
def test_check_dealing_refuses_a_dealing_for_another_ceremony_or_shape(
    three: Ceremony, changes: dict[str, Any], reason: str
) -> None:
    expected: dict[str, Any] = {
        "section": SECTION,
        "ceremony": CEREMONY,
        "holders": {1, 2, 3},
        "threshold": 2,
    }
    with pytest.raises(MalformedData, match=reason):
        dkg.check_dealing(three.dealings[1], **{**expected, **changes})


Mutation = Callable[[dict[str, Any]], None]


def _set(key: str, value: Any) -> Mutation:
    return lambda doc: doc.__setitem__(key, value)


def _drop_sealed(index: str) -> Mutation:
    return lambda doc: doc["sealed"].pop(index)


_OFF_CURVE = f"{1:064x}{1:064x}"
_MALFORMED_DEALINGS: dict[str, Mutation] = {
    "an empty object": lambda doc: doc.clear(),
    "an extra field": _set("note", "hi"),
    "a missing field": lambda doc: doc.pop("threshold"),
    "another format": _set("format", "ggzy-dkg-dealing/2"),
    "an empty section": _set("section", ""),
    "a section with a newline": _set("section", "A\nB"),
    "a section too long": _set("section", "A" * 65),
    "a ceremony not a uuid": _set("ceremony", "ceremony-1"),
    "an upper-case ceremony": _set("ceremony", CEREMONY.upper()),
    "a dealer as text": _set("dealer", "1"),
    "a dealer as boolean": _set("dealer", True),
    "dealer zero": _set("dealer", 0),
    "dealer 256": _set("dealer", 256),
    "a dealer without its own share": _set("dealer", 4),
    "threshold zero": _set("threshold", 0),
    "threshold above the holders": _set("threshold", 4),
    "a threshold as float": _set("threshold", 2.0),
    "fewer commitments than the threshold": lambda doc: doc["commitments"].pop(),
    "commitments not a list": _set("commitments", "00"),
    "an upper-case commitment": lambda doc: doc["commitments"].__setitem__(
        0, doc["commitments"][0].upper()
    ),
    "a short commitment": lambda doc: doc["commitments"].__setitem__(0, "02" + "00" * 32),
    "a commitment off the curve": lambda doc: doc["commitments"].__setitem__(0, _OFF_CURVE),
    "a commitment not hex": lambda doc: doc["commitments"].__setitem__(0, "zz" * 64),
    "sealed not an object": _set("sealed", ["00"]),
    "sealed empty": _set("sealed", {}),
    "a sealed key with a leading zero": lambda doc: doc["sealed"].__setitem__(
        "01", doc["sealed"].pop("1")
    ),
    "a sealed key zero": lambda doc: doc["sealed"].__setitem__("0", doc["sealed"]["1"]),
    "a sealed key 256": lambda doc: doc["sealed"].__setitem__("256", doc["sealed"]["1"]),
    "a sealed share not hex": lambda doc: doc["sealed"].__setitem__("2", "xyz"),
    "a sealed share in upper case": lambda doc: doc["sealed"].__setitem__(
        "2", doc["sealed"]["2"].upper()
    ),
    "a sealed share too long": lambda doc: doc["sealed"].__setitem__("2", "00" * 300),
    "a sealed share not DER": lambda doc: doc["sealed"].__setitem__("2", "30" * 40),
    "a sealed share of the wrong size": lambda doc: doc["sealed"].__setitem__(
        "2", sm2.generate_private_key().public_key().encrypt(b"x" * 32).hex()
    ),
    "a share for the dealer missing": _drop_sealed("1"),
    "more sealed shares than indices": lambda doc: doc.__setitem__(
        "sealed", {str(i): doc["sealed"]["1"] for i in range(1, 257)}
    ),
}


_DEALING_REFUSALS = {
    "an empty object": "exactly the fields",
    "an extra field": "exactly the fields",
    "a missing field": "exactly the fields",
    "another format": "format",
    "an empty section": "section",
    "a section with a newline": "section",
    "a section too long": "section",
    "a ceremony not a uuid": "UUID",
    "an upper-case ceremony": "UUID",
    "a dealer as text": "dealer",
    "a dealer as boolean": "dealer",
    "dealer zero": "dealer",
    "dealer 256": "dealer",
    "a dealer without its own share": "to itself",
    "threshold zero": "threshold",
    "threshold above the holders": "threshold",
    "a threshold as float": "threshold",
    "fewer commitments than the threshold": "commitments",
    "commitments not a list": "commitments",
    "an upper-case commitment": "hex",
    "a short commitment": "hex",
    "a commitment off the curve": "not a point on the SM2 curve",
    "a commitment not hex": "hex",
    "sealed not an object": "sealed",
    "sealed empty": "sealed",
    "a sealed key with a leading zero": "decimal",
    "a sealed key zero": "decimal",
    "a sealed key 256": "holder index",
    "a sealed share not hex": "hex",
    "a sealed share in upper case": "hex",
    "a sealed share too long": "at most 256 bytes",
    "a sealed share not DER": "not an SM2 ciphertext",
    "a sealed share of the wrong size": "33-byte share",
    "a share for the dealer missing": "to itself",
    "more sealed shares than indices": "sealed must map",
}


@pytest.mark.parametrize("kind", _MALFORMED_DEALINGS.keys())
def test_from_document_refuses_a_malformed_dealing_and_says_what_is_wrong(
    three: Ceremony, kind: str
) -> None:
    doc = copy.deepcopy(three.dealings[1].document())
    _MALFORMED_DEALINGS[kind](doc)
    with pytest.raises(MalformedData, match=_DEALING_REFUSALS[kind]):
        dkg.Dealing.from_document(doc)


def test_from_document_refuses_a_document_that_is_not_an_object() -> None:
    with pytest.raises(MalformedData, match="JSON object"):
        dkg.Dealing.from_document(["format"])  # type: ignore[arg-type]


def _every_field_changed(doc: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    other_point = curve.point_to_hex(curve.base_multiply(12345))
    sealed = dict(doc["sealed"])
    sealed["2"], sealed["3"] = sealed["3"], sealed["2"]
    return {
        "format": {**doc, "format": "ggzy-dkg-dealing/0"},
        "section": {**doc, "section": doc["section"] + "X"},
        "ceremony": {**doc, "ceremony": str(uuid.UUID(int=1))},
        "dealer": {**doc, "dealer": 2},
        "threshold": {**doc, "threshold": 3},
        "commitments": {**doc, "commitments": [doc["commitments"][0], other_point]},
        "sealed": {**doc, "sealed": sealed},
    }


def test_the_dealer_s_signature_binds_every_field_of_the_dealing(three: Ceremony) -> None:
    signer = three.keys[1]
    doc = three.dealings[1].document()
    message = dkg.dealing_message(doc)
    assert message.startswith(dkg.DEALING_DOMAIN)
    signature = signer.sign(message)
    assert signer.public_key().verify(message, signature)
    changed = _every_field_changed(doc)
    assert set(changed) == set(doc)  # every field is tried
    for field_name, other in changed.items():
        assert not signer.public_key().verify(dkg.dealing_message(other), signature), field_name


def test_a_dealing_signature_is_not_a_verification_signature(three: Ceremony) -> None:
    doc = three.dealings[1].document()
    assert dkg.dealing_message(doc) != dkg.verification_message(doc)


# -- the verification document ----------------------------------------------------------------


def _verification(three: Ceremony) -> dict[str, Any]:
    revealed = dkg.open_sub_share(three.dealings[3], 2, three.keys[2])
    return dkg.Verification(
        section=SECTION,
        ceremony=CEREMONY,
        holder=2,
        complaints=(
            dkg.Complaint(3, dkg.FAILS_COMMITMENT, revealed),
            dkg.Complaint(1, dkg.UNDECRYPTABLE),
        ),
    ).document()


def test_a_verification_document_round_trips_and_reveals_only_the_complainer_s_sub_share(
    three: Ceremony,
) -> None:
    doc = _verification(three)
    assert doc["format"] == dkg.VERIFICATION_FORMAT
    assert len(doc["complaints"][0]["revealed_share"]) == 66
    assert doc["complaints"][1] == {"against": 1, "reason": "undecryptable", "revealed_share": None}
    parsed = dkg.Verification.from_document(copy.deepcopy(doc))
    assert parsed.document() == doc
    dkg.check_verification(parsed, section=SECTION, ceremony=CEREMONY, holders={1, 2, 3})
    with pytest.raises(MalformedData, match="not a holder"):
        dkg.check_verification(parsed, section=SECTION, ceremony=CEREMONY, holders={1, 3})
    with pytest.raises(MalformedData, match="names a dealer"):
        dkg.check_verification(parsed, section=SECTION, ceremony=CEREMONY, holders={2, 3})


def test_an_empty_complaint_list_is_a_clean_verification() -> None:
    doc = {
        "format": dkg.VERIFICATION_FORMAT,
        "section": SECTION,
        "ceremony": CEREMONY,
        "holder": 1,
        "complaints": [],
    }
    assert dkg.Verification.from_document(doc).complaints == ()


def _complaint(doc: dict[str, Any], index: int) -> dict[str, Any]:
    result: dict[str, Any] = doc["complaints"][index]
    return result


_MALFORMED_VERIFICATIONS: dict[str, Mutation] = {
    "an extra field": _set("note", 1),
    "another format": _set("format", dkg.DEALING_FORMAT),
    "a holder out of range": _set("holder", 0),
    "complaints not a list": _set("complaints", {}),
    "two complaints against one dealer": lambda doc: _complaint(doc, 1).__setitem__("against", 3),
    "an unknown reason": lambda doc: _complaint(doc, 1).__setitem__("reason", "rude"),
    "an undecryptable share revealed": lambda doc: _complaint(doc, 1).__setitem__(
        "revealed_share", _complaint(doc, 0)["revealed_share"]
    ),
    "a failing share not revealed": lambda doc: _complaint(doc, 0).__setitem__(
        "revealed_share", None
    ),
    "a revealed share of another holder": lambda doc: _complaint(doc, 0).__setitem__(
        "revealed_share", "03" + _complaint(doc, 0)["revealed_share"][2:]
    ),
    "a revealed share too short": lambda doc: _complaint(doc, 0).__setitem__(
        "revealed_share", "02" + "00" * 31
    ),
    "a revealed share out of range": lambda doc: _complaint(doc, 0).__setitem__(
        "revealed_share", "02" + "ff" * 32
    ),
    "a complaint with an extra field": lambda doc: _complaint(doc, 0).__setitem__("x", 1),
    "a complaint that is not an object": lambda doc: doc["complaints"].__setitem__(0, 3),
}


@pytest.mark.parametrize(
    "mutate", _MALFORMED_VERIFICATIONS.values(), ids=_MALFORMED_VERIFICATIONS.keys()
)
def test_from_document_refuses_a_malformed_verification(three: Ceremony, mutate: Mutation) -> None:
    doc = _verification(three)
    mutate(doc)
    with pytest.raises(MalformedData):
        dkg.Verification.from_document(doc)


def test_the_holder_s_signature_binds_its_complaints(three: Ceremony) -> None:
    doc = _verification(three)
    signature = three.keys[2].sign(dkg.verification_message(doc))
    withdrawn = {**doc, "complaints": doc["complaints"][:1]}
    assert three.keys[2].public_key().verify(dkg.verification_message(doc), signature)
    assert not three.keys[2].public_key().verify(dkg.verification_message(withdrawn), signature)


def test_commitments_off_the_curve_match_no_share(three: Ceremony) -> None:
    share = dkg.open_sub_share(three.dealings[1], 2, three.keys[2])
    off_curve = ((1, 1), three.dealings[1].commitments[1])
    assert not dkg.sub_share_is_valid(share, off_curve)
    assert not dkg.holder_share_is_valid(share, [off_curve])


def test_dealings_are_values_that_can_be_kept_in_a_set(three: Ceremony) -> None:
    again = dkg.Dealing.from_document(three.dealings[1].document())
    assert {again, three.dealings[1], three.dealings[2]} == {three.dealings[1], three.dealings[2]}
    with pytest.raises(TypeError):
        three.dealings[1].sealed[9] = b""  # type: ignore[index]


def test_no_share_value_appears_in_the_repr_of_a_review_or_a_complaint(three: Ceremony) -> None:
    review = dkg.review_dealings(three.dealings.values(), holder=2, key=three.keys[2])
    assert set(review.sub_shares) == {1, 2, 3} and not review.complaints
    share = review.sub_shares[1]
    complaint = dkg.Complaint(1, dkg.FAILS_COMMITMENT, share)
    for text in (repr(review), repr(complaint), str(complaint)):
        assert str(share.value) not in text
        assert f"{share.value:x}" not in text


def test_dealing_refuses_a_ceremony_id_that_is_not_a_uuid(three: Ceremony) -> None:
    with pytest.raises(MalformedData, match="UUID"):
        dkg.deal(section=SECTION, ceremony="42", dealer=1, threshold=2, recipients=three.public)
