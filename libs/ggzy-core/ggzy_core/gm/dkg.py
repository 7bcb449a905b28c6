"""Pedersen's distributed key generation (joint Feldman VSS, Pedersen 1991) on the SM2 curve.

The holders of a section's opening key (centre 1, regulator 2, tenderee 3) each deal: a
random polynomial f_i of degree t-1, Feldman commitments A_{i,k} = a_{i,k}·G, and the
sub-share f_i(j) sealed (SM2, GM/T 0009) to every holder j, itself included. Each holder
checks its sub-shares against the commitments and complains about a dealer whose sub-share
fails. Over the qualified dealers Q the opening key is d = Σ_{i∈Q} a_{i,0}, its public key
Σ_{i∈Q} A_{i,0}, and holder j's share s_j = Σ_{i∈Q} f_i(j) is a Shamir share of d: any t
shares rebuild d (:func:`ggzy_core.gm.shamir.reconstruct_opening_key`) for a rescue [E31],
and d itself never exists anywhere before that, so no one can open a bid early [E27]. The
protocol and its security argument: docs/envelope.md, "Opening key".

Everything here is public-data arithmetic except the polynomial in :func:`deal` (held only
for the call) and what :func:`open_sub_share` returns. No Django import: the server, the
bidder's tool and a regulator's script use the same code.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..canonical import canonical
from . import curve, der
from .curve import Point
from .errors import GMError, MalformedData
from .shamir import MAX_SHARES, ORDER, SHARE_SIZE, Share, ShareError, seal_share
from .sm2 import SM2PrivateKey, SM2PublicKey

DEALING_FORMAT = "ggzy-dkg-dealing/1"
DEALING_DOMAIN = b"ggzy-dkg-dealing\n"
VERIFICATION_FORMAT = "ggzy-dkg-verification/1"
VERIFICATION_DOMAIN = b"ggzy-dkg-verification\n"

MAX_HOLDERS = MAX_SHARES  # a share's index is one byte
MAX_SECTION_LENGTH = 64  # section codes are at most 48 characters; a little slack
# A sealed 33-byte share is about 141 bytes of DER; anything much larger is not one.
MAX_SEALED_SIZE = 256

FAILS_COMMITMENT = "fails_commitment"
UNDECRYPTABLE = "undecryptable"
COMPLAINT_REASONS = (FAILS_COMMITMENT, UNDECRYPTABLE)

_DEALING_KEYS = frozenset(
    {"format", "section", "ceremony", "dealer", "threshold", "commitments", "sealed"}
)
_VERIFICATION_KEYS = frozenset({"format", "section", "ceremony", "holder", "complaints"})
_COMPLAINT_KEYS = frozenset({"against", "reason", "revealed_share"})
_LOWER_HEX = re.compile(r"(?:[0-9a-f]{2})+")
_INDEX_TEXT = re.compile(r"[1-9][0-9]{0,2}")
_POINT_HEX_LENGTH = 2 * 2 * curve.COORDINATE_SIZE


# -- small checks (every failure is MalformedData with a plain English reason) ------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_index(value: object, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_HOLDERS:
        return value
    raise MalformedData(f"{what} must be an integer holder index in [1, {MAX_HOLDERS}]")


def _check_section(value: object) -> str:
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= MAX_SECTION_LENGTH
        or not value.isprintable()
        or value != value.strip()
    ):
        raise MalformedData(
            f"section must be a section code of 1 to {MAX_SECTION_LENGTH} printable characters"
        )
    return value


def _check_ceremony(value: object) -> str:
    # Only the canonical spelling, so that one ceremony has one signed byte string.
    try:
        canonical_text = str(uuid.UUID(value)) if isinstance(value, str) else None
    except ValueError:
        canonical_text = None
    if canonical_text is None or canonical_text != value:
        raise MalformedData("ceremony must be a UUID in its lower-case hyphenated form")
    return value


def _check_point(value: object, what: str) -> Point:
    if (
        not isinstance(value, tuple)
        or len(value) != 2
        or not all(_is_int(c) for c in value)
        or not curve.is_on_curve(value)
    ):
        raise MalformedData(f"{what} is not a point on the SM2 curve")
    return value


def _hex_bytes(value: object, what: str, *, max_size: int) -> bytes:
    if not isinstance(value, str) or len(value) > 2 * max_size or not _LOWER_HEX.fullmatch(value):
        raise MalformedData(f"{what} must be lower-case hex of at most {max_size} bytes")
    return bytes.fromhex(value)


def _point_from_hex(value: object, what: str) -> Point:
    if (
        not isinstance(value, str)
        or len(value) != _POINT_HEX_LENGTH
        or not _LOWER_HEX.fullmatch(value)
    ):
        raise MalformedData(f"{what} must be {_POINT_HEX_LENGTH} lower-case hex characters (x‖y)")
    return _check_point(curve.hex_to_point(value), what)


def _check_sealed_share(value: object, recipient: int) -> bytes:
    """The publicly checkable part of a sealed sub-share: GM/T 0009 DER, C1 on the curve, a
    33-byte plaintext. What only the recipient can check (does it decrypt) is left to it."""
    what = f"the sealed share for holder {recipient}"
    if not isinstance(value, bytes) or not 1 <= len(value) <= MAX_SEALED_SIZE:
        raise MalformedData(f"{what} must be 1 to {MAX_SEALED_SIZE} bytes")
    try:
        x1, y1, _c3, c2 = der.decode_ciphertext(value)
    except MalformedData as exc:
        raise MalformedData(f"{what} is not an SM2 ciphertext: {exc}") from None
    if not curve.is_on_curve((x1, y1)):
        raise MalformedData(f"{what} is not an SM2 ciphertext: C1 is not on the curve")
    if len(c2) != SHARE_SIZE:
        raise MalformedData(f"{what} must encrypt a {SHARE_SIZE}-byte share, not {len(c2)} bytes")
    return value


def _exact_keys(doc: object, keys: frozenset[str], what: str) -> Mapping[str, Any]:
    if not isinstance(doc, Mapping):
        raise MalformedData(f"a {what} must be a JSON object")
    if set(doc) != keys:
        raise MalformedData(f"a {what} has exactly the fields {', '.join(sorted(keys))}")
    return doc


# -- point arithmetic with the point at infinity as None ----------------------------------


def _add(left: Point | None, right: Point | None) -> Point | None:
    if left is None:
        return right
    if right is None:
        return left
    return curve.add(left, right)


def _sum(points: Iterable[Point | None]) -> Point | None:
    total: Point | None = None
    for point in points:
        total = _add(total, point)
    return total


def _times_base(scalar: int) -> Point | None:
    scalar %= ORDER
    return None if scalar == 0 else curve.base_multiply(scalar)


def _all_on_curve(points: Iterable[object]) -> bool:
    # Commitments may come straight from JSON (a tool reading a rescue answer): a point off
    # the curve is simply not a commitment anything can match.
    return all(
        isinstance(p, tuple) and len(p) == 2 and all(_is_int(c) for c in p) and curve.is_on_curve(p)
        for p in points
    )


def _evaluate_commitments(index: int, commitments: Sequence[Point]) -> Point | None:
    """Σ_k (index^k mod q)·A_k: the point a share for ``index`` must match. O(t) multiplications."""
    total: Point | None = None
    power = 1
    for k, commitment in enumerate(commitments):
        term = commitment if k == 0 else curve.multiply(power, commitment)
        total = _add(total, term)
        power = power * index % ORDER  # never 0: index < q and q is prime
    return total


# -- dealings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dealing:
    """One holder's dealing: its commitments and a sealed sub-share for every holder.

    Constructed only valid (raises MalformedData): the platform can store and relay it as is.
    """

    section: str
    ceremony: str
    dealer: int
    threshold: int
    commitments: tuple[Point, ...]
    sealed: Mapping[int, bytes] = field(repr=False)

    def __post_init__(self) -> None:
        _check_section(self.section)
        _check_ceremony(self.ceremony)
        _check_index(self.dealer, "dealer")
        if not isinstance(self.sealed, Mapping) or not 1 <= len(self.sealed) <= MAX_HOLDERS:
            raise MalformedData(f"a dealing seals a share to 1 to {MAX_HOLDERS} holders")
        sealed = {
            _check_index(index, "a sealed share's holder"): _check_sealed_share(value, index)
            for index, value in self.sealed.items()
        }
        if self.dealer not in sealed:
            raise MalformedData("a dealer seals a share to itself too")
        if not _is_int(self.threshold) or not 1 <= self.threshold <= len(sealed):
            raise MalformedData("threshold must be an integer from 1 to the number of holders")
        if not isinstance(self.commitments, Sequence) or len(self.commitments) != self.threshold:
            raise MalformedData("a dealing has exactly `threshold` commitments")
        commitments = tuple(
            _check_point(point, f"commitment {k}") for k, point in enumerate(self.commitments)
        )
        object.__setattr__(self, "commitments", commitments)
        object.__setattr__(self, "sealed", MappingProxyType(dict(sorted(sealed.items()))))

    def __hash__(self) -> int:
        return hash(
            (self.section, self.ceremony, self.dealer, self.commitments, tuple(self.sealed.items()))
        )

    def document(self) -> dict[str, Any]:
        return {
            "format": DEALING_FORMAT,
            "section": self.section,
            "ceremony": self.ceremony,
            "dealer": self.dealer,
            "threshold": self.threshold,
            "commitments": [curve.point_to_hex(point) for point in self.commitments],
            "sealed": {str(index): value.hex() for index, value in self.sealed.items()},
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Dealing:
        """Parse a dealing document strictly: what it accepts, :meth:`document` gives back
        byte for byte (so the signed bytes are the stored ones)."""
        doc = _exact_keys(doc, _DEALING_KEYS, "dealing")
        if doc["format"] != DEALING_FORMAT:
            raise MalformedData(f"a dealing's format must be {DEALING_FORMAT!r}")
        commitments = doc["commitments"]
        if not isinstance(commitments, list) or not 1 <= len(commitments) <= MAX_HOLDERS:
            raise MalformedData(f"commitments must be a list of 1 to {MAX_HOLDERS} points")
        sealed = doc["sealed"]
        if not isinstance(sealed, Mapping) or not 1 <= len(sealed) <= MAX_HOLDERS:
            raise MalformedData(f"sealed must map 1 to {MAX_HOLDERS} holder indices to shares")
        sealed_shares: dict[int, bytes] = {}
        for key, value in sealed.items():
            if not isinstance(key, str) or not _INDEX_TEXT.fullmatch(key):
                raise MalformedData("sealed is keyed by holder indices written in decimal")
            index = _check_index(int(key), "a sealed share's holder")
            sealed_shares[index] = _hex_bytes(
                value, f"the sealed share for holder {index}", max_size=MAX_SEALED_SIZE
            )
        return cls(
            section=doc["section"],
            ceremony=doc["ceremony"],
            dealer=doc["dealer"],
            threshold=doc["threshold"],
            commitments=tuple(
                _point_from_hex(text, f"commitment {k}") for k, text in enumerate(commitments)
            ),
            sealed=sealed_shares,
        )


def _random_coefficient() -> int:
    # Uniform in [1, q-1]: a zero coefficient would commit to the point at infinity, which
    # the document cannot spell; leaving out 1/q of the range changes nothing measurable.
    return secrets.randbelow(ORDER - 1) + 1


def _evaluate(coefficients: Sequence[int], x: int) -> int:
    result = 0
    for coefficient in reversed(coefficients):  # Horner
        result = (result * x + coefficient) % ORDER
    return result


def deal(
    *,
    section: str,
    ceremony: str,
    dealer: int,
    threshold: int,
    recipients: Mapping[int, SM2PublicKey],
) -> Dealing:
    """Deal a fresh random polynomial: commitments, and f(j) sealed to every holder j (the
    dealer included, so that its tool can find its own sub-share on the platform later)."""
    _check_section(section)  # before the costly part, not after it
    _check_ceremony(ceremony)
    if dealer not in recipients:
        raise ShareError("the dealer must be one of the recipients")
    if len(set(recipients.values())) != len(recipients):
        raise ShareError("each holder must have a different key")
    if not _is_int(threshold) or not 1 <= threshold <= len(recipients):
        raise ShareError("threshold must be an integer from 1 to the number of holders")
    for index in recipients:
        _check_index(index, "a recipient")
    coefficients = [_random_coefficient() for _ in range(threshold)]
    commitments = tuple(curve.base_multiply(a) for a in coefficients)
    sealed = {
        index: seal_share(Share(index, _evaluate(coefficients, index)), key)
        for index, key in sorted(recipients.items())
    }
    return Dealing(
        section=section,
        ceremony=ceremony,
        dealer=dealer,
        threshold=threshold,
        commitments=commitments,
        sealed=sealed,
    )


def dealing_message(doc: Mapping[str, Any]) -> bytes:
    """What the dealer signs with its bound SM2 key."""
    return DEALING_DOMAIN + canonical(dict(doc))


def check_dealing(
    dealing: Dealing, *, section: str, ceremony: str, holders: Collection[int], threshold: int
) -> None:
    """Check a dealing belongs to this ceremony and has the right shape (MalformedData)."""
    if dealing.section != section or dealing.ceremony != ceremony:
        raise MalformedData("the dealing is for another section or ceremony")
    if dealing.threshold != threshold or len(dealing.commitments) != threshold:
        raise MalformedData(f"the ceremony's threshold is {threshold}, with as many commitments")
    if dealing.dealer not in holders:
        raise MalformedData("the dealer is not a holder of this ceremony")
    if set(dealing.sealed) != set(holders):
        raise MalformedData("a dealing seals exactly one share to every holder")
    for k, point in enumerate(dealing.commitments):
        _check_point(point, f"commitment {k}")


def open_sub_share(dealing: Dealing, recipient: int, key: SM2PrivateKey) -> Share:
    """Decrypt the sub-share sealed to ``recipient``; GMError when it does not decrypt to a
    share for that holder (the recipient then complains "undecryptable")."""
    sealed = dealing.sealed.get(recipient)
    if sealed is None:
        raise GMError(f"dealer {dealing.dealer} sealed no share to holder {recipient}")
    try:
        share = Share.from_bytes(key.decrypt(sealed))
    except (GMError, ValueError):
        raise GMError(
            f"the share dealer {dealing.dealer} sealed to holder {recipient} does not decrypt "
            "with this key"
        ) from None
    if share.index != recipient:
        raise GMError(f"dealer {dealing.dealer} sealed a share for another holder")
    return share


def sub_share_is_valid(share: Share, commitments: Sequence[Point]) -> bool:
    """Feldman's check: share.value·G == Σ_k index^k·A_k."""
    if not commitments or not _all_on_curve(commitments):
        return False
    return _times_base(share.value) == _evaluate_commitments(share.index, commitments)


# -- assembly --------------------------------------------------------------------------------


def _column_sums(qualified: Iterable[Sequence[Point]]) -> list[Point | None]:
    """Σ_i A_{i,k} for each k: checking a holder share then costs t multiplications, not n·t."""
    sums: list[Point | None] = []
    for commitments in qualified:
        for k, point in enumerate(commitments):
            if k == len(sums):
                sums.append(point)
            else:
                sums[k] = _add(sums[k], point)
    return sums


def public_key(qualified: Iterable[Sequence[Point]]) -> SM2PublicKey:
    """The opening public key Σ_{i∈Q} A_{i,0} over the qualified dealers' commitments."""
    point = _sum(commitments[0] for commitments in qualified if commitments)
    if point is None:
        # No dealer, or A_{i,0} that cancel out (only dealers who chose them could do that).
        raise ShareError("the qualified dealers' commitments do not give a public key")
    return SM2PublicKey(*point)


def combine_sub_shares(shares: Iterable[Share]) -> Share:
    """One holder's share of d: the sum of its sub-shares from the qualified dealers."""
    shares = list(shares)
    if not shares:
        raise ShareError("a holder share needs at least one sub-share")
    if len({share.index for share in shares}) != 1:
        raise ShareError("sub-shares of different holders cannot be added")
    return Share(shares[0].index, sum(share.value for share in shares) % ORDER)


def holder_share_is_valid(share: Share, qualified: Iterable[Sequence[Point]]) -> bool:
    """s_j·G == Σ_i Σ_k j^k·A_{i,k}: the combined share fits the qualified commitments."""
    qualified = list(qualified)
    if not all(_all_on_curve(commitments) for commitments in qualified):
        return False
    sums = _column_sums(qualified)
    if not sums:
        return False
    expected: Point | None = None
    power = 1
    for k, point in enumerate(sums):
        if point is not None:
            expected = _add(expected, point if k == 0 else curve.multiply(power, point))
        power = power * share.index % ORDER
    return _times_base(share.value) == expected


# -- verifications (a holder's verdict on every dealing) ---------------------------------------


@dataclass(frozen=True)
class Complaint:
    against: int
    reason: str
    revealed_share: Share | None = None

    def document(self) -> dict[str, Any]:
        revealed = None if self.revealed_share is None else self.revealed_share.to_bytes().hex()
        return {"against": self.against, "reason": self.reason, "revealed_share": revealed}


@dataclass(frozen=True)
class Verification:
    section: str
    ceremony: str
    holder: int
    complaints: tuple[Complaint, ...]

    def __post_init__(self) -> None:
        _check_section(self.section)
        _check_ceremony(self.ceremony)
        _check_index(self.holder, "holder")
        complaints = tuple(self.complaints)
        if len(complaints) > MAX_HOLDERS:
            raise MalformedData(f"at most {MAX_HOLDERS} complaints")
        against = [_check_index(c.against, "a complaint's dealer") for c in complaints]
        if len(set(against)) != len(against):
            raise MalformedData("one complaint per dealer")
        for complaint in complaints:
            _check_complaint(complaint, self.holder)
        object.__setattr__(self, "complaints", complaints)

    def document(self) -> dict[str, Any]:
        return {
            "format": VERIFICATION_FORMAT,
            "section": self.section,
            "ceremony": self.ceremony,
            "holder": self.holder,
            "complaints": [complaint.document() for complaint in self.complaints],
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Verification:
        doc = _exact_keys(doc, _VERIFICATION_KEYS, "verification")
        if doc["format"] != VERIFICATION_FORMAT:
            raise MalformedData(f"a verification's format must be {VERIFICATION_FORMAT!r}")
        items = doc["complaints"]
        if not isinstance(items, list) or len(items) > MAX_HOLDERS:
            raise MalformedData(f"complaints must be a list of at most {MAX_HOLDERS}")
        return cls(
            section=doc["section"],
            ceremony=doc["ceremony"],
            holder=doc["holder"],
            complaints=tuple(_complaint_from_document(item) for item in items),
        )


def _check_complaint(complaint: Complaint, holder: int) -> None:
    if complaint.reason not in COMPLAINT_REASONS:
        raise MalformedData(f"a complaint's reason is one of {', '.join(COMPLAINT_REASONS)}")
    revealed = complaint.revealed_share
    if complaint.reason == UNDECRYPTABLE:
        if revealed is not None:
            raise MalformedData("an undecryptable share cannot be revealed")
    elif not isinstance(revealed, Share) or revealed.index != holder:
        raise MalformedData("a fails_commitment complaint reveals the complainer's own sub-share")


def _complaint_from_document(item: object) -> Complaint:
    item = _exact_keys(item, _COMPLAINT_KEYS, "complaint")
    revealed_text = item["revealed_share"]
    revealed = None
    if revealed_text is not None:
        data = _hex_bytes(revealed_text, "a revealed share", max_size=SHARE_SIZE)
        try:
            revealed = Share.from_bytes(data)
        except ShareError as exc:
            raise MalformedData(f"a revealed share is not a share: {exc}") from None
    return Complaint(
        against=_check_index(item["against"], "a complaint's dealer"),
        reason=item["reason"] if isinstance(item["reason"], str) else "",
        revealed_share=revealed,
    )


def verification_message(doc: Mapping[str, Any]) -> bytes:
    """What the holder signs with its bound SM2 key."""
    return VERIFICATION_DOMAIN + canonical(dict(doc))


def check_verification(
    verification: Verification, *, section: str, ceremony: str, holders: Collection[int]
) -> None:
    if verification.section != section or verification.ceremony != ceremony:
        raise MalformedData("the verification is for another section or ceremony")
    if verification.holder not in holders:
        raise MalformedData("the verifier is not a holder of this ceremony")
    if any(complaint.against not in holders for complaint in verification.complaints):
        raise MalformedData("a complaint names a dealer who is not a holder")


def complaint_is_upheld(complaint: Complaint, commitments: Sequence[Point]) -> bool:
    """The platform's verdict. A revealed share that fits the dealer's commitments makes the
    complaint unfounded; one that does not, upholds it. An "undecryptable" complaint cannot
    be checked by anyone but the complainer: upheld (docs/envelope.md says what that costs)."""
    if complaint.reason == UNDECRYPTABLE:
        return True
    return complaint.revealed_share is not None and not sub_share_is_valid(
        complaint.revealed_share, commitments
    )


@dataclass(frozen=True)
class Review:
    """A holder's reading of the dealings: the sub-shares that verified, and complaints."""

    sub_shares: Mapping[int, Share] = field(repr=False)  # dealer -> this holder's sub-share
    complaints: tuple[Complaint, ...]


def review_dealings(dealings: Iterable[Dealing], *, holder: int, key: SM2PrivateKey) -> Review:
    """Open and check this holder's sub-share in every dealing (the holder's side)."""
    sub_shares: dict[int, Share] = {}
    complaints: list[Complaint] = []
    for dealing in sorted(dealings, key=lambda d: d.dealer):
        try:
            share = open_sub_share(dealing, holder, key)
        except GMError:
            complaints.append(Complaint(dealing.dealer, UNDECRYPTABLE))
            continue
        if sub_share_is_valid(share, dealing.commitments):
            sub_shares[dealing.dealer] = share
        else:
            complaints.append(Complaint(dealing.dealer, FAILS_COMMITMENT, share))
    return Review(sub_shares=MappingProxyType(sub_shares), complaints=tuple(complaints))
